import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import {
  condition,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import {
  describeTarget,
  windowIdOf,
  type CancelRequest,
  type CapacityWindowInput,
  type CapacityWindowResult,
  type ControllerMessage,
  type ControllerReport,
  type Phase,
  type SetEndRequest,
  type Step,
  type StepName,
  type WindowProgress,
} from '../shared/index.js';
import { hearReport, type Alert, type WindowReportState } from './decisions/window-report.js';
import {
  changeBeginsMs,
  endMoveRefusal,
  finished,
  windowEndMs,
  windowStartMs,
  type EndMove,
} from './decisions/window-times.js';
import { reasonOf } from './failures.js';
import { ProgressPublisher } from './publisher.js';
import { MovableDeadline } from './timers.js';

const RETRY = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '15s' } as const;
/**
 * A window that has heard nothing from its namespace's controller for this long says again what it wants (the
 * controller may have been terminated by hand); a repeated claim or release is answered again, never applied twice.
 */
const REPEAT_AFTER_MS = 5 * 60_000;

const { notifySlack } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { ...RETRY, maximumAttempts: 3 },
});
// Someone else's capacity request on the namespace is waited out by retries, for up to 15 minutes.
const { validateCapacity } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '15m',
  retry: RETRY,
});
// Delivering a claim or release only needs Temporal itself: keep trying for as long as it takes. A local
// activity, so that a release reaches the controller in the workflow task that decided it. (Only here: the core
// SDK retries a local activity inside one workflow task past its schedule-to-close timeout, which the Cloud Ops
// activities' alert cadence depends on.)
const { tellController } = proxyLocalActivities<Activities>({ startToCloseTimeout: '30s', retry: RETRY });

const SCHEDULED_START_TIME = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/**
 * A capacity window's state and its steps. Handlers change the state; the workflow function calls the steps in
 * order. A step that ends with a record leaves the write to the next one (`publisher.handOver`), which writes in
 * the same workflow task: one write, as the history of a window has always had.
 */
export class CapacityWindow {
  readonly progress: WindowProgress;
  result: CapacityWindowResult;
  /** The claim went out: whatever happens next, it is released. */
  claimed = false;
  private readonly workflowId: string;
  private readonly windowId: string;
  private readonly startMs: number;
  private readonly end: MovableDeadline | null;
  private readonly publisher: ProgressPublisher;
  private cancelRequest: CancelRequest | null = null;
  private claimAnswered = false;
  private claimRefused = false;
  private releaseAnswered = false;
  private lastHeardMs = Date.now();
  /** While the flow waits for the controller's last word: whether it has it. */
  private awaitingAnswer: (() => boolean) | null = null;
  private alerts: Alert[] = [];

  constructor(private readonly input: CapacityWindowInput) {
    const info = workflowInfo();
    this.workflowId = info.workflowId;
    this.windowId = windowIdOf(info.workflowId, info.firstExecutionRunId);
    this.startMs = windowStartMs(
      input.startAt,
      info.typedSearchAttributes.get(SCHEDULED_START_TIME),
      info.runStartTime,
      input.scheduleLeadMs,
    );
    const endMs = windowEndMs(input, this.startMs);
    this.end = endMs === null ? null : new MovableDeadline(endMs);
    this.progress = {
      phase: 'PENDING',
      startAt: new Date(this.startMs).toISOString(),
      endAt: endMs === null ? null : new Date(endMs).toISOString(),
      steps: [],
      revertBlocked: null,
      namespaceCapacity: null,
    };
    this.result = {
      initialChangeSuccess: false,
      verificationSuccess: false,
      revertedToOnDemand: false,
      revertVerificationSuccess: false,
      errors: [],
      startedAt: this.progress.startAt,
      verifiedAt: null,
      revertedAt: null,
      completedAt: this.progress.startAt,
      applyOperationId: null,
      revertOperationId: null,
      baseline: null,
      reverted: false,
      revertedTo: null,
      cancelled: null,
    };
    this.publisher = new ProgressPublisher(
      this.progress,
      () => ({ startMs: this.startMs, endMs: this.end?.ms ?? null }),
      // The answer the flow waits for came: it writes when it goes on, in this same task.
      () => this.awaitingAnswer?.() === true && this.alerts.length === 0,
    );
  }

  get cancelled(): boolean {
    return this.cancelRequest !== null;
  }

  /** The claim failed without changing the namespace: nothing to release. */
  get refused(): boolean {
    return this.claimRefused;
  }

  /** A permanent change has no end: once answered, it is done. */
  get permanent(): boolean {
    return this.end === null;
  }

  get verified(): boolean {
    return this.result.verificationSuccess;
  }

