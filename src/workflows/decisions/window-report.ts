// What a report from the namespace controller means for a window. Pure: state + report → new state, steps, alerts.
import type { ControllerReport } from '../../shared/controller.js';
import type { AlertInput, CapacityWindowResult, Phase, Step, StepName, WindowProgress } from '../../shared/window.js';

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

/** A report after the last word on its subject changes nothing. */
export function hearReport(state: WindowReportState, report: ControllerReport, at: string): Heard {
  const next: WindowReportState = { ...state, result: { ...state.result, errors: [...state.result.errors] } };
  const steps: Step[] = [];
  const alerts: Alert[] = [];
  const result = next.result;
  const record = (step: StepName, outcome: Step['outcome'], extra: Partial<Step> = {}) =>
    void steps.push({ step, outcome, at, ...extra });
  const fail = (step: StepName, reason: string, severity: Alert['severity']) => {
    result.errors.push(`${step}: ${reason}`);
    record(step, 'FAILED', { detail: reason });
    alerts.push({ severity, step, reason });
  };

  const open = report.about === 'claim' ? !state.claimAnswered : !state.releaseAnswered;
  if (open) next.waitingFor = null;
  // A change that waits (for the account's budget, a cool-down, the minimum interval) or the budget that let it go.
  if (report.outcome === 'WAITING' || report.step === 'BUDGET') {
    if (!open) return { state: next, steps, alerts };
    const waiting = report.outcome === 'WAITING';
    next.waitingFor = waiting ? (report.detail ?? 'the namespace controller') : null;
    record(report.step, waiting ? 'STARTED' : 'SUCCEEDED', report.detail ? { detail: report.detail } : {});
    return { state: next, steps, alerts };
  }
  if (report.slow && open) {
    // Still under way past Temporal's aim: said and alerted, nothing decided.
    const reason = report.detail ?? 'the change is slower than expected';
    record(report.step, 'STARTED', { detail: reason });
    alerts.push({ severity: 'WARNING', step: report.step, reason });
  } else if (report.late && report.about === 'claim' && report.outcome === 'SUCCEEDED' && !result.verificationSuccess) {
    // The change missed its deadline but landed: the result must not contradict the namespace.
    result.initialChangeSuccess = true;
    result.verificationSuccess = true;
    result.verifiedAt = at;
    result.applyOperationId = report.asyncOperationId ?? result.applyOperationId;
    record('VERIFY', 'SUCCEEDED', applied(report.asyncOperationId, report.detail));
  } else if (report.about === 'claim' && !state.claimAnswered) {
    if (report.baseline) result.baseline = report.baseline;
    if (report.outcome === 'FAILED') {
      if (report.step === 'VERIFY') result.initialChangeSuccess = true;
      next.claimRefused = report.unchanged === true;
      fail(report.step, report.detail ?? 'the capacity change failed', 'WARNING');
    } else {
      if (!result.initialChangeSuccess) {
        result.initialChangeSuccess = true;
        result.applyOperationId = report.asyncOperationId ?? null;
        record('APPLY', 'SUCCEEDED', applied(report.asyncOperationId, report.detail));
        next.phase = 'VERIFYING';
        record('VERIFY', 'STARTED');
      }
      if (report.step === 'VERIFY') {
        result.verificationSuccess = true;
        result.verifiedAt = at;
        record('VERIFY', 'SUCCEEDED', report.detail ? { detail: report.detail } : {});
      }
    }
    next.claimAnswered = report.final;
  } else if (report.about === 'release' && !state.releaseAnswered) {
    if (report.outcome === 'FAILED' && report.final) {
      // Other windows still hold the namespace, at a capacity nobody could verify: said, not retried for this one.
      fail(report.step, report.detail ?? 'the revert could not be verified', 'WARNING');
    } else if (report.outcome === 'FAILED') {
      if (report.step === 'REVERT_VERIFY') result.reverted = true;
      next.revertBlocked = report.revertBlocked ?? null;
      next.phase = 'REVERTING';
      fail(report.step, report.detail ?? 'the revert failed', 'CRITICAL');
      record('REVERT', 'STARTED', { detail: 'the namespace controller tries again' });
    } else {
      if (report.step === 'REVERT' || next.phase !== 'REVERT_VERIFYING') {
        result.revertOperationId = report.asyncOperationId ?? null;
        record(
          'REVERT',
          'SUCCEEDED',
          applied(report.asyncOperationId, report.step === 'REVERT' ? report.detail : undefined),
        );
        next.phase = 'REVERT_VERIFYING';
        record('REVERT_VERIFY', 'STARTED');
      }
      if (report.step === 'REVERT_VERIFY') {
        // The change that settled it, which may not be the one announced first (that one may have failed).
        result.revertOperationId = report.asyncOperationId ?? null;
        result.reverted = true;
        result.revertedTo = report.namespaceHas;
        result.revertedToOnDemand = report.namespaceHas?.mode === 'ON_DEMAND';
        result.revertVerificationSuccess = true;
        result.revertedAt = at;
        next.revertBlocked = null;
        record('REVERT_VERIFY', 'SUCCEEDED', report.detail ? { detail: report.detail } : {});
      }
    }
    next.releaseAnswered = report.final;
  }
  return { state: next, steps, alerts };
}

function applied(asyncOperationId: string | null | undefined, detail: string | undefined): Partial<Step> {
  return {
    ...(asyncOperationId ? { asyncOperationId } : {}),
    ...(detail ? { detail } : {}),
  };
}
