import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ScheduleNotFoundError, WorkflowNotFoundError, type ScheduleDescription, type ScheduleHandle } from '@temporalio/client';
import type { AppDeps } from '../../app.js';
import { checkGuardrails } from '../../../guardrails.js';
import { optionalBody } from '../../hooks.js';
import { ApiError, withTemporalDeadline } from '../../plugins/errors.js';
import { requestedByOf } from '../../plugins/auth.js';
import { isScheduleId, parseIsoDuration, scheduleTemporalId, windowIdOf, type CapacityWindowInput } from '../../../shared/index.js';
import {
  createSchema,
  deleteSchema,
  getSchema,
  listSchema,
  patchSchema,
  pauseSchema,
  triggerSchema,
  unpauseSchema,
  type CapacitySchedule,
  type CapacityScheduleList,
} from './schema.js';
import {
  DEFAULT_TIME_ZONE,
  generateScheduleId,
  scheduleAction,
  schedulePolicies,
  scheduleSpec,
  truncateToSecond,
  validateDefinition,
  type ScheduleActionMemo,
  type ScheduleDefinition,
} from './spec.js';

const BASE = '/v1/capacity-schedules';
const TEMPORAL_ID_PREFIX = scheduleTemporalId('');
const NEXT_ACTION_TIMES = 5;

const selfLink = (id: string) => `${BASE}/${encodeURIComponent(id)}`;

/** The definition back from the action's args and memo, in the form the user wrote it. */
function readDefinition(desc: ScheduleDescription): ScheduleDefinition {
  const input = desc.action.args?.[0] as CapacityWindowInput | undefined;
  const memo = desc.action.memo as ScheduleActionMemo | undefined;
  if (!input?.duration || !memo?.schedule) throw new Error(`schedule ${desc.scheduleId} does not start a capacity window`);
  const { cron, interval, at, timezone } = memo.schedule;
  return {
    namespace: input.namespace,
    trus: input.trus,
    duration: input.duration,
    ...(cron !== undefined && { cron }),
    ...(interval !== undefined && { interval }),
    ...(at !== undefined && { at }),
    timezone,
    ...(desc.spec.startAt && { startAt: desc.spec.startAt.toISOString() }),
    ...(desc.spec.endAt && { endAt: desc.spec.endAt.toISOString() }),
    ...(input.reason !== undefined && { reason: input.reason }),
    ...(input.acknowledgeShortWindow !== undefined && { acknowledgeShortWindow: input.acknowledgeShortWindow }),
    ...(input.requestedBy !== undefined && { requestedBy: input.requestedBy }),
  };
}

function view(id: string, desc: ScheduleDescription): CapacitySchedule {
  const def = readDefinition(desc);
  return {
    id,
    namespace: def.namespace,
    trus: def.trus,
    duration: def.duration,
    ...(def.cron !== undefined && { cron: def.cron }),
    ...(def.interval !== undefined && { interval: def.interval }),
    ...(def.at !== undefined && { at: def.at }),
    timezone: def.timezone,
    startAt: def.startAt ?? null,
    endAt: def.endAt ?? null,
    paused: desc.state.paused,
    note: desc.state.note || null,
    reason: def.reason ?? null,
    nextActionTimes: desc.info.nextActionTimes.slice(0, NEXT_ACTION_TIMES).map((d) => d.toISOString()),
    recentActions: desc.info.recentActions.map((a) => ({
      scheduledAt: a.scheduledAt.toISOString(),
      startedAt: a.takenAt.toISOString(),
      changeId: windowIdOf(a.action.workflow.workflowId, a.action.workflow.firstExecutionRunId),
    })),
    runningChangeIds: desc.info.runningActions.map((a) => windowIdOf(a.workflow.workflowId, a.workflow.firstExecutionRunId)),
    actionsTaken: desc.info.numActionsTaken,
    actionsSkipped: desc.info.numActionsSkippedOverlap + desc.info.numActionsMissedCatchupWindow,
    links: { self: selfLink(id) },
  };
}