  get revertVerified(): boolean {
    return this.result.revertVerificationSuccess;
  }

  cancel(request: CancelRequest): void {
    if (this.cancelRequest || finished(this.progress.phase)) return;
    this.cancelRequest = request;
    this.result.cancelled = { by: request.by, reason: request.reason, at: new Date().toISOString() };
    const why = request.reason ? `: ${request.reason}` : '';
    this.record('CANCEL', 'SUCCEEDED', {
      detail: `cancelled by ${request.by ?? 'unknown'}${why}`,
      ...auditOf(request),
    });
  }

  checkEndMove(move: EndMove): void {
    const refusal = endMoveRefusal(move, {
      phase: this.progress.phase,
      cancelled: this.cancelled,
      startMs: this.startMs,
      endMs: this.end?.ms ?? null,
      nowMs: Date.now(),
    });
    if (refusal) throw new Error(refusal);
  }

  /** Accepted only by checkEndMove, which refuses a permanent change. */
  moveEnd(request: SetEndRequest): WindowProgress {
    const end = this.end as MovableDeadline;
    end.move(Date.parse(request.endAt));
    this.progress.endAt = new Date(end.ms).toISOString();
    this.record('WAIT', 'STARTED', { detail: `until ${this.progress.endAt} (end moved)`, ...auditOf(request) });
    return this.progress;
  }

  hearReport(report: ControllerReport): void {
    const at = new Date().toISOString();
    this.lastHeardMs = Date.now();
    this.progress.namespaceCapacity = { has: report.namespaceHas, at };
    const heard = hearReport(this.reportState(), report, at);
    this.progress.phase = heard.state.phase;
    this.progress.revertBlocked = heard.state.revertBlocked;
    this.progress.waitingFor = heard.state.waitingFor;
    if (heard.state.drift) this.progress.drift = heard.state.drift;
    this.progress.steps.push(...heard.steps);
    this.result = heard.state.result;
    if (this.result.heldFrom !== undefined)
      this.progress.held = { from: this.result.heldFrom, until: this.result.heldUntil ?? null };
    this.claimAnswered = heard.state.claimAnswered;
    this.claimRefused = heard.state.claimRefused;
    this.releaseAnswered = heard.state.releaseAnswered;
    this.alerts.push(...heard.alerts);
    this.publisher.publish();
  }

  /**
   * A future window waits here, in a durable timer of its own rather than a Temporal start delay: a workflow that
   * is running can be read, cancelled and given a new end before it starts. Its change begins early by the
   * provisioning lead; its start and end stay where the user put them.
   */
  async untilStart(): Promise<void> {
    // Windows started before PROVISIONING_LEAD existed have none.
    const beginsMs = changeBeginsMs(this.startMs, this.input.policy.provisioningLeadMs ?? 0, Date.now());
    if (beginsMs <= Date.now()) return;
    this.setPhase('SCHEDULED');
    await condition(() => this.cancelled, beginsMs - Date.now());
    this.progress.phase = 'PENDING';
  }

  /** Checks the window against the namespace and the guardrails; false: refused, and said so. */
  async validate(): Promise<boolean> {
    this.record('VALIDATE', 'STARTED');
    try {
      const { current } = await validateCapacity({
        namespace: this.input.namespace,
        trus: this.input.trus,
        windowMs: this.end === null ? null : this.end.ms - this.startMs,
        acknowledgeShortWindow: this.input.acknowledgeShortWindow,
      });
      this.record('VALIDATE', 'SUCCEEDED', { detail: `the namespace has ${describeTarget(current)}` });
      this.publisher.handOver();
      return true;
    } catch (err) {
      if (isCancellation(err)) throw err;
      this.fail('VALIDATE', reasonOf(err), 'WARNING');
      for (const a of this.alerts.splice(0)) await this.alert(a);
      return false;
    }
  }

  /** Claims the TRUs from the namespace's controller and waits for its last word on them. */
  async claim(): Promise<void> {
    this.setPhase('APPLYING');
    this.record('APPLY', 'STARTED', { detail: `claims ${this.input.trus} TRUs from the namespace controller` });
    this.claimed = true;
    await this.tell(this.claimMessage());
    await this.untilAnswered(
      () => this.claimAnswered,
      () => this.tell(this.claimMessage()),
    );
  }

  /** Holds the capacity until the end, which may move, or until the window is cancelled. */
  async holdUntilEnd(): Promise<void> {
    const end = this.end as MovableDeadline;
    this.setPhase('ACTIVE');
    if (!this.cancelled) this.record('WAIT', 'STARTED', { detail: `until ${this.progress.endAt}` });
    // Checked here, not only in the wait: an end already past goes on to the release in this same task.
    if (!this.cancelled && end.ms > Date.now()) {
      // The controller drops claims long past their end: tell it about a moved one.
      await end.wait(
        () => this.cancelled,
        () => this.tell(this.claimMessage()),
      );
    }
    if (!this.cancelled) this.record('WAIT', 'SUCCEEDED');
    this.publisher.handOver();
  }

