import {
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import {
  FailureType,
  controllerOperationId,
  controllerReportSignal,
  describeTarget,
  sameTarget,
  type AlertInput,
  type BudgetAnswer,
  type CapacityTarget,
  type Claim,
  type ControllerInput,
  type ControllerMessage,
  type ControllerReport,
  type ControllerState,
  type HeldClaim,
  type StepName,
  type WindowPolicy,
  nextTryInMs,
  waitRefusalOf,
  type WaitRefusal,
} from '../shared/index.js';
import { BudgetLeases } from './budget-lease.js';
import { leaseMsFor } from './decisions/budget.js';
import { changeAllowedAtMs } from './decisions/change-gate.js';
import { emptyState, heldBy, retirePermanent, take } from './decisions/claims.js';
import { consistent, covered, desiredTarget, lowering, settled } from './decisions/capacity.js';
import {
  askText,
  decideDrift,
  driftedTo,
  earliest,
  heldClaimAnswer,
  leftByHand,
  nextLookAt,
  type DriftRead,
} from './decisions/drift.js';
import { claimGraceMs, expiredClaims, wakeUpAt } from './decisions/expiry.js';
import {
  AGAIN,
  IDLE,
  afterFailedChange,
  blockedAgain,
  revertStep,
  unchangedAfter,
  type Next,
} from './decisions/failed-change.js';
import { failureDetail, failureType, reasonOf } from './failures.js';
import { WakeUpAlarm } from './timers.js';

const RETRY = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '15s' } as const;
/** The least time a raise keeps retrying transient failures before its windows hear that it failed. */
const APPLY_RETRY_WINDOW_MS = 90_000;
/** How often a raise that missed its verification deadline is looked at again, at most. */
const LATE_CHECK_MAX_MS = 60_000;
/** Workflow patches: histories recorded before them replay without their commands. */
const SLOW_CHANGE_PATCH = 'slow-change-warning';
const LATE_CHANGE_PATCH = 'late-change-watch';
/** Changes made before the account's budget existed replay without asking for it. */
const ACCOUNT_BUDGET_PATCH = 'account-budget';
/** Drift detection: histories recorded before it replay without its reads, timers, alerts and memo. */
const DRIFT_PATCH = 'drift-check';
/** A deployment whose windows predate CLOUD_OPS_MAX_CONCURRENT_OPERATIONS: the API's documented limit. */
const DEFAULT_MAX_CONCURRENT_OPERATIONS = 10;

const { readBaseline, notifySlack } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  // A request someone else started on the namespace is waited out by retries, as long as a window may wait.
  scheduleToCloseTimeout: '15m',
  retry: RETRY,
});
// A drift check that cannot read waits for the next one: it never holds the controller up for long.
const { readNamespace, alertDrift } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '1m',
  retry: RETRY,
});

type Report = Omit<ControllerReport, 'namespaceHas' | 'baseline'> & { namespaceHas?: CapacityTarget | null };

/** A change that failed, as `fail` needs it. */
interface FailedChangeInput {
  to: CapacityTarget;
  claimants: HeldClaim[];
  waiters: Claim[];
  lowering: boolean;
  phase: 'APPLY' | 'VERIFY';
  err: unknown;
  unchanged: boolean;
  nothingWasSent: boolean;
}

/**
 * A namespace controller's state and its passes. Windows claim and release; the namespace gets the largest TRU
 * value among active claims, or its baseline when none is left. Changes happen one at a time and in order, each
 * verified; every window hears what happened to its claim or release.
 */
export class NamespaceController {
  readonly state: ControllerState;
  private readonly namespace: string;
  private readonly policy: WindowPolicy;
  private readonly graceMs: number;
  private readonly chain = workflowInfo().firstExecutionRunId;
  private readonly inbox: ControllerMessage[] = [];
  /** Reports on their way to windows. Nothing waits for them but the end of this run: a change never waits on a report. */
  private readonly sending = new Set<Promise<boolean>>();
  /** Bumped when a window could not be told and lost its claim: the claims changed, so the loop evaluates again. */
  private dropped = 0;
  private readonly alarm = new WakeUpAlarm();
  /** When the namespace last showed what the controller expected (a look, a verified change): drift checks count from it. */
  private lookedAtMs = Date.now();
  /** The hold-back the waiting windows last heard of: each wait is told once. */
  private toldWaitUntil: number | null = null;
  private readonly raise: Activities['applyCapacity'];
  private readonly lower: Activities['applyCapacity'];
  private readonly verify: Activities['verifyCapacity'];
  readonly budget: BudgetLeases;

