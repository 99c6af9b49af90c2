import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createHash, randomBytes } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowUpdateFailedError, type WorkflowExecutionStatusName } from '@temporalio/client';
import type { AppDeps } from '../../app.js';
import { optionalBody } from '../../hooks.js';
import { ApiError, toApiError, withTemporalDeadline } from '../../plugins/errors.js';
import { requestedByOf } from '../../plugins/auth.js';
import {
  CAPACITY_WINDOW_WORKFLOW,
  SA,
  cancelSignal,
  controllerStateQuery,
  controllerWorkflowId,
  describeTarget,
  provisioned,
  revertTarget,
  setEndUpdate,
  parseIsoDuration,
  parseWindowId,
  windowIdOf,
  keyedWindowWorkflowId,
  windowWorkflowId,
  type CapacityWindowInput,
  type Claim,
  type ControllerState,
  type CapacityWindowResult,
  type Phase,
  type WindowMemo,
} from '../../../shared/index.js';
import {
  cancelSchema,
  createSchema,
  getSchema,
  moveEndSchema,
  type CapacityChange,
  type CapacityChangeAccepted,
  type CreateCapacityChange,
  type DryRunPlan,
} from './schema.js';
import { checkGuardrails, type GuardedRequest } from '../../../guardrails.js';

const BASE = '/v1/capacity-changes';

function guarded(body: CreateCapacityChange, window: { start: number; endAt: string | null }): GuardedRequest {
  return {
    namespace: body.namespace,
    trus: body.trus,
    windowMs: window.endAt === null ? null : Date.parse(window.endAt) - window.start,
    acknowledgeShortWindow: body.acknowledgeShortWindow,
  };
}

