// A window as the API shows it, read from its workflow execution: the memo it keeps, its status and its result.
import type { WorkflowExecutionDescription, WorkflowExecutionStatusName } from '@temporalio/client';
import type { CapacityChange } from '../api/routes/capacity-changes/schema.js';
import type { TruFigures } from '../reports/tru-hours.js';
import type { CapacityWindowResult, Phase, Step, WindowMemo, WindowProgress } from '../shared/index.js';

export const WINDOWS_PATH = '/v1/capacity-changes';

export const windowLink = (id: string) => `${WINDOWS_PATH}/${encodeURIComponent(id)}`;

const TERMINAL_PHASES: ReadonlySet<Phase> = new Set(['COMPLETED', 'FAILED']);
// CONTINUED_AS_NEW is left out: the window goes on in the next run, so its memo phase still holds.
const DEAD_STATUSES: ReadonlySet<WorkflowExecutionStatusName> = new Set([
  'FAILED',
  'CANCELLED',
  'TERMINATED',
  'TIMED_OUT',
]);

/** A window whose workflow died (terminated, timed out...) cannot have updated its memo: say FAILED, not a stale phase. */
export function effectivePhase(memoPhase: Phase, status: WorkflowExecutionStatusName): Phase {
  return DEAD_STATUSES.has(status) && !TERMINAL_PHASES.has(memoPhase) ? 'FAILED' : memoPhase;
}

/** A window before its TRU-hours are added (they need the other windows of its namespace). */
export type WindowView = Omit<CapacityChange, 'truHours' | 'usedTruHours' | 'result'> & {
  result: CapacityWindowResult | null;
  held: WindowProgress['held'] | null;
};

/** The window from one describe of its workflow, plus the result once it completed. */
export function windowView(
  id: string,
  desc: WorkflowExecutionDescription,
  result: CapacityWindowResult | null,
): WindowView {
  const memo = desc.memo as WindowMemo | undefined;
  if (!memo?.window) throw new Error(`workflow ${desc.workflowId} run ${desc.runId} has no window memo`);
  // A schedule's run has no progress until its first workflow task.
  const progress = memo.progress ?? {
    phase: 'PENDING',
    startAt: desc.startTime.toISOString(),
    endAt: null,
    steps: [],
    revertBlocked: null,
  };
  return {
    id,
    namespace: memo.window.namespace,
    trus: memo.window.trus,
    startAt: progress.startAt,
    endAt: progress.endAt,
    requestedBy: memo.window.requestedBy,
    reason: memo.window.reason,
    scheduleId: memo.window.scheduleId ?? null,
    status: desc.status.name,
    phase: effectivePhase(progress.phase, desc.status.name),
    steps: progress.steps,
    audit: auditOf(memo, progress.steps),
    revertBlocked: progress.revertBlocked,
    waitingFor: progress.waitingFor ?? null,
    namespaceCapacity: progress.namespaceCapacity ?? null,
    drift: progress.drift ?? null,
    result,
    links: { self: windowLink(id) },
    held: progress.held ?? null,
  };
}

/** Who did what through the API: the create from the memo, then each step a caller caused. */
function auditOf(memo: WindowMemo, steps: Step[]): CapacityChange['audit'] {
  const created = memo.created ? [{ action: 'create', ...memo.created }] : [];
  const changes = steps.flatMap((s) =>
    s.requestId === undefined
      ? []
      : [{ action: s.step === 'CANCEL' ? 'cancel' : 'extend', by: s.by ?? null, at: s.at, requestId: s.requestId }],
  );
  return [...created, ...changes];
}

/** The window as the API shows it: its TRU-hours on the status, and on the result once there is one. */
export function withTruHours({ held: _held, ...view }: WindowView, figures: TruFigures): CapacityChange {
  return { ...view, ...figures, result: view.result && { ...view.result, ...figures } };
}