  constructor(input: ControllerInput) {
    this.namespace = input.namespace;
    this.policy = input.policy;
    this.graceMs = claimGraceMs(input.policy.revertAlertAfterMs);
    this.state = input.state ?? emptyState();
    const applyMs = Math.max(input.policy.verifyTimeoutMs, APPLY_RETRY_WINDOW_MS);
    this.budget = new BudgetLeases(
      input.namespace,
      input.policy.maxConcurrentOperations ?? DEFAULT_MAX_CONCURRENT_OPERATIONS,
      leaseMsFor(input.policy, applyMs),
    );
    this.raise = proxyActivities<Activities>({
      startToCloseTimeout: '30s',
      scheduleToCloseTimeout: applyMs,
      retry: RETRY,
    }).applyCapacity;
    // Going down is what ends paid capacity: retried until the alert cadence, then again at each pass.
    this.lower = proxyActivities<Activities>({
      startToCloseTimeout: '30s',
      scheduleToCloseTimeout: input.policy.revertAlertAfterMs,
      retry: { ...RETRY, maximumInterval: '30s' },
    }).applyCapacity;
    this.verify = proxyActivities<Activities>({
      startToCloseTimeout: input.policy.verifyTimeoutMs + 60_000,
      heartbeatTimeout: '10s',
      retry: { ...RETRY, maximumInterval: '5s' },
    }).verifyCapacity;
  }

  receive(message: ControllerMessage): void {
    this.inbox.push(message);
  }

  get hasMail(): boolean {
    return this.inbox.length > 0;
  }

  /** No claim, no release waiting, nothing blocked: the run may end. */
  get idle(): boolean {
    return this.state.claims.length === 0 && this.state.releasing.length === 0 && this.state.blocked === null;
  }

  takeMessages(): void {
    for (const message of this.inbox.splice(0)) take(this.state, message, new Date().toISOString());
  }

  /** Every report has left: the run may end. */
  async reportsSent(): Promise<void> {
    await Promise.all(this.sending);
  }

  /** Waits for a message, or until a retry (`next`) or a claim's expiry falls due. */
  async sleep(next: Next): Promise<void> {
    const retryAt = next.kind === 'retryIn' ? Date.now() + next.ms : undefined;
    const drops = this.dropped;
    await this.alarm.sleep(
      () => earliest(wakeUpAt(retryAt, this.state.claims, this.graceMs), this.nextLook()),
      () => this.inbox.length > 0 || this.dropped !== drops,
    );
  }

  /** One pass: hears whether a late raise landed, looks for drift when due, then brings the namespace to the claims. */
  async evaluate(): Promise<Next> {
    if (this.state.unverified) await this.checkLateChange();
    await this.lookForDrift();
    const next = await this.bringToClaims();
    if (!this.state.unverified || next.kind === 'again') return next;
    const lateCheckMs = Math.min(LATE_CHECK_MAX_MS, Math.max(1_000, this.policy.verifyTimeoutMs / 4));
    return next.kind === 'retryIn' && next.ms < lateCheckMs ? next : { kind: 'retryIn', ms: lateCheckMs };
  }

