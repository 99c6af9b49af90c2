// What a report from the namespace controller means for a window. Pure: state + report → new state, steps, alerts.
import type { ControllerReport } from '../../shared/controller.js';
import type {
  AlertInput,
  CapacityWindowResult,
  DriftSeen,
  Phase,
  Step,
  StepName,
  WindowProgress,
} from '../../shared/window.js';

/** What the reports decide of a window. */
export interface WindowReportState {
  phase: Phase;
  revertBlocked: WindowProgress['revertBlocked'];
  result: CapacityWindowResult;
  /** The controller's last word about the claim, and about the release, came. */
  claimAnswered: boolean;
  releaseAnswered: boolean;
  /** The claim failed without changing the namespace: nothing to revert. */
  claimRefused: boolean;
  /** What the window waits for now (the account's Cloud Ops budget); null: nothing but its own steps. */
  waitingFor: string | null;
  /** The latest drift seen while the window held the namespace. */
  drift?: DriftSeen | null;
}

export interface Alert {
  severity: AlertInput['severity'];
  step: StepName;
  reason: string;
}

export interface Heard {
  state: WindowReportState;
  /** Steps to add to the window's progress, in order. */
  steps: Step[];
  alerts: Alert[];
}

/** What one report adds: steps and alerts, recorded at one time. */
class Hearing {
  readonly steps: Step[] = [];
  readonly alerts: Alert[] = [];

  constructor(
    readonly next: WindowReportState,
    private readonly at: string,
  ) {}

  record(step: StepName, outcome: Step['outcome'], extra: Partial<Step> = {}): void {
    this.steps.push({ step, outcome, at: this.at, ...extra });
  }

  fail(step: StepName, reason: string, severity: Alert['severity']): void {
    this.next.result.errors.push(`${step}: ${reason}`);
    this.record(step, 'FAILED', { detail: reason });
    this.alerts.push({ severity, step, reason });
  }

  get heard(): Heard {
    return { state: this.next, steps: this.steps, alerts: this.alerts };
  }
}

/** A report after the last word on its subject changes nothing. */
export function hearReport(state: WindowReportState, report: ControllerReport, at: string): Heard {
  const h = new Hearing({ ...state, result: { ...state.result, errors: [...state.result.errors] } }, at);
  if (report.step === 'DRIFT') {
    hearDrift(h, report);
    return h.heard;
  }
  const open = report.about === 'claim' ? !state.claimAnswered : !state.releaseAnswered;
  if (open) h.next.waitingFor = null;
  // A change that waits (for the account's budget, a cool-down, the minimum interval) or the budget that let it go.
  if (report.outcome === 'WAITING' || report.step === 'BUDGET') {
    if (open) hearWait(h, report);
  } else if (report.slow && open) {
    // Still under way past Temporal's aim: said and alerted, nothing decided.
    const reason = report.detail ?? 'the change is slower than expected';
    h.record(report.step, 'STARTED', { detail: reason });
    h.alerts.push({ severity: 'WARNING', step: report.step, reason });
  } else if (
    report.late &&
    report.about === 'claim' &&
    report.outcome === 'SUCCEEDED' &&
    !state.result.verificationSuccess
  ) {
    hearLateVerification(h, report, at);
  } else if (report.about === 'claim' && !state.claimAnswered) {
    hearClaim(h, report, at);
  } else if (report.about === 'release' && !state.releaseAnswered) {
    hearRelease(h, report, at);
  }
  return h.heard;
}

/** The namespace was changed outside the scheduler: recorded; the controller sends one alert for all its windows. */
function hearDrift(h: Hearing, report: ControllerReport): void {
  if (report.drift) h.next.drift = report.drift;
  h.record('DRIFT', 'FAILED', report.detail ? { detail: report.detail } : {});
}

function hearWait(h: Hearing, report: ControllerReport): void {
  const waiting = report.outcome === 'WAITING';
  h.next.waitingFor = waiting ? (report.detail ?? 'the namespace controller') : null;
  h.record(report.step, waiting ? 'STARTED' : 'SUCCEEDED', report.detail ? { detail: report.detail } : {});
}