  /** The workflow was cancelled (not the window's own cancel signal): it reverts now. */
  interrupted(): void {
    this.record('WAIT', 'FAILED', { detail: 'window cancelled; reverting now' });
  }

  /** Releases the claim and waits to hear the namespace verified where it goes next. */
  async release(): Promise<void> {
    this.setPhase('REVERTING');
    this.record('REVERT', 'STARTED', { detail: 'releases the claim' });
    const release = () => this.tell({ kind: 'release', workflowId: this.workflowId });
    await release();
    await this.untilAnswered(() => this.releaseAnswered, release);
  }

  finish(phase: 'COMPLETED' | 'FAILED'): CapacityWindowResult {
    this.result.completedAt = new Date().toISOString();
    this.progress.phase = phase;
    this.publisher.flush();
    return this.result;
  }

  private reportState(): WindowReportState {
    return {
      phase: this.progress.phase,
      revertBlocked: this.progress.revertBlocked,
      result: this.result,
      claimAnswered: this.claimAnswered,
      claimRefused: this.claimRefused,
      releaseAnswered: this.releaseAnswered,
      waitingFor: this.progress.waitingFor ?? null,
      drift: this.progress.drift ?? null,
    };
  }

  private setPhase(phase: Phase): void {
    this.progress.phase = phase;
    this.publisher.publish();
  }

  private record(step: StepName, outcome: Step['outcome'], extra: Partial<Step> = {}): void {
    this.progress.steps.push({ step, outcome, at: new Date().toISOString(), ...extra });
    this.publisher.publish();
  }

  private fail(step: StepName, reason: string, severity: Alert['severity']): void {
    this.result.errors.push(`${step}: ${reason}`);
    this.record(step, 'FAILED', { detail: reason });
    this.alerts.push({ severity, step, reason });
  }

  /** Waits for the controller's last word, alerting on each failure it reports; repeats itself if it hears nothing. */
  private async untilAnswered(answered: () => boolean, repeat: () => Promise<void>): Promise<void> {
    let since = Date.now();
    try {
      for (;;) {
        this.awaitingAnswer = null;
        for (const a of this.alerts.splice(0)) await this.alert(a);
        if (answered()) return;
        // A report that is not the last word does not end this wait: its timer runs on, and when it fires, a
        // report heard meanwhile puts the repeat off (a timer cancelled and started again per report is two events).
        const left = Math.max(since, this.lastHeardMs) + REPEAT_AFTER_MS - Date.now();
        if (left > 0) {
          this.awaitingAnswer = answered;
          await condition(() => answered() || this.alerts.length > 0, left);
          continue;
        }
        await repeat();
        since = Date.now();
      }
    } finally {
      this.awaitingAnswer = null;
    }
  }

  private claimMessage(): ControllerMessage {
    return {
      kind: 'claim',
      claim: {
        workflowId: this.workflowId,
        windowId: this.windowId,
        trus: this.input.trus,
        revertTo: this.input.revertTo ?? 'BASELINE',
        endAt: this.end === null ? null : new Date(this.end.ms).toISOString(),
        startAt: this.progress.startAt,
        requestedBy: this.input.requestedBy ?? null,
        reason: this.input.reason ?? null,
      },
    };
  }

  private tell(message: ControllerMessage): Promise<void> {
    return tellController({ namespace: this.input.namespace, policy: this.input.policy, message });
  }

  private async alert({ severity, step, reason }: Alert): Promise<void> {
    const { namespace, trus } = this.input;
    log.warn('capacity window alert', { namespace, step, severity, reason });
    try {
      await notifySlack({
        severity,
        namespace,
        trus,
        step,
        reason,
        windowId: this.windowId,
        workflowId: this.workflowId,
        requestedBy: this.input.requestedBy ?? null,
        requestReason: this.input.reason ?? null,
        startAt: this.progress.startAt,
        endAt: this.progress.endAt,
      });
    } catch (err) {
      log.error('alert could not be delivered', { namespace, step, reason: reasonOf(err) });
    }
  }
}

/** The caller's name and request id on the step they caused, when the signal or update carried them. */
function auditOf(request: { by?: string | null; requestId?: string }): Pick<Step, 'by' | 'requestId'> {
  return request.requestId === undefined ? {} : { by: request.by ?? null, requestId: request.requestId };
}
