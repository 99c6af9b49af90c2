import {
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import {
  FailureType,
  ON_DEMAND,
  controllerOperationId,
  controllerReportSignal,
  controllerSignal,
  controllerStateQuery,
  describeTarget,
  provisioned,
  sameTarget,
  type CapacityTarget,
  type Claim,
  type HeldClaim,
  type ControllerInput,
  type ControllerMessage,
  type ControllerReport,
  type ControllerState,
  type StepName,
} from '../shared/index.js';
import { failureType, reasonOf } from './failures.js';

const RETRY = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '15s' } as const;
/** The least time a raise keeps retrying transient failures before its windows hear that it failed. */
const APPLY_RETRY_WINDOW_MS = 90_000;
/** Failure types after which the namespace certainly was not changed. */
const REFUSED_BEFORE_ANY_CHANGE: ReadonlySet<string> = new Set([FailureType.NonRetryable, FailureType.InvalidTruValue, FailureType.Guardrail]);

const { readBaseline, notifySlack } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  // A request someone else started on the namespace is waited out by retries, as long as a window may wait.
  scheduleToCloseTimeout: '15m',
  retry: RETRY,
});

function consistent(read: { current: CapacityTarget; requested: CapacityTarget | null }): boolean {
  return read.requested !== null && sameTarget(read.requested, read.current);
}

/** Orders capacities by what they cost: On-Demand below any provisioned value. */
function rank(target: CapacityTarget): number {
  return target.mode === 'ON_DEMAND' ? 0 : target.trus;
}

/**
 * The one writer of a namespace's capacity. Windows claim and release; the namespace gets the largest TRU value
 * among active claims, or its baseline when none is left. Changes happen one at a time and in order, each
 * verified; every window hears what happened to its claim or release. This function's name is a workflow type:
 * never rename it; version it.
 */