/** The change missed its deadline but landed: the result must not contradict the namespace. */
function hearLateVerification(h: Hearing, report: ControllerReport, at: string): void {
  const result = h.next.result;
  result.initialChangeSuccess = true;
  result.verificationSuccess = true;
  result.verifiedAt = at;
  result.heldFrom = report.changedAt ?? at;
  result.applyOperationId = report.asyncOperationId ?? result.applyOperationId;
  h.record('VERIFY', 'SUCCEEDED', applied(report.asyncOperationId, report.detail));
}

function hearClaim(h: Hearing, report: ControllerReport, at: string): void {
  const { next } = h;
  const result = next.result;
  if (report.baseline) result.baseline = report.baseline;
  if (report.outcome === 'FAILED') {
    if (report.step === 'VERIFY') result.initialChangeSuccess = true;
    next.claimRefused = report.unchanged === true;
    h.fail(report.step, report.detail ?? 'the capacity change failed', 'WARNING');
  } else {
    if (!result.initialChangeSuccess) {
      result.initialChangeSuccess = true;
      result.applyOperationId = report.asyncOperationId ?? null;
      h.record('APPLY', 'SUCCEEDED', applied(report.asyncOperationId, report.detail));
      next.phase = 'VERIFYING';
      h.record('VERIFY', 'STARTED');
    }
    if (report.step === 'VERIFY') {
      result.verificationSuccess = true;
      result.verifiedAt = at;
      result.heldFrom = report.changedAt ?? at;
      h.record('VERIFY', 'SUCCEEDED', report.detail ? { detail: report.detail } : {});
    }
  }
  next.claimAnswered = report.final;
}

function hearRelease(h: Hearing, report: ControllerReport, at: string): void {
  const { next } = h;
  const result = next.result;
  if (report.outcome === 'FAILED' && report.final) {
    // Other windows still hold the namespace, at a capacity nobody could verify: said, not retried for this one.
    if (result.heldFrom !== undefined) result.heldUntil = at;
    h.fail(report.step, report.detail ?? 'the revert could not be verified', 'WARNING');
  } else if (report.outcome === 'FAILED') {
    if (report.step === 'REVERT_VERIFY') result.reverted = true;
    next.revertBlocked = report.revertBlocked ?? null;
    next.phase = 'REVERTING';
    h.fail(report.step, report.detail ?? 'the revert failed', 'CRITICAL');
    h.record('REVERT', 'STARTED', { detail: 'the namespace controller tries again' });
  } else {
    if (report.step === 'REVERT' || next.phase !== 'REVERT_VERIFYING') {
      result.revertOperationId = report.asyncOperationId ?? null;
      h.record(
        'REVERT',
        'SUCCEEDED',
        applied(report.asyncOperationId, report.step === 'REVERT' ? report.detail : undefined),
      );
      next.phase = 'REVERT_VERIFYING';
      h.record('REVERT_VERIFY', 'STARTED');
    }
    if (report.step === 'REVERT_VERIFY') {
      // The change that settled it, which may not be the one announced first (that one may have failed).
      result.revertOperationId = report.asyncOperationId ?? null;
      result.reverted = true;
      result.revertedTo = report.namespaceHas;
      result.revertedToOnDemand = report.namespaceHas?.mode === 'ON_DEMAND';
      result.revertVerificationSuccess = true;
      result.revertedAt = at;
      if (result.heldFrom !== undefined) result.heldUntil = report.changedAt ?? at;
      next.revertBlocked = null;
      h.record('REVERT_VERIFY', 'SUCCEEDED', report.detail ? { detail: report.detail } : {});
    }
  }
  next.releaseAnswered = report.final;
}

function applied(asyncOperationId: string | null | undefined, detail: string | undefined): Partial<Step> {
  return {
    ...(asyncOperationId ? { asyncOperationId } : {}),
    ...(detail ? { detail } : {}),
  };
}
