import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import {
  CancellationScope,
  condition,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import {
  SA,
  cancelSignal,
  controllerReportSignal,
  describeTarget,
  setEndUpdate,
  parseIsoDuration,
  progressQuery,
  windowIdOf,
  type AlertInput,
  type CapacityWindowInput,
  type CapacityWindowResult,
  type CancelRequest,
  type Claim,
  type ControllerMessage,
  type Phase,
  type Step,
  type StepName,
  type WindowProgress,
} from '../shared/index.js';
import { reasonOf } from './failures.js';

const RETRY = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '15s' } as const;
/** How long a window waits for someone else's capacity request to finish before giving up. */
const WAIT_FOR_IDLE = '15m';
/**
 * A window that has heard nothing from its namespace's controller for this long says again what it wants (the
 * controller may have been terminated by hand); a repeated claim or release is answered again, never applied twice.
 */
const REPEAT_AFTER_MS = 5 * 60_000;

const { notifySlack } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { ...RETRY, maximumAttempts: 3 },
});
// Delivering a claim or release only needs Temporal itself: keep trying for as long as it takes. A local
// activity, so that a release reaches the controller in the workflow task that decided it. (Only here: the core
// SDK retries a local activity inside one workflow task past its schedule-to-close timeout, which the Cloud Ops
// activities' alert cadence depends on.)
const { tellController } = proxyLocalActivities<Activities>({ startToCloseTimeout: '30s', retry: RETRY });