  private async bringToClaims(): Promise<Next> {
    this.expireClaims();
    const state = this.state;
    if (state.claims.length && state.baseline === null) {
      try {
        const read = await readBaseline({ namespace: this.namespace });
        state.baseline = read.current;
        // A spec that asks for something else than the namespace has is no known state: the first change is sent.
        state.known = consistent(read) ? read.current : null;
        this.lookedAtMs = Date.now();
      } catch (err) {
        const failed = state.claims.filter((c) => !c.answered);
        state.claims = state.claims.filter((c) => c.answered);
        void this.tellAll(failed, {
          about: 'claim',
          step: 'APPLY',
          outcome: 'FAILED',
          detail: reasonOf(err),
          unchanged: true,
          final: true,
        });
        return AGAIN;
      }
    }
    if (state.manual) return this.holdByHand(state.manual.target);
    const to = desiredTarget(state.claims, state.baseline, state.lastRevertTo);
    let isSettled = settled(to, state.known);
    const knownToFail = !isSettled && to !== null && state.failedTarget !== null && sameTarget(to, state.failedTarget);
    const waiting = state.claims.some((c) => !c.answered) || state.releasing.length > 0;
    let isCovered = false;
    let observed: CapacityTarget | null = null;
    if (knownToFail && waiting) {
      // The claims changed since a change to `to` failed: read what the namespace has rather than guess.
      try {
        const read = await readBaseline({ namespace: this.namespace });
        state.known = consistent(read) ? read.current : null;
        isSettled = settled(to, state.known);
        if (isSettled) state.failedTarget = null;
        isCovered = covered(read, to);
        observed = read.current;
      } catch (err) {
        log.warn('could not read the namespace after a failed change', {
          namespace: this.namespace,
          reason: reasonOf(err),
        });
      }
    }
    if (isSettled || knownToFail) {
      this.answerWithoutChange(to, isSettled, isCovered, observed);
      return IDLE;
    }
    const allowedAt = changeAllowedAtMs(state, this.policy.minChangeIntervalMs ?? 0);
    if (allowedAt !== null && allowedAt > Date.now()) return this.holdBack(allowedAt);
    // Windows that released hear only what was verified: they wait for this change whichever way it goes (to is
    // set: a null one is settled).
    return this.change(
      to as CapacityTarget,
      state.claims.filter((c) => !c.answered),
      [...state.releasing],
    );
  }

  /** The next change may not go yet: the windows waiting for it hear until when (once), and the pass retries then. */
  private holdBack(allowedAt: number): Next {
    if (this.toldWaitUntil !== allowedAt) {
      this.toldWaitUntil = allowedAt;
      const at = new Date(allowedAt).toISOString();
      const detail = this.state.notBefore
        ? `Cloud Ops asked to wait: the next try is due at ${at}`
        : `the namespace's next change is allowed at ${at} (CAPACITY_CHANGE_MIN_INTERVAL)`;
      const unanswered = this.state.claims.filter((c) => !c.answered);
      void this.tellAll(unanswered, { about: 'claim', step: 'APPLY', outcome: 'WAITING', detail, final: false });
      void this.tellAll(this.state.releasing, {
        about: 'release',
        step: 'REVERT',
        outcome: 'WAITING',
        detail,
        final: false,
      });
    }
    return { kind: 'retryIn', ms: allowedAt - Date.now() };
  }

  /** The namespace is where the claims ask, or a change there already failed: every waiting window hears so. */
  private answerWithoutChange(
    to: CapacityTarget | null,
    isSettled: boolean,
    isCovered: boolean,
    observed: CapacityTarget | null,
  ): void {
    const state = this.state;
    const has = state.known;
    const unanswered = state.claims.filter((c) => !c.answered);
    for (const c of unanswered) c.answered = true;
    retirePermanent(this.state, unanswered, isSettled);
    void this.tellAll(
      unanswered,
      isSettled
        ? {
            about: 'claim',
            step: 'VERIFY',
            outcome: 'SUCCEEDED',
            detail: `nothing to change: the namespace has ${describe(has)}`,
            final: true,
          }
        : {
            about: 'claim',
            step: 'VERIFY',
            outcome: 'FAILED',
            detail: `a change to ${describe(to)} failed earlier; the namespace has ${describe(has)}`,
            unchanged: false,
            final: true,
          },
    );
    // A window that released is done when the namespace has no more than the windows still active ask for.
    const released = state.releasing.splice(0);
    const done = isCovered || (isSettled && has !== null);
    const seen = observed ?? has;
    void this.tellAll(
      released,
      done
        ? {
            about: 'release',
            step: 'REVERT_VERIFY',
            outcome: 'SUCCEEDED',
            detail: heldBy(this.state.claims, `nothing to change: the namespace has ${describe(seen)}`),
            namespaceHas: seen,
            final: true,
          }
        : {
            about: 'release',
            step: 'REVERT_VERIFY',
            outcome: 'FAILED',
            detail: heldBy(
              this.state.claims,
              to === null
                ? "the namespace controller has no verified record of the namespace's capacity (it was restarted): check it by hand"
                : `the namespace's capacity is unknown: a change to ${describeTarget(to)} was not verified`,
            ),
            final: true,
          },
    );
    state.blocked = null;
    if (state.claims.length === 0 && state.releasing.length === 0 && isSettled) {
      // Idle at the baseline: forget it, so the next window reads it afresh (someone may change it by hand).
      state.baseline = null;
      state.lastRevertTo = 'BASELINE';
    }
  }

