import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../app.js';
import { withTemporalDeadline } from '../../plugins/errors.js';
import { healthzSchema, readyzSchema, type Readiness } from './schema.js';

const PROBE_TIMEOUT_MS = 3_000;

function withTimeout(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const health: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  app.get('/healthz', { schema: healthzSchema }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', { schema: readyzSchema }, async (request, reply) => {
    const probe = async (name: string, run: () => Promise<unknown>) => {
      try {
        await run();
        return 'ok' as const;
      } catch (err) {
        request.log.warn({ err, dependency: name }, 'readiness check failed');
        return 'unavailable' as const;
      }
    };
    const [temporal, cloudOps] = await Promise.all([
      probe('temporal', () =>
        withTemporalDeadline(deps.temporal, () => deps.temporal.connection.workflowService.getSystemInfo({}), PROBE_TIMEOUT_MS),
      ),
      probe('cloudOps', () => withTimeout(deps.capacity.ping(), PROBE_TIMEOUT_MS)),
    ]);
    const ready = temporal === 'ok' && cloudOps === 'ok';
    const answer: Readiness = {
      status: ready ? 'ready' : 'unavailable',
      mode: deps.config.cloudOps.apiKey === null ? 'emulator' : 'cloud',
      checks: { temporal, cloudOps },
      auth: deps.config.auth.mode,
    };
    return reply.code(ready ? 200 : 503).send(answer);
  });
};

export default health;
