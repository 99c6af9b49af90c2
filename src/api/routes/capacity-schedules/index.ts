import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { SchedulesService } from '../../../schedules/service.js';
import { SCHEDULES_PATH as BASE } from '../../../schedules/view.js';
import { auditLog, auditStamp } from '../../audit.js';
import { optionalBody } from '../../hooks.js';
import { checkNamespace, mayAccess, requestedByOf, requireScope } from '../../plugins/auth.js';
import {
  createSchema,
  deleteSchema,
  getSchema,
  listSchema,
  patchSchema,
  pauseSchema,
  triggerSchema,
  unpauseSchema,
} from './schema.js';

const WRITE = { scope: 'schedules:write' } as const;

const capacitySchedules: FastifyPluginAsyncTypebox<{ schedules: SchedulesService }> = async (app, { schedules }) => {
  app.post(BASE, { schema: createSchema, config: WRITE }, async (request, reply) => {
    const requestedBy = requestedByOf(request, undefined);
    const stamp = auditStamp(request);
    const created = await schedules.create(request.body, requestedBy, stamp);
    auditLog(request, stamp, 'schedule create', { scheduleId: created.id, namespace: request.body.namespace });
    return reply.code(201).header('location', created.links.self).send(created);
  });

  app.get(BASE, { schema: listSchema }, async (request) => schedules.list((ns) => mayAccess(request, ns)));

  app.get(`${BASE}/:id`, { schema: getSchema }, async (request) =>
    schedules.get(request.params.id, (ns) => checkNamespace(request, ns)),
  );

  app.patch(`${BASE}/:id`, { schema: patchSchema, config: WRITE }, async (request) => {
    const stamp = auditStamp(request);
    const schedule = await schedules.update(request.params.id, request.body, stamp, (ns) =>
      checkNamespace(request, ns),
    );
    auditLog(request, stamp, 'schedule patch', { scheduleId: request.params.id, changed: Object.keys(request.body) });
    return schedule;
  });

  for (const [action, paused, schema] of [
    ['pause', true, pauseSchema],
    ['unpause', false, unpauseSchema],
  ] as const) {
    app.post(`${BASE}/:id/${action}`, { schema, preValidation: optionalBody, config: WRITE }, async (request) => {
      const stamp = auditStamp(request);
      const { id } = request.params;
      const schedule = await schedules.setPaused(id, paused, request.body.note, stamp, (ns) =>
        checkNamespace(request, ns),
      );
      auditLog(request, stamp, `schedule ${action}`, { scheduleId: id, note: request.body.note ?? null });
      return schedule;
    });
  }

  app.post(`${BASE}/:id/trigger`, { schema: triggerSchema, config: WRITE }, async (request, reply) => {
    const stamp = auditStamp(request);
    const triggered = await schedules.trigger(request.params.id, stamp, (ns) => checkNamespace(request, ns));
    auditLog(request, stamp, 'schedule trigger', { scheduleId: request.params.id });
    return reply.code(202).send(triggered);
  });

  app.delete(`${BASE}/:id`, { schema: deleteSchema, config: WRITE }, async (request, reply) => {
    const cancelRunning = request.query.cancelRunning === 'true';
    // Cancelling the running windows ends them early: the cancel scope too.
    if (cancelRunning) requireScope(request, 'windows:cancel');
    const stamp = auditStamp(request);
    await schedules.delete(request.params.id, cancelRunning, (ns) => checkNamespace(request, ns));
    auditLog(request, stamp, 'schedule delete', { scheduleId: request.params.id, cancelRunning });
    return reply.code(204).send(null);
  });
};

export default capacitySchedules;