/**
 * One capacity window: validate, claim N TRUs from the namespace's controller, hear it verified, hold until
 * the end, release the claim, hear the namespace verified where it goes next (the largest remaining claim, or
 * the baseline). The release lives here as a durable timer, so it happens whatever the API, the worker or
 * Slack do; the controller (namespace-controller.ts) makes every Cloud Ops change, one at a time.
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

  const progress: WindowProgress = {
    phase: 'PENDING',
    startAt: new Date(startMs).toISOString(),
    endAt: endMs === null ? null : new Date(endMs).toISOString(),
    steps: [],
    revertBlocked: null,
    namespaceCapacity: null,
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
  /** What the controller said about the claim and the release: the last word, and a failed claim's kind. */
  let claimAnswered = false;
  let claimRefused = false;
  let releaseAnswered = false;
  let lastHeardMs = Date.now();
  /** While the main coroutine is blocked waiting for the controller's last word: whether it has it. */
  let awaitingAnswer: (() => boolean) | null = null;
  const alerts: { severity: AlertInput['severity']; step: StepName; reason: string }[] = [];

  // Every upsert is a history event and a visibility write, the Temporal server's largest cost per window:
  // the memo is written once per workflow task however many steps it records (a microtask runs before the
  // task completes), and the search attributes only when the phase or the end changed.
  // What the starter (the API, or a schedule) set is already there.
  let published = {
    phase: info.typedSearchAttributes.get(SA.phase) ?? '',
    startMs: info.typedSearchAttributes.get(SA.startAt)?.getTime() ?? null,
    endMs: info.typedSearchAttributes.get(SA.endAt)?.getTime() ?? null,
  };
  let flushQueued = false;
  const flush = () => {
    flushQueued = false;
    upsertMemo({ progress });
    if (published.phase === progress.phase && published.startMs === startMs && published.endMs === endMs) return;
    upsertSearchAttributes([
      { key: SA.phase, value: progress.phase },
      { key: SA.startAt, value: new Date(startMs) },
      ...(endMs === null ? [] : [{ key: SA.endAt, value: new Date(endMs) }]),
    ]);
    published = { phase: progress.phase, startMs, endMs };
  };
  const publish = () => {
    if (flushQueued) return;
    flushQueued = true;
    void Promise.resolve().then(() => {
      if (!flushQueued) return;
      // The answer the main coroutine waits for came: it writes when it goes on, in this same workflow task
      // (it finishes or sets a phase at once), and one write of both is what it takes, not two.
      if (awaitingAnswer?.() && alerts.length === 0) flushQueued = false;
      else flush();
    });
  };
  const setPhase = (phase: Phase) => {
    progress.phase = phase;
    publish();
  };
  const record = (step: StepName, outcome: Step['outcome'], extra: Partial<Step> = {}) => {
    progress.steps.push({ step, outcome, at: new Date().toISOString(), ...extra });
    publish();
  };
  const failed = (step: StepName, reason: string, severity: AlertInput['severity']) => {
    result.errors.push(`${step}: ${reason}`);
    record(step, 'FAILED', { detail: reason });
    alerts.push({ severity, step, reason });
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
  setHandler(controllerReportSignal, (report) => {
    lastHeardMs = Date.now();
    progress.namespaceCapacity = { has: report.namespaceHas, at: new Date().toISOString() };
    if (report.about === 'claim' && !claimAnswered) {
      if (report.baseline) result.baseline = report.baseline;
      if (report.outcome === 'FAILED') {
        if (report.step === 'VERIFY') result.initialChangeSuccess = true;
        claimRefused = report.unchanged === true;
        failed(report.step, report.detail ?? 'the capacity change failed', 'WARNING');
      } else {
        if (!result.initialChangeSuccess) {
          result.initialChangeSuccess = true;
          result.applyOperationId = report.asyncOperationId ?? null;
          record('APPLY', 'SUCCEEDED', applied(report.asyncOperationId, report.detail));
          progress.phase = 'VERIFYING';
          record('VERIFY', 'STARTED');
        }
        if (report.step === 'VERIFY') {
          result.verificationSuccess = true;
          result.verifiedAt = new Date().toISOString();
          record('VERIFY', 'SUCCEEDED', report.detail ? { detail: report.detail } : {});
        }
      }
      claimAnswered = report.final;
    } else if (report.about === 'release' && !releaseAnswered) {
      if (report.outcome === 'FAILED' && report.final) {
        // Other windows still hold the namespace, at a capacity nobody could verify: said, not retried for this one.
        failed(report.step, report.detail ?? 'the revert could not be verified', 'WARNING');
      } else if (report.outcome === 'FAILED') {
        if (report.step === 'REVERT_VERIFY') result.reverted = true;
        progress.revertBlocked = report.revertBlocked ?? null;
        progress.phase = 'REVERTING';
        failed(report.step, report.detail ?? 'the revert failed', 'CRITICAL');
        record('REVERT', 'STARTED', { detail: 'the namespace controller tries again' });
      } else {
        if (report.step === 'REVERT' || progress.phase !== 'REVERT_VERIFYING') {
          result.revertOperationId = report.asyncOperationId ?? null;
          record('REVERT', 'SUCCEEDED', applied(report.asyncOperationId, report.step === 'REVERT' ? report.detail : undefined));
          progress.phase = 'REVERT_VERIFYING';
          record('REVERT_VERIFY', 'STARTED');
        }
        if (report.step === 'REVERT_VERIFY') {
          // The change that settled it, which may not be the one announced first (that one may have failed).
          result.revertOperationId = report.asyncOperationId ?? null;
          result.reverted = true;
          result.revertedTo = report.namespaceHas;
          result.revertedToOnDemand = report.namespaceHas?.mode === 'ON_DEMAND';
          result.revertVerificationSuccess = true;
          result.revertedAt = new Date().toISOString();
          progress.revertBlocked = null;
          record('REVERT_VERIFY', 'SUCCEEDED', report.detail ? { detail: report.detail } : {});
        }
      }
      releaseAnswered = report.final;
    }
    publish();
  });

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

  const validate = proxyActivities<Activities>({
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: WAIT_FOR_IDLE,
    retry: RETRY,
  }).validateCapacity;

  const claim = (): Claim => ({
    workflowId: info.workflowId,
    windowId: id,
    trus: input.trus,
    revertTo: input.revertTo ?? 'BASELINE',
    endAt: endMs === null ? null : new Date(endMs).toISOString(),
    startAt: progress.startAt,
    requestedBy: input.requestedBy ?? null,
    reason: input.reason ?? null,
  });
  const tell = (message: ControllerMessage) => tellController({ namespace: input.namespace, policy: input.policy, message });

  /** Waits for the controller's last word, alerting on each failure it reports; repeats itself if it hears nothing. */
  const untilAnswered = async (answered: () => boolean, repeat: () => Promise<void>) => {
    let since = Date.now();
    try {
      for (;;) {
        awaitingAnswer = null;
        for (const a of alerts.splice(0)) await alert(a.severity, a.step, a.reason);
        if (answered()) return;
        // A report that is not the last word does not end this wait: its timer runs on, and when it fires, a
        // report heard meanwhile puts the repeat off (a timer cancelled and started again per report is two events).
        const left = Math.max(since, lastHeardMs) + REPEAT_AFTER_MS - Date.now();
        if (left > 0) {
          awaitingAnswer = answered;
          await condition(() => answered() || alerts.length > 0, left);
          continue;
        }
        await repeat();
        since = Date.now();
      }
    } finally {
      awaitingAnswer = null;
    }
  };

  let claimed = false;
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
      const { current } = await validate({
        namespace: input.namespace,
        trus: input.trus,
        windowMs: endMs === null ? null : endMs - startMs,
        acknowledgeShortWindow: input.acknowledgeShortWindow,
      });
      record('VALIDATE', 'SUCCEEDED', { detail: `the namespace has ${describeTarget(current)}` });
    } catch (err) {
      if (isCancellation(err)) throw err;
      failed('VALIDATE', reasonOf(err), 'WARNING');
      for (const a of alerts.splice(0)) await alert(a.severity, a.step, a.reason);
      return finish('FAILED');
    }
    if (cancelRequest) return finish('COMPLETED');

    setPhase('APPLYING');
    record('APPLY', 'STARTED', { detail: `claims ${input.trus} TRUs from the namespace controller` });
    claimed = true;
    await tell({ kind: 'claim', claim: claim() });
    await untilAnswered(() => claimAnswered, () => tell({ kind: 'claim', claim: claim() }));
    if (claimRefused) return finish('FAILED');

    if (endMs === null && !cancelRequest) return finish(result.verificationSuccess ? 'COMPLETED' : 'FAILED');

    setPhase('ACTIVE');
    if (!cancelRequest) record('WAIT', 'STARTED', { detail: `until ${progress.endAt}` });
    // The end can move (setEnd) and the window can be cancelled: wait for whichever comes first.
    for (;;) {
      const waitingFor = endMs as number;
      const remaining = waitingFor - Date.now();
      if (cancelRequest || remaining <= 0) break;
      await condition(() => cancelRequest !== null || endMs !== waitingFor, remaining);
      // The controller drops claims long past their end: tell it about a moved one.
      if (endMs !== waitingFor && !cancelRequest) await tell({ kind: 'claim', claim: claim() });
    }
    if (!cancelRequest) record('WAIT', 'SUCCEEDED');
  } catch (err) {
    if (!isCancellation(err)) throw err;
    cancelled = err;
    record('WAIT', 'FAILED', { detail: 'window cancelled; reverting now' });
    if (!claimed) {
      finish('COMPLETED');
      throw cancelled;
    }
  }

  await CancellationScope.nonCancellable(async () => {
    setPhase('REVERTING');
    record('REVERT', 'STARTED', { detail: 'releases the claim' });
    const release = () => tell({ kind: 'release', workflowId: info.workflowId });
    await release();
    await untilAnswered(() => releaseAnswered, release);
  });
  const outcome = finish(result.verificationSuccess && result.revertVerificationSuccess ? 'COMPLETED' : 'FAILED');
  if (cancelled) throw cancelled;
  return outcome;

  function finish(phase: 'COMPLETED' | 'FAILED'): CapacityWindowResult {
    result.completedAt = new Date().toISOString();
    progress.phase = phase;
    // Now, not in a microtask: nothing may follow the workflow's completion.
    flush();
    return result;
  }
}

function applied(asyncOperationId: string | null | undefined, detail: string | undefined): Partial<Step> {
  return {
    ...(asyncOperationId ? { asyncOperationId } : {}),
    ...(detail ? { detail } : {}),
  };
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