const capacitySchedules: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  const { temporal, capacity, config } = deps;

  const handleOf = (id: string): ScheduleHandle => {
    if (!isScheduleId(id)) throw new ApiError(404, 'SCHEDULE_NOT_FOUND', 'no capacity schedule with this id');
    return temporal.schedule.getHandle(scheduleTemporalId(id));
  };
  const describe = (handle: ScheduleHandle) => withTemporalDeadline(temporal, () => handle.describe());

  const checkTrus = async (namespace: string, trus: number) => {
    const check = capacity.checkTrus(await capacity.readTruOptions(namespace), trus);
    if (!check.ok) throw new ApiError(422, check.code, check.message);
  };
  /** Every run is a window: the guardrails apply to each, at creation here and again when each run starts. */
  const checkGuardrailsOf = (def: ScheduleDefinition) => {
    const violation = checkGuardrails(config.guardrails, {
      namespace: def.namespace,
      trus: def.trus,
      windowMs: parseIsoDuration(def.duration) ?? null,
      acknowledgeShortWindow: def.acknowledgeShortWindow,
    });
    if (violation) throw new ApiError(422, violation.code, violation.message);
  };

  app.post(BASE, { schema: createSchema }, async (request, reply) => {
    const body = request.body;
    const id = body.id ?? generateScheduleId(body.namespace);
    const def: ScheduleDefinition = {
      namespace: body.namespace,
      trus: body.trus,
      duration: body.duration,
      ...(body.cron !== undefined && { cron: body.cron }),
      ...(body.interval !== undefined && { interval: body.interval }),
      ...(body.at !== undefined && { at: truncateToSecond(body.at) }),
      timezone: body.timezone ?? DEFAULT_TIME_ZONE,
      ...(body.startAt !== undefined && { startAt: body.startAt }),
      ...(body.endAt !== undefined && { endAt: body.endAt }),
      ...(body.reason !== undefined && { reason: body.reason }),
      ...(body.acknowledgeShortWindow !== undefined && { acknowledgeShortWindow: body.acknowledgeShortWindow }),
    };
    const requestedBy = requestedByOf(request, undefined);
    if (requestedBy !== undefined) def.requestedBy = requestedBy;
    validateDefinition(def, Date.now());
    checkGuardrailsOf(def);
    await checkTrus(def.namespace, def.trus);

    const handle = await withTemporalDeadline(temporal, () =>
      temporal.schedule.create({
        scheduleId: scheduleTemporalId(id),
        spec: scheduleSpec(def),
        action: scheduleAction(id, def, config),
        policies: schedulePolicies(def),
        state: {
          paused: body.paused ?? false,
          ...(body.note !== undefined && { note: body.note }),
          ...(def.at !== undefined && { remainingActions: 1 }),
        },
      }),
    );
    request.log.info({ scheduleId: handle.scheduleId, namespace: def.namespace, trus: def.trus }, 'capacity schedule created');
    const desc = await describe(handle);
    return reply
      .code(201)
      .header('location', selfLink(id))
      .send({
        id,
        nextActionTimes: desc.info.nextActionTimes.slice(0, NEXT_ACTION_TIMES).map((d) => d.toISOString()),
        links: { self: selfLink(id) },
      });
  });

  app.get(BASE, { schema: listSchema }, async (): Promise<CapacityScheduleList> => {
    const items = await withTemporalDeadline(temporal, async () => {
      const ids: string[] = [];
      for await (const s of temporal.schedule.list()) {
        if (s.scheduleId.startsWith(TEMPORAL_ID_PREFIX)) ids.push(s.scheduleId.slice(TEMPORAL_ID_PREFIX.length));
      }
      // The list carries no action args, so each schedule is described; one deleted meanwhile is left out.
      const described = await Promise.all(
        ids.map((id) =>
          temporal.schedule
            .getHandle(scheduleTemporalId(id))
            .describe()
            .then(
              (desc) => ({ id, desc }),
              (err: unknown) => {
                if (err instanceof ScheduleNotFoundError) return undefined;
                throw err;
              },
            ),
        ),
      );
      return described.flatMap((d) => {
        if (!d) return [];
        const def = readDefinition(d.desc);
        const next = d.desc.info.nextActionTimes[0];
        return [
          {
            id: d.id,
            namespace: def.namespace,
            trus: def.trus,
            duration: def.duration,
            paused: d.desc.state.paused,
            nextActionTime: next ? next.toISOString() : null,
          },
        ];
      });
    });
    return { items: items.sort((a, b) => a.id.localeCompare(b.id)) };
  });

  app.get(`${BASE}/:id`, { schema: getSchema }, async (request): Promise<CapacitySchedule> => {
    const { id } = request.params;
    return view(id, await describe(handleOf(id)));
  });

  app.patch(`${BASE}/:id`, { schema: patchSchema }, async (request): Promise<CapacitySchedule> => {
    const { id } = request.params;
    const body = request.body;
    const handle = handleOf(id);
    const prev = readDefinition(await describe(handle));
    const specGiven = body.cron !== undefined || body.interval !== undefined || body.at !== undefined;
    const kind = specGiven ? body : prev;
    const startAt = body.startAt === undefined ? prev.startAt : body.startAt;
    const endAt = body.endAt === undefined ? prev.endAt : body.endAt;
    const def: ScheduleDefinition = {
      namespace: prev.namespace,
      trus: body.trus ?? prev.trus,
      duration: body.duration ?? prev.duration,
      ...(kind.cron !== undefined && { cron: kind.cron }),
      ...(kind.interval !== undefined && { interval: kind.interval }),
      ...(kind.at !== undefined && { at: truncateToSecond(kind.at) }),
      timezone: body.timezone ?? prev.timezone,
      ...(startAt != null && { startAt }),
      ...(endAt != null && { endAt }),
      ...(prev.reason !== undefined && { reason: prev.reason }),
      ...(prev.acknowledgeShortWindow !== undefined && { acknowledgeShortWindow: prev.acknowledgeShortWindow }),
      ...(prev.requestedBy !== undefined && { requestedBy: prev.requestedBy }),
    };
    // An `at` left as it was may already have fired; only a new one must lie ahead.
    validateDefinition(def, Date.now(), body.at !== undefined);
    checkGuardrailsOf(def);
    if (body.trus !== undefined) await checkTrus(def.namespace, def.trus);

    await withTemporalDeadline(temporal, () =>
      handle.update((current) => ({
        spec: scheduleSpec(def),
        action: scheduleAction(id, def, config),
        policies: schedulePolicies(def),
        state: {
          paused: current.state.paused,
          note: body.note ?? current.state.note,
          ...(def.at !== undefined && { remainingActions: body.at !== undefined ? 1 : current.state.remainingActions }),
        },
      })),
    );
    request.log.info({ scheduleId: handle.scheduleId, changed: Object.keys(body) }, 'capacity schedule changed');
    return view(id, await describe(handle));
  });

  const setPaused = (paused: boolean) =>
    async (request: { params: { id: string }; body: { note?: string } }): Promise<CapacitySchedule> => {
      const { id } = request.params;
      const handle = handleOf(id);
      const current = await describe(handle);
      // Temporal needs a non-empty note to pause or unpause: without one given, the current note stays.
      const note = request.body.note || current.state.note || (paused ? 'paused' : 'unpaused');
      await withTemporalDeadline(temporal, () => (paused ? handle.pause(note) : handle.unpause(note)));
      return view(id, await describe(handle));
    };
  app.post(`${BASE}/:id/pause`, { schema: pauseSchema, preValidation: optionalBody }, setPaused(true));
  app.post(`${BASE}/:id/unpause`, { schema: unpauseSchema, preValidation: optionalBody }, setPaused(false));

  app.post(`${BASE}/:id/trigger`, { schema: triggerSchema }, async (request, reply) => {
    const { id } = request.params;
    const handle = handleOf(id);
    const desc = await describe(handle);
    if (desc.info.runningActions.length > 0) {
      throw new ApiError(409, 'WINDOW_ALREADY_RUNNING', `a window of schedule ${id} is running; wait for it to end`);
    }
    const triggeredAt = new Date().toISOString();
    // SKIP, like the schedule itself: should a scheduled run start meanwhile, the manual one is dropped, not stacked.
    await withTemporalDeadline(temporal, () => handle.trigger('SKIP'));
    request.log.info({ scheduleId: handle.scheduleId }, 'capacity schedule triggered');
    return reply.code(202).send({ id, triggeredAt });
  });

  app.delete(`${BASE}/:id`, { schema: deleteSchema }, async (request, reply) => {
    const { id } = request.params;
    const handle = handleOf(id);
    if (request.query.cancelRunning === 'true') {
      // Paused first, so that no run starts between reading the running windows and deleting the schedule.
      await withTemporalDeadline(temporal, () => handle.pause('deleting'));
      const { info } = await describe(handle);
      await withTemporalDeadline(temporal, () =>
        Promise.all(
          info.runningActions.map(({ workflow }) =>
            temporal.workflow
              .getHandle(workflow.workflowId, undefined, { firstExecutionRunId: workflow.firstExecutionRunId })
              .cancel()
              .catch((err: unknown) => {
                // Ended on its own meanwhile: nothing left to cancel.
                if (!(err instanceof WorkflowNotFoundError)) throw err;
              }),
          ),
        ),
      );
      request.log.info({ scheduleId: handle.scheduleId, cancelled: info.runningActions.length }, 'running windows cancelled');
    }
    await withTemporalDeadline(temporal, () => handle.delete());
    request.log.info({ scheduleId: handle.scheduleId }, 'capacity schedule deleted');
    return reply.code(204).send(null);
  });
};

export default capacitySchedules;