  /** One change, within the account's budget of operations in flight: the windows hear when it has to wait. */
  private async change(to: CapacityTarget, claimants: HeldClaim[], waiters: Claim[]): Promise<Next> {
    this.state.seq += 1;
    const asyncOperationId = controllerOperationId(this.chain, this.state.seq);
    if (!patched(ACCOUNT_BUDGET_PATCH)) return this.changeNow(to, claimants, waiters, asyncOperationId);
    const askedAt = Date.now();
    let queued = false;
    await this.budget.acquire(asyncOperationId, (answer) => {
      queued = true;
      this.tellBudget(claimants, waiters, 'WAITING', waitingDetail(answer));
    });
    if (queued) this.tellBudget(claimants, waiters, 'SUCCEEDED', grantedDetail(Date.now() - askedAt));
    try {
      return await this.changeNow(to, claimants, waiters, asyncOperationId);
    } finally {
      await this.budget.release(asyncOperationId);
    }
  }

  private tellBudget(claimants: Claim[], waiters: Claim[], outcome: 'WAITING' | 'SUCCEEDED', detail: string): void {
    void this.tellAll(claimants, { about: 'claim', step: 'BUDGET', outcome, detail, final: false });
    void this.tellAll(waiters, { about: 'release', step: 'BUDGET', outcome, detail, final: false });
  }

  private async changeNow(
    to: CapacityTarget,
    claimants: HeldClaim[],
    waiters: Claim[],
    asyncOperationId: string,
  ): Promise<Next> {
    const state = this.state;
    // A new change makes whatever an older, late one does moot.
    state.unverified = null;
    const isLowering = lowering(to, state.known, state.claims.length);
    const apply = isLowering && waiters.length ? this.lower : this.raise;
    const failed = { to, claimants, waiters, lowering: isLowering };
    // The apply reads the namespace anyway: it sends nothing when that read shows drift, at no extra call.
    const expected = state.known !== null && patched(DRIFT_PATCH) ? { expected: state.known } : {};
    let applied: string | null;
    try {
      applied = (await apply({ namespace: this.namespace, target: to, asyncOperationId, ...expected }))
        .asyncOperationId;
    } catch (err) {
      if (failureType(err) === FailureType.Drift) {
        await this.driftFound(failureDetail(err) as DriftRead);
        return AGAIN;
      }
      return this.fail({
        ...failed,
        phase: 'APPLY',
        err,
        unchanged: unchangedAfter(failureType(err)),
        nothingWasSent: false,
      });
    }
    if (applied !== null) state.lastChangeAt = new Date().toISOString();
    state.notBefore = null;
    state.mustWaitRefusals = 0;
    this.tellApplied(to, applied, claimants, waiters);
    let changedAt: string | undefined;
    try {
      changedAt = await this.verifyChange(to, applied, claimants, waiters);
    } catch (err) {
      const next = await this.fail({
        ...failed,
        phase: 'VERIFY',
        err,
        unchanged: false,
        nothingWasSent: applied === null,
      });
      const late = failureType(err) === FailureType.VerificationTimeout && waiters.length === 0;
      if (late && applied !== null && claimants.length > 0 && patched(LATE_CHANGE_PATCH)) {
        state.unverified = { asyncOperationId: applied, to, workflowIds: claimants.map((c) => c.workflowId) };
      }
      return next;
    }
    this.verified(to, { applied, changedAt }, claimants, waiters);
    return AGAIN;
  }

