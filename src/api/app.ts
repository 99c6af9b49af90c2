import { randomUUID } from 'node:crypto';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { DiagnosticsService } from '../health/diagnostics.js';
import { ReadinessProbe } from '../health/readiness.js';
import { NamespacesService } from '../namespaces/service.js';
import { SchedulesService } from '../schedules/service.js';
import { WindowsService } from '../windows/service.js';
import type { AppDeps } from './deps.js';
import { registerSwagger } from './plugins/swagger.js';
import { ERROR_CODE_KEY, installErrorHandling, installMethodNotAllowed, sendFrameworkError } from './plugins/errors.js';
import { registerMetrics } from './plugins/metrics.js';
import { authenticate, registerAuth } from './plugins/auth.js';
import capacityChanges from './routes/capacity-changes/index.js';
import capacitySchedules from './routes/capacity-schedules/index.js';
import diagnostics from './routes/diagnostics/index.js';
import namespaces from './routes/namespaces/index.js';
import reports from './routes/reports/index.js';
import { TruHoursMeter } from '../reports/meter.js';
import { ReportsService } from '../reports/service.js';
import { Refreshed } from '../health/refreshed.js';
import type { Metrics } from '../metrics.js';
import type { Config } from '../config.js';
import health from './routes/health/index.js';
import ui from './routes/ui/index.js';

const BODY_LIMIT_BYTES = 64 * 1024;
const MAX_PARAM_LENGTH = 512;
/** Receiving a whole request (64 KiB at most) takes far less; the handlers' Temporal calls have their own deadline. */
const REQUEST_TIMEOUT_MS = 30_000;
const CONNECTION_TIMEOUT_MS = 60_000;
const KEEP_ALIVE_TIMEOUT_MS = 10_000;
/** After VERIFY_TIMEOUT, how much longer an hour's changes may take to be reported before the hour is counted. */
const TRU_HOURS_SETTLE_MS = 5 * 60_000;

/**
 * Builds the HTTP app for production and tests alike. It connects nothing: every dependency is passed in,
 * so `await app.ready()` works with dependencies that are never called (the OpenAPI generator does that).
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; widening it keeps the instance a plain FastifyInstance for plugins.
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    // Fastify's defaults strip unknown fields and coerce "4" to 4; a capacity request must be exactly what was meant.
    // ERROR_CODE_KEY is an annotation of ours (the code a rule between fields answers with), not a validation keyword.
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, keywords: [ERROR_CODE_KEY] },
    },
    logController: new OneLinePerRequest(),
    // Our own ids, never a client's: they are what the audit trail links a change to.
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    // A client that sends its request slowly, or holds an idle connection, does not hold a socket for ever.
    requestTimeout: REQUEST_TIMEOUT_MS,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    // Long enough for every id we make; a longer one answers 414, in our error shape like every other error.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // The router refuses these URLs before any hook runs: authenticate here too, so that a 414 or a 400 for a
    // malformed URL never tells an unauthenticated caller that a route exists.
    frameworkErrors: (error, request, reply) => {
      try {
        authenticate(deps.config.auth, request, reply);
      } catch (refused) {
        return sendFrameworkError(reply, refused);
      }
      return sendFrameworkError(reply, error);
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id).header('x-content-type-options', 'nosniff');
  });

  // Only JSON bodies: without this a text/plain body reaches validation and gets a confusing 400, not a 415.
  app.removeContentTypeParser('text/plain');

  installErrorHandling(app);
  // Before every route: the auth hook and the rate limit must see all of them.
  await registerAuth(app, deps.config.auth);
  installMethodNotAllowed(app);
  await registerSwagger(app);
  if (deps.metrics) registerMetrics(app, deps.metrics, deps.temporal, deps.config.health.refreshIntervalMs);
  // The services hold every call to Temporal and Cloud Ops; the routes only translate HTTP to them.
  await app.register(health, {
    readiness: new ReadinessProbe({ ...deps, capacity: deps.readinessCapacity ?? deps.capacity }).bindTo(app),
  });
  await app.register(capacityChanges, { windows: new WindowsService(deps) });
  await app.register(capacitySchedules, { schedules: new SchedulesService(deps) });
  await app.register(namespaces, { namespaces: new NamespacesService(deps) });
  await app.register(diagnostics, { diagnostics: new DiagnosticsService(deps) });
  const reportsService = new ReportsService(deps);
  await app.register(reports, { reports: reportsService });
  if (deps.metrics) meterTruHours(app, reportsService, deps.metrics, deps.config);
  await app.register(ui, { temporal: deps.config.temporal });
  return app;
}

/** Counts each clock hour's TRU-hours into /metrics once the hour is over and its changes verified. */
function meterTruHours(app: FastifyInstance, reports: ReportsService, metrics: Metrics, config: Config): void {
  const meter = new TruHoursMeter(reports, metrics, config.policy.verifyTimeoutMs + TRU_HOURS_SETTLE_MS);
  new Refreshed(
    () => meter.tick(),
    config.health.refreshIntervalMs,
    (err) => app.log.warn({ err }, 'counting TRU-hours for /metrics failed; the next refresh tries again'),
  ).bindTo(app, { waitForFirst: false });
}

/**
 * Fastify logs two info lines per request: "incoming request" (the request) and "request completed" (the status
 * and time). One line, written when the answer is sent, carries both, at half the serialising, redacting and
 * writing per request (the benchmark's profile had logging at about a tenth of the API's CPU for GET). Every
 * other line Fastify logs (errors, aborted streams) is unchanged.
 */
class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error)
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
