import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import {
  FailureType,
  SA,
  cancelSignal,
  describeTarget,
  revertTarget,
  setEndUpdate,
  operationId,
  parseIsoDuration,
  progressQuery,
  provisioned,
  windowIdOf,
  type AlertInput,
  type CapacityTarget,
  type CapacityWindowInput,
  type CapacityWindowResult,
  type CancelRequest,
  type Phase,
  type Step,
  type StepName,
  type WindowProgress,
} from '../shared/index.js';

const RETRY = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '15s' } as const;
/** The least time an apply keeps retrying transient failures before the window reports it failed. */
const APPLY_RETRY_WINDOW_MS = 90_000;
/** How long a window waits for someone else's capacity request to finish before giving up. */
const WAIT_FOR_IDLE = '15m';

const { notifySlack } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { ...RETRY, maximumAttempts: 3 },
});

/** Failure types after which the namespace certainly was not changed, so there is nothing to revert. */
const REFUSED_BEFORE_ANY_CHANGE = new Set<string>([FailureType.NonRetryable, FailureType.InvalidTruValue, FailureType.Guardrail]);

function failureType(err: unknown): string | undefined {
  let e: unknown = err;
  while (e instanceof Error) {
    if (e instanceof ApplicationFailure) return e.type ?? undefined;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The most specific message in the failure chain: the Cloud Ops or rule text, not "Activity task failed". */
function reasonOf(err: unknown): string {
  let e: unknown = err;
  let message = err instanceof Error ? err.message : String(err);
  while (e instanceof Error) {
    if (!(e instanceof ActivityFailure)) message = e.message || message;
    if (e instanceof ApplicationFailure) break;
    e = (e as { cause?: unknown }).cause;
  }
  return message;
}

/**
 * One capacity window: validate, apply N TRUs, verify, hold until the end, revert to On-Demand, verify.
 * The revert lives here as a durable timer, so it happens whatever the API, the worker or Slack do.
 * This function's name is a workflow type: never rename it; version it.
 */
export async function capacityWindowWorkflow(input: CapacityWindowInput): Promise<CapacityWindowResult> {
  const info = workflowInfo();
  const id = windowIdOf(info.workflowId, info.firstExecutionRunId);
  const startMs = windowStartMs(input);
  let endMs = input.endAt
    ? Date.parse(input.endAt)
    : input.duration
      ? startMs + (parseIsoDuration(input.duration) ?? 0)
      : null;
  const target = provisioned(input.trus);

  const progress: WindowProgress = {
    phase: 'PENDING',
    startAt: new Date(startMs).toISOString(),
    endAt: endMs === null ? null : new Date(endMs).toISOString(),
    steps: [],
    revertBlocked: null,
  };
  const result: CapacityWindowResult = {
    initialChangeSuccess: false,
    verificationSuccess: false,
    revertedToOnDemand: false,
    revertVerificationSuccess: false,
    errors: [],
    startedAt: progress.startAt,
    verifiedAt: null,
    revertedAt: null,
    completedAt: progress.startAt,
    applyOperationId: null,
    revertOperationId: null,
    baseline: null,
    reverted: false,
    revertedTo: null,
    cancelled: null,
  };
  let cancelRequest: CancelRequest | null = null;

  const publish = () => {
    upsertMemo({ progress });
    upsertSearchAttributes([
      { key: SA.phase, value: progress.phase },
      { key: SA.startAt, value: new Date(startMs) },
      ...(endMs === null ? [] : [{ key: SA.endAt, value: new Date(endMs) }]),
    ]);
  };
  const setPhase = (phase: Phase) => {
    progress.phase = phase;
    publish();
  };
  const record = (step: StepName, outcome: Step['outcome'], extra: Partial<Step> = {}) => {
    progress.steps.push({ step, outcome, at: new Date().toISOString(), ...extra });
    publish();
  };

  setHandler(progressQuery, () => progress);
  setHandler(cancelSignal, (req) => {
    if (cancelRequest || TERMINAL_PHASES.has(progress.phase)) return;
    cancelRequest = req;
    result.cancelled = { ...req, at: new Date().toISOString() };
    record('CANCEL', 'SUCCEEDED', { detail: `cancelled by ${req.by ?? 'unknown'}${req.reason ? `: ${req.reason}` : ''}` });
  });
  setHandler(
    setEndUpdate,
    ({ endAt }) => {
      endMs = Date.parse(endAt);
      progress.endAt = new Date(endMs).toISOString();
      record('WAIT', 'STARTED', { detail: `until ${progress.endAt} (end moved)` });
      return progress;
    },
    {
      validator: ({ endAt, maxEndAt }) => {
        const end = Date.parse(endAt);
        if (!Number.isFinite(end)) throw new Error(`endAt ${endAt} is not an instant`);
        if (endMs === null) throw new Error('a permanent change has no end to move');
        if (cancelRequest || !MOVABLE_PHASES.has(progress.phase)) {
          throw new Error(`the window is ${progress.phase.toLowerCase()}: its end can no longer move`);
        }
        if (end <= Date.now()) throw new Error(`endAt ${endAt} is not in the future`);
        if (end <= startMs) throw new Error(`endAt ${endAt} is not after the window's start ${progress.startAt}`);
        if (maxEndAt !== null && end > Date.parse(maxEndAt)) throw new Error(`endAt ${endAt} is past the longest window allowed (${maxEndAt})`);
      },
    },
  );

  const alert = async (severity: AlertInput['severity'], step: StepName, reason: string) => {
    log.warn('capacity window alert', { namespace: input.namespace, step, severity, reason });
    try {
      await notifySlack({
        severity,
        namespace: input.namespace,
        trus: input.trus,
        step,
        reason,
        windowId: id,
        workflowId: info.workflowId,
        requestedBy: input.requestedBy ?? null,
        requestReason: input.reason ?? null,
        startAt: progress.startAt,
        endAt: progress.endAt,
      });
    } catch (err) {
      log.error('alert could not be delivered', { namespace: input.namespace, step, reason: reasonOf(err) });
    }
  };
  const fail = async (step: StepName, err: unknown, severity: AlertInput['severity'] = 'WARNING') => {
    const reason = reasonOf(err);
    result.errors.push(`${step}: ${reason}`);
    record(step, 'FAILED', { detail: reason });
    await alert(severity, step, reason);
  };

  const validate = proxyActivities<Activities>({
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: WAIT_FOR_IDLE,
    retry: RETRY,
  }).validateCapacity;
  const apply = proxyActivities<Activities>({
    startToCloseTimeout: '30s',
    // Room for a burst of transient errors (the gRPC client backs off on its own too) and for one attempt lost
    // with a crashed worker (30 s), however short VERIFY_TIMEOUT is.
    scheduleToCloseTimeout: Math.max(input.policy.verifyTimeoutMs, APPLY_RETRY_WINDOW_MS),
    retry: RETRY,
  }).applyCapacity;
  const verify = proxyActivities<Activities>({
    startToCloseTimeout: input.policy.verifyTimeoutMs + 60_000,
    heartbeatTimeout: '10s',
    retry: { ...RETRY, maximumInterval: '5s' },
  }).verifyCapacity;

  /** Applies and verifies one target; returns the operation id, throws with the step that failed. */
  const change = async (applyStep: StepName, verifyStep: StepName, to: CapacityTarget, opId: string, applyFn = apply) => {
    record(applyStep, 'STARTED', { asyncOperationId: opId, detail: describeTarget(to) });
    let applied: string | null;
    try {
      applied = (await applyFn({ namespace: input.namespace, target: to, asyncOperationId: opId })).asyncOperationId;
    } catch (err) {
      throw new StepError(applyStep, err);
    }
    record(applyStep, 'SUCCEEDED', applied === null ? { detail: 'nothing to change' } : { asyncOperationId: applied });
    setPhase(verifyStep === 'VERIFY' ? 'VERIFYING' : 'REVERT_VERIFYING');
    record(verifyStep, 'STARTED');
    try {
      await verify({
        namespace: input.namespace,
        target: to,
        asyncOperationId: applied,
        deadline: Date.now() + input.policy.verifyTimeoutMs,
      });
    } catch (err) {
      throw new StepError(verifyStep, err);
    }
    record(verifyStep, 'SUCCEEDED');
    return applied;
  };

  let mayBeProvisioned = false;
  let cancelled: unknown = null;
  try {
    // A future window waits here, in a durable timer of its own rather than a Temporal start delay: a
    // workflow that is running can be read, cancelled and given a new end before it starts.
    if (startMs > Date.now()) {
      progress.phase = 'SCHEDULED';
      publish();
      await condition(() => cancelRequest !== null, startMs - Date.now());
      progress.phase = 'PENDING';
    }
    publish();
    if (cancelRequest) return finish('COMPLETED');
    record('VALIDATE', 'STARTED');
    try {
      result.baseline = (
        await validate({
          namespace: input.namespace,
          trus: input.trus,
          windowMs: endMs === null ? null : endMs - startMs,
          acknowledgeShortWindow: input.acknowledgeShortWindow,
        })
      ).current;
      record('VALIDATE', 'SUCCEEDED', { detail: `baseline ${describeTarget(result.baseline)}` });
    } catch (err) {
      if (isCancellation(err)) throw err;
      await fail('VALIDATE', err);
      return finish('FAILED');
    }
    if (cancelRequest) return finish('COMPLETED');

    setPhase('APPLYING');
    try {
      result.applyOperationId = operationId(info.firstExecutionRunId, 'apply');
      mayBeProvisioned = true;
      result.applyOperationId = await change('APPLY', 'VERIFY', target, result.applyOperationId);
      result.initialChangeSuccess = true;
      result.verificationSuccess = true;
      result.verifiedAt = new Date().toISOString();
    } catch (err) {
      if (isCancellation(err) || (err instanceof StepError && isCancellation(err.cause))) throw err;
      const stepErr = err as StepError;
      result.initialChangeSuccess = stepErr.step !== 'APPLY';
      if (stepErr.step === 'APPLY' && REFUSED_BEFORE_ANY_CHANGE.has(failureType(stepErr.cause) ?? '')) {
        mayBeProvisioned = false;
      }
      await fail(stepErr.step, stepErr.cause);
      if (!mayBeProvisioned) return finish('FAILED');
    }

    if (endMs === null && !cancelRequest) return finish(result.verificationSuccess ? 'COMPLETED' : 'FAILED');

    setPhase('ACTIVE');
    if (!cancelRequest) record('WAIT', 'STARTED', { detail: `until ${progress.endAt}` });
    // The end can move (setEnd) and the window can be cancelled: wait for whichever comes first.
    for (;;) {
      const waitingFor = endMs as number;
      const remaining = waitingFor - Date.now();
      if (cancelRequest || remaining <= 0) break;
      await condition(() => cancelRequest !== null || endMs !== waitingFor, remaining);
    }
    if (!cancelRequest) record('WAIT', 'SUCCEEDED');
  } catch (err) {
    if (!isCancellation(err) && !(err instanceof StepError && isCancellation(err.cause))) throw err;
    cancelled = err instanceof StepError ? err.cause : err;
    record('WAIT', 'FAILED', { detail: 'window cancelled; reverting now' });
    if (!mayBeProvisioned) {
      finish('COMPLETED');
      throw cancelled;
    }
  }

  await CancellationScope.nonCancellable(() => revert());
  const outcome = finish(result.verificationSuccess && result.revertVerificationSuccess ? 'COMPLETED' : 'FAILED');
  if (cancelled) throw cancelled;
  return outcome;

  /**
   * Reverts to the baseline (or On-Demand) until it is verified. Transient refusals (a cool-down,
   * UNAVAILABLE) are retried with backoff; after REVERT_ALERT_AFTER of failing, a CRITICAL alert goes out and
   * repeats each further round, and the status says revertBlocked: paid capacity is never left on quietly.
   */
  async function revert(): Promise<void> {
    setPhase('REVERTING');
    const to = revertTarget(result.baseline, target, input.revertTo);
    result.revertedTo = to;
    const revertApply = proxyActivities<Activities>({
      startToCloseTimeout: '30s',
      scheduleToCloseTimeout: input.policy.revertAlertAfterMs,
      retry: { ...RETRY, maximumInterval: '30s' },
    }).applyCapacity;
    for (let round = 0; ; round++) {
      const opId = operationId(info.firstExecutionRunId, 'revert', round);
      try {
        result.revertOperationId = await change('REVERT', 'REVERT_VERIFY', to, opId, revertApply);
        result.reverted = true;
        result.revertedToOnDemand = to.mode === 'ON_DEMAND';
        result.revertVerificationSuccess = true;
        result.revertedAt = new Date().toISOString();
        if (progress.revertBlocked) {
          log.info('revert succeeded after being blocked', { namespace: input.namespace, rounds: round + 1 });
          progress.revertBlocked = null;
        }
        setPhase('REVERTING');
        return;
      } catch (err) {
        const stepErr = err as StepError;
        if (stepErr.step === 'REVERT_VERIFY') {
          result.reverted = true;
          result.revertedToOnDemand = to.mode === 'ON_DEMAND';
        }
        progress.revertBlocked = {
          since: progress.revertBlocked?.since ?? new Date().toISOString(),
          attempts: round + 1,
          lastError: reasonOf(stepErr.cause),
        };
        setPhase('REVERTING');
        await fail(stepErr.step, stepErr.cause, 'CRITICAL');
        // A refusal that retrying cannot fix (a revoked key) is tried again at the alert cadence, not in a hot loop.
        if (failureType(stepErr.cause) === FailureType.NonRetryable) await sleep(input.policy.revertAlertAfterMs);
      }
    }
  }

  function finish(phase: 'COMPLETED' | 'FAILED'): CapacityWindowResult {
    result.completedAt = new Date().toISOString();
    progress.phase = phase;
    publish();
    return result;
  }
}

const TERMINAL_PHASES: ReadonlySet<Phase> = new Set(['COMPLETED', 'FAILED']);
/** Phases in which the window has not begun reverting, so its end can still move. */
const MOVABLE_PHASES: ReadonlySet<Phase> = new Set(['SCHEDULED', 'PENDING', 'APPLYING', 'VERIFYING', 'ACTIVE']);

const SCHEDULED_START_TIME = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/**
 * When the window begins, which its duration counts from: a future one-off's startAt; for a schedule's run,
 * its own scheduled time (never the time the schedule was created, and not the late start of a run that
 * waited for a worker); otherwise the request time, not the first task's.
 */
function windowStartMs(input: CapacityWindowInput): number {
  if (input.startAt) return Date.parse(input.startAt);
  const info = workflowInfo();
  const scheduled = info.typedSearchAttributes.get(SCHEDULED_START_TIME);
  return (scheduled ?? info.runStartTime).getTime();
}

/** Carries which step failed through the shared change() path. */
class StepError extends Error {
  constructor(
    readonly step: StepName,
    override readonly cause: unknown,
  ) {
    super(`${step} failed`);
    this.name = 'StepError';
  }
}
