import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { WindowsService } from '../../../windows/service.js';
import { WINDOWS_PATH as BASE } from '../../../windows/read-model.js';
import { optionalBody } from '../../hooks.js';
import { requestedByOf } from '../../plugins/auth.js';
import { listSchema } from './list-schema.js';
import { cancelSchema, createSchema, getSchema, moveEndSchema } from './schema.js';

const capacityChanges: FastifyPluginAsyncTypebox<{ windows: WindowsService }> = async (app, { windows }) => {
  app.post(BASE, { schema: createSchema }, async (request, reply) => {
    // With authentication on, requestedBy is the token's name (a different body value is refused).
    const requestedBy = requestedByOf(request, request.body.requestedBy);
    const body = { ...request.body, ...(requestedBy !== undefined && { requestedBy }) };
    if (request.query.dryRun === 'true') return reply.code(200).send(await windows.plan(body));
    const { window, replayed } = await windows.create(body, request.headers['idempotency-key']);
    return reply
      .code(replayed ? 200 : 202)
      .header('location', window.links.self)
      .send(window);
  });

  app.get(`${BASE}/:id`, { schema: getSchema }, async (request) => windows.get(request.params.id));

  app.post(`${BASE}/:id/cancel`, { schema: cancelSchema, preValidation: optionalBody }, async (request, reply) => {
    const by = requestedByOf(request, request.body?.requestedBy) ?? null;
    const accepted = await windows.cancel(request.params.id, { by, reason: request.body?.reason ?? null });
    return reply.code(202).send(accepted);
  });

  app.patch(`${BASE}/:id`, { schema: moveEndSchema }, async (request) =>
    windows.moveEnd(request.params.id, request.body),
  );

  app.get(BASE, { schema: listSchema }, async (request) => windows.list(request.query));
};

export default capacityChanges;