  /** Cloud Ops accepted the change (or already had it): the windows hear so before verification. */
  private tellApplied(to: CapacityTarget, applied: string | null, claimants: HeldClaim[], waiters: Claim[]): void {
    const detail =
      applied === null
        ? `nothing to change: Cloud Ops already has ${describeTarget(to)} in the namespace's spec`
        : describeTarget(to);
    const report = { outcome: 'SUCCEEDED', detail, asyncOperationId: applied, final: false } as const;
    void this.tellAll(claimants, { about: 'claim', step: 'APPLY', ...report });
    void this.tellAll(waiters, { about: 'release', step: 'REVERT', ...report });
  }

  /** The namespace has `to`, verified: it is what the controller knows now, and every window hears it. */
  private verified(
    to: CapacityTarget,
    change: { applied: string | null; changedAt: string | undefined },
    claimants: HeldClaim[],
    waiters: Claim[],
  ): void {
    const { applied } = change;
    const when = change.changedAt === undefined ? {} : { changedAt: change.changedAt };
    const state = this.state;
    state.known = to;
    this.lookedAtMs = Date.now();
    state.failedTarget = null;
    if (state.blocked)
      log.info('capacity change succeeded after being blocked', {
        namespace: this.namespace,
        rounds: state.blocked.attempts + 1,
      });
    state.blocked = null;
    for (const c of claimants) c.answered = true;
    retirePermanent(this.state, claimants, true);
    void this.tellAll(claimants, {
      about: 'claim',
      step: 'VERIFY',
      outcome: 'SUCCEEDED',
      asyncOperationId: applied,
      ...when,
      final: true,
    });
    state.releasing = state.releasing.filter((w) => !waiters.includes(w));
    void this.tellAll(waiters, {
      about: 'release',
      step: 'REVERT_VERIFY',
      outcome: 'SUCCEEDED',
      asyncOperationId: applied,
      detail: heldBy(this.state.claims, `the namespace has ${describeTarget(to)}`),
      ...when,
      final: true,
    });
    this.tellOthers(claimants);
  }

  /**
   * A change failed. Claimants hear it once (a refused raise drops their claims: nothing to revert). A failed raise
   * is not retried until the claims ask for something else; windows that released hear of it on the next pass.
   * A failed lowering is what could leave paid capacity on: the windows waiting for it hear every round, and the
   * round is retried. The windows alert; when none is left to tell, the controller alerts itself.
   */
  private async fail(f: FailedChangeInput): Promise<Next> {
    const state = this.state;
    const reason = reasonOf(f.err);
    const refusal = failureType(f.err) === FailureType.MustWait ? waitRefusalOf(reason, Date.now()) : null;
    if (f.phase === 'APPLY' && refusal) return this.waitOut(f, refusal);
    const after = afterFailedChange({
      lowering: f.lowering,
      waiters: f.waiters.length,
      unchanged: f.unchanged,
      failureType: failureType(f.err),
      nothingWasSent: f.nothingWasSent,
      retryAfterMs: this.policy.revertAlertAfterMs,
    });
    if (!f.unchanged) state.known = null;
    if (f.unchanged) state.claims = state.claims.filter((c) => !f.claimants.includes(c));
    else for (const c of f.claimants) c.answered = true;
    retirePermanent(this.state, f.claimants, false);
    void this.tellAll(f.claimants, {
      about: 'claim',
      step: f.phase,
      outcome: 'FAILED',
      detail: reason,
      unchanged: f.unchanged,
      final: true,
    });
    if (!f.unchanged) this.tellOthers(f.claimants);
    if (!after.blocks) {
      if (after.rememberTarget) state.failedTarget = f.to;
      return after.next;
    }
    const step = revertStep(f.phase);
    state.blocked = blockedAgain(state.blocked, reason, new Date().toISOString());
    const told = await this.tellAll(f.waiters, {
      about: 'release',
      step,
      outcome: 'FAILED',
      detail: reason,
      revertBlocked: state.blocked,
      final: false,
    });
    if (!told) await this.alertNobodyLeft(f.waiters[0], step, reason);
    return after.next;
  }

