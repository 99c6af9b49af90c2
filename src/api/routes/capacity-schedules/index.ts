import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { SchedulesService } from '../../../schedules/service.js';
import { SCHEDULES_PATH as BASE } from '../../../schedules/view.js';
import { optionalBody } from '../../hooks.js';
import { requestedByOf } from '../../plugins/auth.js';
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

const capacitySchedules: FastifyPluginAsyncTypebox<{ schedules: SchedulesService }> = async (app, { schedules }) => {
  app.post(BASE, { schema: createSchema }, async (request, reply) => {
    const created = await schedules.create(request.body, requestedByOf(request, undefined));
    return reply.code(201).header('location', created.links.self).send(created);
  });

  app.get(BASE, { schema: listSchema }, async () => schedules.list());

  app.get(`${BASE}/:id`, { schema: getSchema }, async (request) => schedules.get(request.params.id));

  app.patch(`${BASE}/:id`, { schema: patchSchema }, async (request) =>
    schedules.update(request.params.id, request.body),
  );

  app.post(`${BASE}/:id/pause`, { schema: pauseSchema, preValidation: optionalBody }, async (request) =>
    schedules.setPaused(request.params.id, true, request.body.note),
  );

  app.post(`${BASE}/:id/unpause`, { schema: unpauseSchema, preValidation: optionalBody }, async (request) =>
    schedules.setPaused(request.params.id, false, request.body.note),
  );

  app.post(`${BASE}/:id/trigger`, { schema: triggerSchema }, async (request, reply) => {
    return reply.code(202).send(await schedules.trigger(request.params.id));
  });

  app.delete(`${BASE}/:id`, { schema: deleteSchema }, async (request, reply) => {
    await schedules.delete(request.params.id, request.query.cancelRunning === 'true');
    return reply.code(204).send(null);
  });
};

export default capacitySchedules;
