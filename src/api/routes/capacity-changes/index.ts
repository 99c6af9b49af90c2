import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { WindowsService } from '../../../windows/service.js';
import { WINDOWS_PATH as BASE } from '../../../windows/read-model.js';
import { auditLog, auditStamp } from '../../audit.js';
import { optionalBody } from '../../hooks.js';
import { checkNamespace, requestedByOf, requireNamespaceFilter } from '../../plugins/auth.js';
import { listSchema } from './list-schema.js';
import { cancelSchema, createSchema, getSchema, moveEndSchema } from './schema.js';

const capacityChanges: FastifyPluginAsyncTypebox<{ windows: WindowsService }> = async (app, { windows }) => {
  app.post(BASE, { schema: createSchema, config: { scope: 'windows:create' } }, async (request, reply) => {
    // With authentication on, requestedBy is the caller's name (a different body value is refused).
    const requestedBy = requestedByOf(request, request.body.requestedBy);
    const body = { ...request.body, ...(requestedBy !== undefined && { requestedBy }) };
    if (request.query.dryRun === 'true') return reply.code(200).send(await windows.plan(body));
    const stamp = auditStamp(request, requestedBy);
    const { window, replayed } = await windows.create(body, request.headers['idempotency-key'], stamp);
    if (!replayed)
      auditLog(request, stamp, 'create', { windowId: window.id, namespace: body.namespace, trus: body.trus });
    return reply
      .code(replayed ? 200 : 202)
      .header('location', window.links.self)
      .send(window);
  });

  app.get(`${BASE}/:id`, { schema: getSchema }, async (request) =>
    windows.get(request.params.id, (ns) => checkNamespace(request, ns)),
  );

  app.post(
    `${BASE}/:id/cancel`,
    { schema: cancelSchema, preValidation: optionalBody, config: { scope: 'windows:cancel' } },
    async (request, reply) => {
      const stamp = auditStamp(request, requestedByOf(request, request.body?.requestedBy));
      const reason = request.body?.reason ?? null;
      const accepted = await windows.cancel(
        request.params.id,
        { by: stamp.by, reason, requestId: stamp.requestId },
        (ns) => checkNamespace(request, ns),
      );
      auditLog(request, stamp, 'cancel', { windowId: request.params.id, reason });
      return reply.code(202).send(accepted);
    },
  );

  // Moving the end may extend the window, which spends like creating one.
  app.patch(`${BASE}/:id`, { schema: moveEndSchema, config: { scope: 'windows:create' } }, async (request) => {
    const stamp = auditStamp(request);
    const window = await windows.moveEnd(request.params.id, request.body, stamp, (ns) => checkNamespace(request, ns));
    auditLog(request, stamp, 'extend', { windowId: request.params.id, endAt: window.endAt });
    return window;
  });

  app.get(BASE, { schema: listSchema }, async (request) => {
    requireNamespaceFilter(request, request.query.namespace);
    return windows.list(request.query);
  });
};

export default capacityChanges;
