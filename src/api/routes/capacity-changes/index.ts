import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { WorkflowExecutionStatusName } from '@temporalio/client';
import type { AppDeps } from '../../app.js';
import { ApiError, withTemporalDeadline } from '../../plugins/errors.js';
import {
  CAPACITY_WINDOW_WORKFLOW,
  parseIsoDuration,
  parseWindowId,
  windowId,
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
 * When the window ends, or null for a permanent change. Throws ApiError for an end that cannot be honoured,
 * before anything is read or started.
 */
function resolveEnd(body: Pick<CreateCapacityChange, 'duration' | 'endAt'>, now: number): string | null {
  if (body.duration !== undefined && body.endAt !== undefined) {
    throw new ApiError(400, 'CONFLICTING_END', 'give either duration or endAt, not both');
  }
  if (body.duration !== undefined) {
    const ms = parseIsoDuration(body.duration);
    if (ms === undefined || ms <= 0) {
      throw new ApiError(400, 'INVALID_DURATION', `duration "${body.duration}" is not a positive ISO 8601 duration such as "PT2H" or "P1DT30M"`);
    }
    return new Date(now + ms).toISOString();
  }
  if (body.endAt !== undefined) {
    const end = Date.parse(body.endAt);
    if (end <= now) throw new ApiError(422, 'END_NOT_IN_FUTURE', `endAt ${body.endAt} is not in the future`);
    return new Date(end).toISOString();
  }
  return null;
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
    const endAt = resolveEnd(body, now);

    const view = await capacity.readCapacity(body.namespace);
    const check = capacity.checkTrus(view, body.trus);
    if (!check.ok) throw new ApiError(422, check.code, check.message);

    const input: CapacityWindowInput = {
      namespace: body.namespace,
      trus: body.trus,
      ...(body.duration !== undefined && { duration: body.duration }),
      ...(body.endAt !== undefined && { endAt: body.endAt }),
      ...(body.reason !== undefined && { reason: body.reason }),
      ...(body.requestedBy !== undefined && { requestedBy: body.requestedBy }),
      policy: config.policy,
    };
    const memo = {
      window: { namespace: body.namespace, trus: body.trus, requestedBy: body.requestedBy ?? null, reason: body.reason ?? null },
      progress: { phase: 'PENDING', startAt: new Date(now).toISOString(), endAt, steps: [], revertBlocked: null },
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
      }),
    );
    const id = windowId(body.namespace, handle.firstExecutionRunId);
    request.log.info({ workflowId: handle.workflowId, namespace: body.namespace, trus: body.trus, endAt }, 'capacity window started');
    return reply
      .code(202)
      .header('location', selfLink(id))
      .send({ id, status: 'RUNNING', phase: 'PENDING', links: { self: selfLink(id) } });
  });

  app.get(`${BASE}/:id`, { schema: getSchema }, async (request): Promise<CapacityChange> => {
    const { id } = request.params;
    const parsed = parseWindowId(id);
    if (!parsed) throw new ApiError(404, 'WINDOW_NOT_FOUND', 'no capacity window with this id');

    const handle = temporal.workflow.getHandle(parsed.workflowId, parsed.runId);
    const desc = await withTemporalDeadline(temporal, () => handle.describe());
    const memo = desc.memo as WindowMemo | undefined;
    if (!memo?.window || !memo.progress) throw new Error(`workflow ${parsed.workflowId} run ${parsed.runId} has no window memo`);

    const status = desc.status.name;
    const result =
      status === 'COMPLETED' ? await withTemporalDeadline(temporal, () => handle.result() as Promise<CapacityWindowResult>) : null;
    return {
      id,
      namespace: memo.window.namespace,
      trus: memo.window.trus,
      startAt: memo.progress.startAt,
      endAt: memo.progress.endAt,
      requestedBy: memo.window.requestedBy,
      reason: memo.window.reason,
      status,
      phase: effectivePhase(memo.progress.phase, status),
      steps: memo.progress.steps,
      revertBlocked: memo.progress.revertBlocked,
      result,
      links: { self: selfLink(id) },
    };
  });
};

export default capacityChanges;
