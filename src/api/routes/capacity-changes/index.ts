import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { WorkflowExecutionStatusName } from '@temporalio/client';
import type { AppDeps } from '../../app.js';
import { ApiError, withTemporalDeadline } from '../../plugins/errors.js';
import {
  CAPACITY_WINDOW_WORKFLOW,
  parseIsoDuration,
  parseWindowId,
  windowIdOf,
  windowWorkflowId,
  type CapacityWindowInput,
  type CapacityWindowResult,
  type Phase,
  type WindowMemo,
} from '../../../shared/index.js';
import { createSchema, getSchema, type CapacityChange, type CreateCapacityChange } from './schema.js';

const BASE = '/v1/capacity-changes';

const selfLink = (id: string) => `${BASE}/${encodeURIComponent(id)}`;

/**
 * When the window begins and ends (null: a permanent change). Throws ApiError for times that cannot be
 * honoured, before anything is read or started.
 */
function resolveWindow(body: Pick<CreateCapacityChange, 'duration' | 'endAt' | 'startAt'>, now: number): { start: number; endAt: string | null } {
  let start = now;
  if (body.startAt !== undefined) {
    start = Date.parse(body.startAt);
    if (start <= now) throw new ApiError(422, 'START_NOT_IN_FUTURE', `startAt ${body.startAt} is not in the future`);
  }
  if (body.duration !== undefined && body.endAt !== undefined) {
    throw new ApiError(400, 'CONFLICTING_END', 'give either duration or endAt, not both');
  }
  if (body.duration !== undefined) {
    const ms = parseIsoDuration(body.duration);
    if (ms === undefined || ms <= 0) {
      throw new ApiError(400, 'INVALID_DURATION', `duration "${body.duration}" is not a positive ISO 8601 duration such as "PT2H" or "P1DT30M"`);
    }
    return { start, endAt: new Date(start + ms).toISOString() };
  }
  if (body.endAt !== undefined) {
    const end = Date.parse(body.endAt);
    if (end <= now) throw new ApiError(422, 'END_NOT_IN_FUTURE', `endAt ${body.endAt} is not in the future`);
    if (end <= start) throw new ApiError(422, 'END_NOT_AFTER_START', `endAt ${body.endAt} is not after startAt ${body.startAt}`);
    return { start, endAt: new Date(end).toISOString() };
  }
  return { start, endAt: null };
}

const TERMINAL_PHASES: ReadonlySet<Phase> = new Set(['COMPLETED', 'FAILED']);
// CONTINUED_AS_NEW is left out: the window goes on in the next run, so its memo phase still holds.
const FAILED_STATUSES: ReadonlySet<WorkflowExecutionStatusName> = new Set(['FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT']);

/** A window whose workflow died (terminated, timed out...) cannot have updated its memo: say FAILED, not a stale phase. */
function effectivePhase(memoPhase: Phase, status: WorkflowExecutionStatusName): Phase {
  return FAILED_STATUSES.has(status) && !TERMINAL_PHASES.has(memoPhase) ? 'FAILED' : memoPhase;
}

const capacityChanges: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  const { temporal, capacity, config } = deps;

  app.post(BASE, { schema: createSchema }, async (request, reply) => {
    const body = request.body;
    const now = Date.now();
    const { start, endAt } = resolveWindow(body, now);
    const phase = start > now ? 'SCHEDULED' : 'PENDING';

    const view = await capacity.readCapacity(body.namespace);
    const check = capacity.checkTrus(view, body.trus);
    if (!check.ok) throw new ApiError(422, check.code, check.message);

    const input: CapacityWindowInput = {
      namespace: body.namespace,
      trus: body.trus,
      ...(body.duration !== undefined && { duration: body.duration }),
      ...(body.endAt !== undefined && { endAt: body.endAt }),
      ...(body.startAt !== undefined && { startAt: body.startAt }),
      ...(body.reason !== undefined && { reason: body.reason }),
      ...(body.requestedBy !== undefined && { requestedBy: body.requestedBy }),
      policy: config.policy,
    };
    const memo = {
      window: { namespace: body.namespace, trus: body.trus, requestedBy: body.requestedBy ?? null, reason: body.reason ?? null },
      progress: { phase, startAt: new Date(start).toISOString(), endAt, steps: [], revertBlocked: null },
    } satisfies WindowMemo;

    const handle = await withTemporalDeadline(temporal, () =>
      temporal.workflow.start(CAPACITY_WINDOW_WORKFLOW, {
        taskQueue: config.temporal.taskQueue,
        workflowId: windowWorkflowId(body.namespace),
        args: [input],
        memo,
        // One window per namespace at a time: a closed one may be followed by the next, a running one may not.
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        workflowIdConflictPolicy: 'FAIL',
        // A future window is a workflow whose first task waits: it exists, is readable and holds the namespace.
        ...(start > now && { startDelay: start - now }),
      }),
    );
    const id = windowIdOf(handle.workflowId, handle.firstExecutionRunId);
    request.log.info({ workflowId: handle.workflowId, namespace: body.namespace, trus: body.trus, endAt }, 'capacity window started');
    return reply
      .code(202)
      .header('location', selfLink(id))
      .send({ id, status: 'RUNNING', phase, links: { self: selfLink(id) } });
  });

  app.get(`${BASE}/:id`, { schema: getSchema }, async (request): Promise<CapacityChange> => {
    const { id } = request.params;
    const parsed = parseWindowId(id);
    if (!parsed) throw new ApiError(404, 'WINDOW_NOT_FOUND', 'no capacity window with this id');

    const handle = temporal.workflow.getHandle(parsed.workflowId, parsed.runId);
    const desc = await withTemporalDeadline(temporal, () => handle.describe());
    const memo = desc.memo as WindowMemo | undefined;
    if (!memo?.window) throw new Error(`workflow ${parsed.workflowId} run ${parsed.runId} has no window memo`);
    // A schedule's run has no progress until its first workflow task.
    const progress = memo.progress ?? { phase: 'PENDING', startAt: desc.startTime.toISOString(), endAt: null, steps: [], revertBlocked: null };

    const status = desc.status.name;
    const result =
      status === 'COMPLETED' ? await withTemporalDeadline(temporal, () => handle.result() as Promise<CapacityWindowResult>) : null;
    return {
      id,
      namespace: memo.window.namespace,
      trus: memo.window.trus,
      startAt: progress.startAt,
      endAt: progress.endAt,
      requestedBy: memo.window.requestedBy,
      reason: memo.window.reason,
      scheduleId: memo.window.scheduleId ?? null,
      status,
      phase: effectivePhase(progress.phase, status),
      steps: progress.steps,
      revertBlocked: progress.revertBlocked,
      result,
      links: { self: selfLink(id) },
    };
  });
};

export default capacityChanges;