/** JSON with sorted keys: two bodies that mean the same hash the same, whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

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

  /** The window an Idempotency-Key already made; 422 when it came with another body. */
  async function replay(workflowId: string, bodyHash: string): Promise<CapacityChangeAccepted> {
    const desc = await withTemporalDeadline(temporal, () => temporal.workflow.getHandle(workflowId).describe());
    const memo = desc.memo as WindowMemo | undefined;
    if (memo?.request?.bodySha256 !== bodyHash) {
      throw new ApiError(422, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different request body');
    }
    const id = windowIdOf(desc.workflowId, desc.runId);
    return { id, status: 'RUNNING', phase: memo.progress?.phase === 'SCHEDULED' ? 'SCHEDULED' : 'PENDING', links: { self: selfLink(id) } };
  }

  /** The same checks as a real request, collected instead of thrown, and what would change when. */
  async function plan(body: CreateCapacityChange, now: number): Promise<DryRunPlan> {
    const problems: { code: string; message: string }[] = [];
    let window: { start: number; endAt: string | null } | null = null;
    try {
      window = resolveWindow(body, now);
    } catch (err) {
      if (!(err instanceof ApiError) || err.statusCode !== 422) throw err;
      problems.push({ code: err.code, message: err.message });
    }
    const view = await capacity.readCapacity(body.namespace);
    const check = capacity.checkTrus(view, body.trus);
    if (!check.ok) problems.push({ code: check.code, message: check.message });
    const violation = window && checkGuardrails(config.guardrails, guarded(body, window));
    if (violation) problems.push(violation);

    const controller = await controllerState(body.namespace);
    const changes: DryRunPlan['changes'] = [];
    if (window) {
      // The namespace follows the largest claim: count the windows active now that are still active then.
      const activeAt = (ms: number) => (controller?.claims ?? []).filter((c) => c.endAt === null || Date.parse(c.endAt) > ms);
      const holders = (claims: Claim[]) => claims.map((c) => c.windowId).join(', ');
      const atStart = activeAt(window.start);
      const highest = Math.max(body.trus, ...atStart.map((c) => c.trus));
      changes.push({
        at: new Date(window.start).toISOString(),
        to: provisioned(highest),
        why: atStart.some((c) => c.trus >= body.trus)
          ? `nothing to change: ${highest} TRUs, held by ${holders(atStart)}`
          : `raise to ${describeTarget(provisioned(body.trus))}`,
      });
      if (window.endAt !== null) {
        const left = activeAt(Date.parse(window.endAt));
        const back = left.length
          ? provisioned(Math.max(...left.map((c) => c.trus)))
          : revertTarget(controller?.baseline ?? view.current, body.revertTo);
        changes.push({ at: window.endAt, to: back, why: left.length ? `follow ${holders(left)}` : `revert to ${describeTarget(back)}` });
      }
    }
    const hours = window?.endAt ? Math.ceil((Date.parse(window.endAt) - window.start) / 3_600_000) : null;
    return {
      dryRun: true,
      namespace: body.namespace,
      current: view.current,
      changes,
      validation: { ok: problems.length === 0, problems },
      estimatedTruHours: hours === null ? null : hours * body.trus,
    };
  }

  /** The namespace's controller's state, when one runs: the claims active now and the baseline it keeps. */
  async function controllerState(namespace: string): Promise<ControllerState | null> {
    const handle = temporal.workflow.getHandle(controllerWorkflowId(namespace));
    try {
      const desc = await withTemporalDeadline(temporal, () => handle.describe());
      if (desc.status.name !== 'RUNNING') return null;
      return await withTemporalDeadline(temporal, () => handle.query(controllerStateQuery));
    } catch (err) {
      if (toApiError(err)?.code === 'WINDOW_NOT_FOUND') return null;
      throw err;
    }
  }

  app.post(BASE, { schema: createSchema }, async (request, reply) => {
    // With authentication on, requestedBy is the token's name (a different body value is refused).
    const requestedBy = requestedByOf(request, request.body.requestedBy);
    const body = { ...request.body, ...(requestedBy !== undefined && { requestedBy }) };
    if (request.query.dryRun === 'true') return reply.code(200).send(await plan(body, Date.now()));
    const key = request.headers['idempotency-key'];
    const bodyHash = sha256(canonicalJson(body));
    const workflowId = key === undefined ? windowWorkflowId(body.namespace, randomBytes(8).toString('hex')) : keyedWindowWorkflowId(sha256(key));
    const now = Date.now();
    const { start, endAt } = resolveWindow(body, now);
    const phase = start > now ? 'SCHEDULED' : 'PENDING';
    const violation = checkGuardrails(config.guardrails, guarded(body, { start, endAt }));
    if (violation) throw new ApiError(422, violation.code, violation.message);

    const check = capacity.checkTrus(await capacity.readTruOptions(body.namespace), body.trus);
    if (!check.ok) throw new ApiError(422, check.code, check.message);

    const input: CapacityWindowInput = {
      namespace: body.namespace,
      trus: body.trus,
      ...(body.duration !== undefined && { duration: body.duration }),
      ...(body.endAt !== undefined && { endAt: body.endAt }),
      ...(body.startAt !== undefined && { startAt: body.startAt }),
      ...(body.reason !== undefined && { reason: body.reason }),
      ...(body.requestedBy !== undefined && { requestedBy: body.requestedBy }),
      ...(body.revertTo !== undefined && { revertTo: body.revertTo }),
      ...(body.acknowledgeShortWindow !== undefined && { acknowledgeShortWindow: body.acknowledgeShortWindow }),
      policy: config.policy,
    };
    const memo = {
      window: { namespace: body.namespace, trus: body.trus, requestedBy: body.requestedBy ?? null, reason: body.reason ?? null },
      progress: { phase, startAt: new Date(start).toISOString(), endAt, steps: [], revertBlocked: null },
      ...(key !== undefined && { request: { idempotencyKey: key, bodySha256: bodyHash } }),
    } satisfies WindowMemo;

    const started = withTemporalDeadline(temporal, () =>
      temporal.workflow.start(CAPACITY_WINDOW_WORKFLOW, {
        taskQueue: config.temporal.taskQueue,
        workflowId,
        args: [input],
        memo,
        // A keyed id is never reused while Temporal keeps its history: a retry, even after the window closed, replays it.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowIdConflictPolicy: 'FAIL',
        typedSearchAttributes: [
          { key: SA.namespace, value: body.namespace },
          { key: SA.trus, value: body.trus },
          { key: SA.phase, value: phase },
          { key: SA.startAt, value: new Date(start) },
          ...(endAt === null ? [] : [{ key: SA.endAt, value: new Date(endAt) }]),
          ...(body.requestedBy === undefined ? [] : [{ key: SA.requestedBy, value: body.requestedBy }]),
        ],
      }),
    );
    let handle;
    try {
      handle = await started;
    } catch (err) {
      // Retries with one key, concurrent or not: Temporal lets exactly one start; the others find it here.
      if (key === undefined || !(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const original = await replay(workflowId, bodyHash);
      return reply.code(200).header('location', original.links.self).send(original);
    }
    const id = windowIdOf(handle.workflowId, handle.firstExecutionRunId);
    request.log.info({ workflowId: handle.workflowId, namespace: body.namespace, trus: body.trus, endAt }, 'capacity window started');
    return reply
      .code(202)
      .header('location', selfLink(id))
      .send({ id, status: 'RUNNING', phase, links: { self: selfLink(id) } });
  });

  /** The window as its workflow reports it, from one describe (plus the result once it completed). */
  async function readWindow(id: string): Promise<CapacityChange> {
    const handle = windowHandle(id);
    const desc = await withTemporalDeadline(temporal, () => handle.describe());
    const memo = desc.memo as WindowMemo | undefined;
    if (!memo?.window) throw new Error(`workflow ${desc.workflowId} run ${desc.runId} has no window memo`);
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
      namespaceCapacity: progress.namespaceCapacity ?? null,
      result,
      links: { self: selfLink(id) },
    };
  }

  function windowHandle(id: string) {
    const parsed = parseWindowId(id);
    if (!parsed) throw new ApiError(404, 'WINDOW_NOT_FOUND', 'no capacity window with this id');
    return temporal.workflow.getHandle(parsed.workflowId, parsed.runId);
  }

  async function requireRunning(id: string): Promise<CapacityChange> {
    const window = await readWindow(id);
    if (window.status !== 'RUNNING') throw new ApiError(409, 'WINDOW_CLOSED', `the window has already ended (${window.status})`);
    return window;
  }

  app.get(`${BASE}/:id`, { schema: getSchema }, async (request): Promise<CapacityChange> => readWindow(request.params.id));

  app.post(`${BASE}/:id/cancel`, { schema: cancelSchema, preValidation: optionalBody }, async (request, reply) => {
    const { id } = request.params;
    const window = await requireRunning(id);
    const req = { by: requestedByOf(request, request.body?.requestedBy) ?? null, reason: request.body?.reason ?? null };
    await withTemporalDeadline(temporal, () => windowHandle(id).signal(cancelSignal, req));
    request.log.info({ windowId: id, by: req.by }, 'capacity window cancelled');
    return reply.code(202).send({ id, status: 'RUNNING', phase: window.phase, links: { self: selfLink(id) } });
  });

  app.patch(`${BASE}/:id`, { schema: moveEndSchema }, async (request): Promise<CapacityChange> => {
    const { id } = request.params;
    const { endAt, duration } = request.body;
    if ((endAt === undefined) === (duration === undefined)) {
      throw new ApiError(400, 'CONFLICTING_END', 'give exactly one of endAt and duration');
    }
    const window = await requireRunning(id);
    let newEnd = endAt;
    if (duration !== undefined) {
      const ms = parseIsoDuration(duration);
      if (ms === undefined || ms <= 0) throw new ApiError(400, 'INVALID_DURATION', `duration "${duration}" is not a positive ISO 8601 duration`);
      newEnd = new Date(Date.parse(window.startAt) + ms).toISOString();
    }
    const { maxWindowMs } = config.guardrails;
    const maxEndAt = maxWindowMs === null ? null : new Date(Date.parse(window.startAt) + maxWindowMs).toISOString();
    try {
      await withTemporalDeadline(temporal, () =>
        windowHandle(id).executeUpdate(setEndUpdate, { args: [{ endAt: newEnd as string, maxEndAt }] }),
      );
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        throw new ApiError(422, 'END_REJECTED', err.cause instanceof Error ? err.cause.message : 'the window refused the new end');
      }
      throw err;
    }
    return readWindow(id);
  });
};

export default capacityChanges;