export async function namespaceCapacityWorkflow(input: ControllerInput): Promise<void> {
  const { namespace, policy } = input;
  // A claim whose window has not released it this long after its end is dropped: a window terminated by hand
  // must not hold paid capacity forever. Two alert intervals: a live window's release is long due by then.
  const claimGraceMs = 2 * policy.revertAlertAfterMs;
  const state: ControllerState = input.state ?? {
    claims: [],
    releasing: [],
    baseline: null,
    known: null,
    failedTarget: null,
    lastRevertTo: 'BASELINE',
    seq: 0,
    blocked: null,
  };
  const chain = workflowInfo().firstExecutionRunId;
  const inbox: ControllerMessage[] = [];
  /** Reports on their way to windows. Nothing waits for them but the end of this run: a change never waits on a report. */
  const sending = new Set<Promise<boolean>>();
  /** Bumped when a window could not be told and lost its claim: the claims changed, so the loop evaluates again. */
  let dropped = 0;
  /** The wake-up timer kept across waits (`woken`). */
  let alarm: { at: number; scope: CancellationScope; rang: boolean } | undefined;
  setHandler(controllerSignal, (message) => void inbox.push(message));
  setHandler(controllerStateQuery, () => state);

  const { applyCapacity: raise } = proxyActivities<Activities>({
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: Math.max(policy.verifyTimeoutMs, APPLY_RETRY_WINDOW_MS),
    retry: RETRY,
  });
  const { applyCapacity: lower } = proxyActivities<Activities>({
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: policy.revertAlertAfterMs,
    retry: { ...RETRY, maximumInterval: '30s' },
  });
  const { verifyCapacity } = proxyActivities<Activities>({
    startToCloseTimeout: policy.verifyTimeoutMs + 60_000,
    heartbeatTimeout: '10s',
    retry: { ...RETRY, maximumInterval: '5s' },
  });

  for (;;) {
    for (const message of inbox.splice(0)) take(message);
    const next = await evaluate();
    if (next === 'again') continue;
    const idle = state.claims.length === 0 && state.releasing.length === 0 && state.blocked === null;
    const longHistory = workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > policy.controllerHistoryLimit;
    if (inbox.length === 0 && (idle || longHistory)) {
      // Every report must have left before this run ends.
      await Promise.all(sending);
      if (inbox.length > 0) continue;
      if (idle) return;
      await continueAsNew<typeof namespaceCapacityWorkflow>({ namespace, policy, state });
    }
    await woken(next === undefined ? undefined : Date.now() + next);
  }

  /**
   * Waits for a message, or until a retry (`retryAt`) or a claim's expiry falls due. One timer is kept across
   * waits and moved only when something falls due before it: a timer per wait, cancelled when a message ends the
   * wait, would be two history events and a server timer task at every window's end. A timer set for an earlier
   * wait may fire before anything is due (the expiry of a claim since released): the wait then goes on. That costs
   * a workflow task then instead of two events at the release: after the burst of ends rather than in it, and
   * only if the controller still runs a grace period after the release.
   */
  async function woken(retryAt: number | undefined): Promise<void> {
    const drops = dropped;
    for (;;) {
      const due = earliest([retryAt, expiryAt()]);
      if (due !== undefined && due <= Date.now()) return;
      if (due !== undefined && !(alarm && alarm.at <= due)) arm(due);
      await condition(() => inbox.length > 0 || dropped !== drops || alarm?.rang === true);
      if (alarm?.rang) alarm = undefined;
      if (inbox.length > 0 || dropped !== drops) return;
    }
  }

  function arm(at: number): void {
    alarm?.scope.cancel();
    const scope = new CancellationScope();
    const armed = { at, scope, rang: false };
    alarm = armed;
    // Cancelled when moved earlier (or with the workflow): nothing waits for it then.
    scope.run(() => sleep(at - Date.now())).then(() => void (armed.rang = true), () => undefined);
  }

  function take(message: ControllerMessage): void {
    if (message.kind === 'claim') {
      const existing = state.claims.find((c) => c.workflowId === message.claim.workflowId);
      // A window repeats its claim when it heard nothing for long, or when its end moved: answer it again.
      if (existing) Object.assign(existing, message.claim, { answered: false });
      else state.claims.push({ ...message.claim, answered: false, since: new Date().toISOString() });
      return;
    }
    const at = state.claims.findIndex((c) => c.workflowId === message.workflowId);
    const claim = at >= 0 ? state.claims.splice(at, 1)[0] : undefined;
    if (claim) state.lastRevertTo = claim.revertTo;
    if (!state.releasing.some((w) => w.workflowId === message.workflowId)) {
      // A release the controller holds no claim for (a new run after a terminated one) is answered all the same.
      state.releasing.push(claim ?? { workflowId: message.workflowId, windowId: message.workflowId, trus: 0, revertTo: 'BASELINE', endAt: null, requestedBy: null, reason: null, startAt: null });
    }
  }

  /** When the earliest claim outlives its end by the grace period. */
  function expiryAt(): number | undefined {
    const ends = state.claims.filter((c) => c.answered && c.endAt !== null).map((c) => Date.parse(c.endAt as string) + claimGraceMs);
    return ends.length ? Math.min(...ends) : undefined;
  }

  function expireClaims(): void {
    // Only an answered claim can be abandoned: an unanswered one is the controller's own backlog.
    for (const claim of [...state.claims]) {
      if (!claim.answered || claim.endAt === null || Date.parse(claim.endAt) + claimGraceMs > Date.now()) continue;
      log.warn('a window did not release its claim after its end; releasing it', { namespace, windowId: claim.windowId });
      take({ kind: 'release', workflowId: claim.workflowId });
    }
  }

  /** Where the namespace should be now; null when there is nothing to aim at (no claim, baseline never read). */
  function desired(): CapacityTarget | null {
    if (state.claims.length) return provisioned(Math.max(...state.claims.map((c) => c.trus)));
    if (state.baseline === null) return null;
    return state.lastRevertTo === 'ON_DEMAND' ? ON_DEMAND : state.baseline;
  }

  /** One pass: brings the namespace to what the claims ask. 'again': go on at once; a number: retry after it (ms). */
  async function evaluate(): Promise<'again' | number | undefined> {
    expireClaims();
    if (state.claims.length && state.baseline === null) {
      try {
        const read = await readBaseline({ namespace });
        state.baseline = read.current;
        // A spec that asks for something else than the namespace has is no known state: the first change is sent.
        state.known = consistent(read) ? read.current : null;
      } catch (err) {
        const failed = state.claims.filter((c) => !c.answered);
        state.claims = state.claims.filter((c) => c.answered);
        void tellAll(failed, { about: 'claim', step: 'APPLY', outcome: 'FAILED', detail: reasonOf(err), unchanged: true, final: true });
        return 'again';
      }
    }
    const to = desired();
    let settled = to === null || (state.known !== null && sameTarget(to, state.known));
    const knownToFail = !settled && to !== null && state.failedTarget !== null && sameTarget(to, state.failedTarget);
    const waiting = state.claims.some((c) => !c.answered) || state.releasing.length > 0;
    // At most what the windows still active ask for, in capacity and in spec: a released window owes nothing more.
    let covered = false;
    let observed: CapacityTarget | null = null;
    if (knownToFail && waiting) {
      // The claims changed since a change to `to` failed: read what the namespace has rather than guess.
      try {
        const read = await readBaseline({ namespace });
        state.known = consistent(read) ? read.current : null;
        settled = state.known !== null && sameTarget(to, state.known);
        if (settled) state.failedTarget = null;
        covered = rank(read.current) <= rank(to) && (read.requested === null || rank(read.requested) <= rank(to));
        observed = read.current;
      } catch (err) {
        log.warn('could not read the namespace after a failed change', { namespace, reason: reasonOf(err) });
      }
    }
    if (settled || knownToFail) {
      const has = state.known;
      const unanswered = state.claims.filter((c) => !c.answered);
      for (const c of unanswered) c.answered = true;
      retirePermanent(unanswered, settled);
      void tellAll(unanswered, settled
        ? { about: 'claim', step: 'VERIFY', outcome: 'SUCCEEDED', detail: `nothing to change: the namespace has ${describe(has)}`, final: true }
        : { about: 'claim', step: 'VERIFY', outcome: 'FAILED', detail: `a change to ${describe(to)} failed earlier; the namespace has ${describe(has)}`, unchanged: false, final: true });
      // A window that released is done when the namespace has no more than the windows still active ask for.
      const released = state.releasing.splice(0);
      covered ||= settled && has !== null;
      const seen = observed ?? has;
      void tellAll(released, covered
        ? { about: 'release', step: 'REVERT_VERIFY', outcome: 'SUCCEEDED', detail: heldBy(`nothing to change: the namespace has ${describe(seen)}`), namespaceHas: seen, final: true }
        : {
            about: 'release',
            step: 'REVERT_VERIFY',
            outcome: 'FAILED',
            detail: heldBy(to === null
              ? 'the namespace controller has no verified record of the namespace\'s capacity (it was restarted): check it by hand'
              : `the namespace's capacity is unknown: a change to ${describeTarget(to)} was not verified`),
            final: true,
          });
      state.blocked = null;
      if (state.claims.length === 0 && state.releasing.length === 0 && settled) {
        // Idle at the baseline: forget it, so the next window reads it afresh (someone may change it by hand).
        state.baseline = null;
        state.lastRevertTo = 'BASELINE';
      }
      return undefined;
    }
    // Windows that released hear only what was verified: they wait for this change whichever way it goes (to is
    // set: a null one is settled).
    return change(to as CapacityTarget, state.claims.filter((c) => !c.answered), [...state.releasing]);
  }

  async function change(to: CapacityTarget, claimants: HeldClaim[], waiters: Claim[]): Promise<'again' | number | undefined> {
    state.seq += 1;
    const opId = controllerOperationId(chain, state.seq);
    // Going down (or to the baseline) is what ends paid capacity: it is retried until verified, with alerts.
    const lowering = state.claims.length === 0 || state.known === null || rank(to) < rank(state.known);
    const apply = lowering && waiters.length ? lower : raise;
    let applied: string | null;
    try {
      applied = (await apply({ namespace, target: to, asyncOperationId: opId })).asyncOperationId;
    } catch (err) {
      const unchanged = REFUSED_BEFORE_ANY_CHANGE.has(failureType(err) ?? '');
      return failed(to, claimants, waiters, lowering, 'APPLY', err, unchanged, false);
    }
    const detail = applied === null ? `nothing to change: Cloud Ops already has ${describeTarget(to)} in the namespace's spec` : describeTarget(to);
    void tellAll(claimants, { about: 'claim', step: 'APPLY', outcome: 'SUCCEEDED', detail, asyncOperationId: applied, final: false });
    void tellAll(waiters, { about: 'release', step: 'REVERT', outcome: 'SUCCEEDED', detail, asyncOperationId: applied, final: false });
    try {
      await verifyCapacity({ namespace, target: to, asyncOperationId: applied, timeoutMs: policy.verifyTimeoutMs });
    } catch (err) {
      return failed(to, claimants, waiters, lowering, 'VERIFY', err, false, applied === null);
    }
    state.known = to;
    state.failedTarget = null;
    if (state.blocked) log.info('capacity change succeeded after being blocked', { namespace, rounds: state.blocked.attempts + 1 });
    state.blocked = null;
    for (const c of claimants) c.answered = true;
    retirePermanent(claimants, true);
    void tellAll(claimants, { about: 'claim', step: 'VERIFY', outcome: 'SUCCEEDED', asyncOperationId: applied, final: true });
    state.releasing = state.releasing.filter((w) => !waiters.includes(w));
    void tellAll(waiters, { about: 'release', step: 'REVERT_VERIFY', outcome: 'SUCCEEDED', asyncOperationId: applied, detail: heldBy(`the namespace has ${describeTarget(to)}`), final: true });
    tellOthers(claimants);
    return 'again';
  }

  /**
   * A change failed. Claimants hear it once (a refused raise drops their claims: nothing to revert). A failed raise
   * is not retried until the claims ask for something else; windows that released hear of it on the next pass.
   * A failed lowering is what could leave paid capacity on: the windows waiting for it hear every round, and the
   * round is retried. The windows alert; when none is left to tell, the controller alerts itself.
   */
  async function failed(
    to: CapacityTarget,
    claimants: HeldClaim[],
    waiters: Claim[],
    lowering: boolean,
    phase: 'APPLY' | 'VERIFY',
    err: unknown,
    unchanged: boolean,
    nothingWasSent: boolean,
  ): Promise<'again' | number | undefined> {
    const reason = reasonOf(err);
    const type = failureType(err);
    const waiterStep: StepName = phase === 'APPLY' ? 'REVERT' : 'REVERT_VERIFY';
    if (!unchanged) state.known = null;
    if (unchanged) state.claims = state.claims.filter((c) => !claimants.includes(c));
    else for (const c of claimants) c.answered = true;
    retirePermanent(claimants, false);
    void tellAll(claimants, { about: 'claim', step: phase, outcome: 'FAILED', detail: reason, unchanged, final: true });
    if (!unchanged) tellOthers(claimants);
    if (!lowering || !waiters.length) {
      if (!unchanged) state.failedTarget = to;
      return 'again';
    }
    state.blocked = { since: state.blocked?.since ?? new Date().toISOString(), attempts: (state.blocked?.attempts ?? 0) + 1, lastError: reason };
    const told = await tellAll(waiters, { about: 'release', step: waiterStep, outcome: 'FAILED', detail: reason, revertBlocked: state.blocked, final: false });
    if (!told) await alertNobodyLeft(waiters[0], waiterStep, reason);
    // A refusal retrying cannot fix (a revoked key), or a spec that already asks for the target while the namespace
    // shows otherwise (Cloud Ops answers "nothing to change"), is tried again at the alert cadence, not in a hot loop.
    return type === FailureType.NonRetryable || nothingWasSent ? policy.revertAlertAfterMs : 'again';
  }

  /**
   * Sends one report to each window, and resolves to whether anyone heard it; a window that no longer exists loses
   * its claim. The signals leave with this workflow task whether or not the caller waits.
   */
  function tellAll(to: Claim[], report: Omit<ControllerReport, 'namespaceHas' | 'baseline'> & { namespaceHas?: CapacityTarget | null }): Promise<boolean> {
    const full: ControllerReport = { namespaceHas: state.known, baseline: state.baseline, ...report };
    const sent = Promise.all(
      to.map(async (w) => {
        try {
          await getExternalWorkflowHandle(w.workflowId).signal(controllerReportSignal, full);
          return true;
        } catch (err) {
          log.warn('a window could not be told; dropping its claim', { namespace, windowId: w.windowId, reason: reasonOf(err) });
          state.claims = state.claims.filter((c) => c.workflowId !== w.workflowId);
          state.releasing = state.releasing.filter((r) => r.workflowId !== w.workflowId);
          dropped++;
          return false;
        }
      }),
    ).then((heard) => heard.some(Boolean));
    sending.add(sent);
    void sent.then(() => sending.delete(sent));
    return sent;
  }

  /** Every other active window hears what the namespace has now (its status shows it); nothing else changes for it. */
  function tellOthers(told: Claim[]): void {
    const others = state.claims.filter((c) => c.answered && !told.includes(c));
    void tellAll(others, { about: 'claim', step: 'VERIFY', outcome: 'SUCCEEDED', final: true });
  }

  async function alertNobodyLeft(w: Claim, step: StepName, reason: string): Promise<void> {
    try {
      await notifySlack({
        severity: 'CRITICAL',
        namespace,
        trus: w.trus,
        step,
        reason: `${reason} (no window is left to report this; the namespace controller retries)`,
        windowId: w.windowId,
        workflowId: workflowInfo().workflowId,
        requestedBy: w.requestedBy,
        requestReason: w.reason,
        startAt: w.startAt,
        endAt: w.endAt,
      });
    } catch (err) {
      log.error('alert could not be delivered', { namespace, step, reason: reasonOf(err) });
    }
  }

  /**
   * A permanent change holds no claim once answered: applied, it is the namespace's new baseline (what it keeps
   * when the windows around it end); failed, it is forgotten.
   */
  function retirePermanent(answered: Claim[], ok: boolean): void {
    for (const c of answered.filter((a) => a.endAt === null)) {
      state.claims = state.claims.filter((x) => x !== c);
      if (ok) {
        state.baseline = provisioned(c.trus);
        state.lastRevertTo = 'BASELINE';
      }
    }
  }

  function heldBy(text: string): string {
    const holders = state.claims.map((c) => c.windowId);
    return holders.length ? `${text}, for ${holders.length === 1 ? 'window' : 'windows'} ${holders.join(', ')}` : text;
  }
}

function earliest(times: (number | undefined)[]): number | undefined {
  const known = times.filter((t): t is number => t !== undefined);
  return known.length ? Math.min(...known) : undefined;
}

function describe(target: CapacityTarget | null): string {
  return target === null ? 'an unknown capacity' : describeTarget(target);
}
