import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ReadinessProbe } from '../../../health/readiness.js';
import { healthzSchema, readyzSchema } from './schema.js';

const health: FastifyPluginAsyncTypebox<{ readiness: ReadinessProbe }> = async (app, { readiness }) => {
  app.get('/healthz', { schema: healthzSchema }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', { schema: readyzSchema }, async (_request, reply) => {
    const answer = readiness.readiness();
    return reply.code(answer.status === 'ready' ? 200 : 503).send(answer);
  });
};

export default health;