  /**
   * Verifies a change until VERIFY_TIMEOUT; past CHANGE_SLOW_AFTER (Temporal's two-minute aim) its windows hear that
   * it is slow, and verification goes on. Resolves to when the namespace took the change (absent in older histories).
   */
  private async verifyChange(
    to: CapacityTarget,
    applied: string | null,
    claimants: HeldClaim[],
    waiters: Claim[],
  ): Promise<string | undefined> {
    const { verifyTimeoutMs, slowChangeAfterMs } = this.policy;
    const input = { namespace: this.namespace, target: to, asyncOperationId: applied };
    if (slowChangeAfterMs === undefined || slowChangeAfterMs >= verifyTimeoutMs || !patched(SLOW_CHANGE_PATCH)) {
      return (await this.verify({ ...input, timeoutMs: verifyTimeoutMs })).changedAt;
    }
    try {
      return (await this.verify({ ...input, timeoutMs: slowChangeAfterMs })).changedAt;
    } catch (err) {
      if (failureType(err) !== FailureType.VerificationTimeout) throw err;
      const detail = `slow: not verified after ${Math.round(slowChangeAfterMs / 1000)} s (Temporal aims at two minutes); verification goes on for up to ${Math.round(verifyTimeoutMs / 1000)} s: ${reasonOf(err)}`;
      void this.tellAll(claimants, {
        about: 'claim',
        step: 'VERIFY',
        outcome: 'SUCCEEDED',
        slow: true,
        detail,
        final: false,
      });
      void this.tellAll(waiters, {
        about: 'release',
        step: 'REVERT_VERIFY',
        outcome: 'SUCCEEDED',
        slow: true,
        detail,
        final: false,
      });
    }
    return (await this.verify({ ...input, timeoutMs: verifyTimeoutMs - slowChangeAfterMs })).changedAt;
  }

  /** One look at a raise that missed its deadline: landed, its windows hear it late; ended otherwise, it is let go. */
  private async checkLateChange(): Promise<void> {
    const late = this.state.unverified as NonNullable<ControllerState['unverified']>;
    let changedAt: string | undefined;
    try {
      ({ changedAt } = await this.verify({
        namespace: this.namespace,
        target: late.to,
        asyncOperationId: late.asyncOperationId,
        timeoutMs: 1,
      }));
    } catch (err) {
      if (failureType(err) !== FailureType.VerificationTimeout) this.state.unverified = null;
      return;
    }
    const state = this.state;
    state.unverified = null;
    state.known = late.to;
    if (state.failedTarget !== null && sameTarget(state.failedTarget, late.to)) state.failedTarget = null;
    log.info('a capacity change landed after its verification deadline', {
      namespace: this.namespace,
      asyncOperationId: late.asyncOperationId,
    });
    void this.tellAll(
      state.claims.filter((c) => late.workflowIds.includes(c.workflowId)),
      {
        about: 'claim',
        step: 'VERIFY',
        outcome: 'SUCCEEDED',
        late: true,
        asyncOperationId: late.asyncOperationId,
        ...(changedAt === undefined ? {} : { changedAt }),
        detail: `${describeTarget(late.to)}, verified after the verification deadline`,
        final: true,
      },
    );
  }

  /**
   * Cloud Ops refused the change for a cool-down or a rate limit: nothing changed, and nothing is dropped. The
   * windows hear the server's reason and when the next try is due (a WARNING for a raise); a revert stays blocked,
   * CRITICAL at each refused try.
   */
  private async waitOut(f: FailedChangeInput, refusal: WaitRefusal): Promise<Next> {
    const state = this.state;
    state.mustWaitRefusals = (state.mustWaitRefusals ?? 0) + 1;
    // When the server says, or at the alert cadence if sooner: a blocked revert keeps alerting while it waits.
    const nextTry = Date.now() + Math.min(nextTryInMs(refusal, state.mustWaitRefusals), this.policy.revertAlertAfterMs);
    state.notBefore = new Date(nextTry).toISOString();
    this.toldWaitUntil = nextTry;
    const detail = `${refusal.reason}; next try at ${state.notBefore}`;
    void this.tellAll(f.claimants, { about: 'claim', step: 'APPLY', outcome: 'FAILED', detail, final: false });
    if (f.waiters.length) {
      state.blocked = blockedAgain(state.blocked, detail, new Date().toISOString());
      const told = await this.tellAll(f.waiters, {
        about: 'release',
        step: 'REVERT',
        outcome: 'FAILED',
        detail,
        revertBlocked: state.blocked,
        final: false,
      });
      if (!told) await this.alertNobodyLeft(f.waiters[0], 'REVERT', detail);
    }
    return { kind: 'retryIn', ms: nextTry - Date.now() };
  }

  /** When the next drift check is due (DRIFT_CHECK_INTERVAL after the last look), if one is. */
  private nextLook(): number | undefined {
    const at = nextLookAt(this.lookedAtMs, this.policy.driftCheckIntervalMs ?? 0, this.state);
    return at !== undefined && patched(DRIFT_PATCH) ? at : undefined;
  }

  /** Re-reads the namespace when a drift check is due; a read that fails waits for the next check. */
  private async lookForDrift(): Promise<void> {
    const due = this.nextLook();
    if (due === undefined || due > Date.now()) return;
    this.lookedAtMs = Date.now();
    let read: DriftRead;
    try {
      read = await readNamespace({ namespace: this.namespace });
    } catch (err) {
      log.warn('could not re-read the namespace to look for drift', {
        namespace: this.namespace,
        reason: reasonOf(err),
      });
      return;
    }
    await this.driftFound(read);
  }

  /**
   * Someone else changed the namespace (if the read says so): every window holding it or waiting for its revert hears
   * it, one alert names them all, and DRIFT_POLICY decides what the controller knows and whether a value holds by hand.
   */
  private async driftFound(read: DriftRead): Promise<void> {
    const state = this.state;
    const found = driftedTo(state.known, read);
    if (found === null) return;
    const policy = this.policy.driftPolicy ?? 'respect';
    const decision = decideDrift({
      policy,
      expected: state.known as CapacityTarget,
      found,
      read,
      desired: desiredTarget(state.claims, state.baseline, state.lastRevertTo),
      at: new Date().toISOString(),
    });
    state.known = decision.known;
    state.manual = decision.manual && { target: decision.manual, since: decision.seen.at };
    state.lastDrift = decision.seen;
    const affected = [...state.claims, ...state.releasing];
    const windowIds = affected.map((w) => w.windowId);
    upsertMemo({ drift: { ...decision.seen, windowIds } });
    const report = {
      step: 'DRIFT',
      outcome: 'FAILED',
      detail: decision.detail,
      drift: decision.seen,
      final: false,
    } as const;
    void this.tellAll(state.claims, { about: 'claim', ...report });
    void this.tellAll(state.releasing, { about: 'release', ...report });
    try {
      await alertDrift({
        policy,
        alert: this.alertFor(affected, `${decision.detail}; windows: ${windowIds.join(', ')}`),
      });
    } catch (err) {
      log.error('drift alert could not be delivered', { namespace: this.namespace, reason: reasonOf(err) });
    }
  }

  /**
   * DRIFT_POLICY=respect and a value set by hand holds: nothing is changed. New claims are answered by it (covered, or
   * refused), windows that end are not reverted, and when the last one ends an alert asks what to do.
   */
  private async holdByHand(manual: CapacityTarget): Promise<Next> {
    const state = this.state;
    const unanswered = state.claims.filter((c) => !c.answered);
    for (const c of unanswered) {
      const answer = heldClaimAnswer(manual, c.trus);
      if (answer.covered) c.answered = true;
      else state.claims = state.claims.filter((x) => x !== c);
      void this.tellAll(
        [c],
        answer.covered
          ? { about: 'claim', step: 'VERIFY', outcome: 'SUCCEEDED', detail: answer.detail, final: true }
          : { about: 'claim', step: 'APPLY', outcome: 'FAILED', detail: answer.detail, unchanged: true, final: true },
      );
    }
    retirePermanent(state, unanswered, false);
    const released = state.releasing.splice(0);
    state.blocked = null;
    if (released.length === 0) return IDLE;
    // Only the last window to end is owed where the namespace would have gone.
    const last = state.claims.length === 0;
    const revertTo = last ? desiredTarget([], state.baseline, state.lastRevertTo) : null;
    const left = leftByHand(manual, revertTo);
    void this.tellAll(released, {
      about: 'release',
      step: 'REVERT_VERIFY',
      outcome: 'SUCCEEDED',
      detail: heldBy(state.claims, left.detail),
      namespaceHas: manual,
      final: true,
    });
    if (last) await this.endHold(manual, revertTo, released, left.ask);
    return IDLE;
  }

  /** The last window ended while a value held by hand: left as it is (asked about), and the namespace forgotten. */
  private async endHold(
    manual: CapacityTarget,
    revertTo: CapacityTarget | null,
    released: Claim[],
    ask: boolean,
  ): Promise<void> {
    if (ask) {
      const reason = askText(
        manual,
        revertTo,
        released.map((w) => w.windowId),
      );
      try {
        await notifySlack(this.alertFor(released, reason));
      } catch (err) {
        log.error('alert could not be delivered', { namespace: this.namespace, reason: reasonOf(err) });
      }
    }
    // The next window reads the namespace afresh: its baseline is whatever it has then.
    const state = this.state;
    state.manual = null;
    state.baseline = null;
    state.known = null;
    state.lastRevertTo = 'BASELINE';
  }

  /** A drift alert the controller sends itself, naming the windows it concerns. */
  private alertFor(windows: Claim[], reason: string): AlertInput {
    return {
      severity: 'WARNING',
      namespace: this.namespace,
      trus: Math.max(0, ...windows.map((w) => w.trus)),
      step: 'DRIFT',
      reason,
      windowId: windows.map((w) => w.windowId).join(', '),
      workflowId: workflowInfo().workflowId,
    };
  }

  private expireClaims(): void {
    for (const claim of expiredClaims(this.state.claims, this.graceMs, Date.now())) {
      log.warn('a window did not release its claim after its end; releasing it', {
        namespace: this.namespace,
        windowId: claim.windowId,
      });
      take(this.state, { kind: 'release', workflowId: claim.workflowId }, new Date().toISOString());
    }
  }

  /**
   * Sends one report to each window, and resolves to whether anyone heard it; a window that no longer exists loses
   * its claim. The signals leave with this workflow task whether or not the caller waits.
   */
  private tellAll(to: Claim[], report: Report): Promise<boolean> {
    const full: ControllerReport = { namespaceHas: this.state.known, baseline: this.state.baseline, ...report };
    const sent = Promise.all(
      to.map(async (w) => {
        try {
          await getExternalWorkflowHandle(w.workflowId).signal(controllerReportSignal, full);
          return true;
        } catch (err) {
          log.warn('a window could not be told; dropping its claim', {
            namespace: this.namespace,
            windowId: w.windowId,
            reason: reasonOf(err),
          });
          this.state.claims = this.state.claims.filter((c) => c.workflowId !== w.workflowId);
          this.state.releasing = this.state.releasing.filter((r) => r.workflowId !== w.workflowId);
          this.dropped++;
          return false;
        }
      }),
    ).then((heard) => heard.some(Boolean));
    this.sending.add(sent);
    void sent.then(() => this.sending.delete(sent));
    return sent;
  }

  /** Every other active window hears what the namespace has now (its status shows it); nothing else changes for it. */
  private tellOthers(told: Claim[]): void {
    const others = this.state.claims.filter((c) => c.answered && !told.includes(c));
    void this.tellAll(others, { about: 'claim', step: 'VERIFY', outcome: 'SUCCEEDED', final: true });
  }

  private async alertNobodyLeft(w: Claim, step: StepName, reason: string): Promise<void> {
    try {
      await notifySlack({
        severity: 'CRITICAL',
        namespace: this.namespace,
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
      log.error('alert could not be delivered', { namespace: this.namespace, step, reason: reasonOf(err) });
    }
  }
}

function waitingDetail(answer: BudgetAnswer): string {
  const ahead = answer.ahead === 1 ? '1 change' : `${answer.ahead} changes`;
  return `waits for the account's Cloud Ops budget: ${answer.inFlight} of ${answer.limit} operations in flight, ${ahead} ahead`;
}

function grantedDetail(waitedMs: number): string {
  return `the account's Cloud Ops budget let the change go after ${Math.round(waitedMs / 1000)} s`;
}

function describe(target: CapacityTarget | null): string {
  return target === null ? 'an unknown capacity' : describeTarget(target);
}
