import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../metrics.js';

/** The route label of a request no route matched: one value, whatever URL was asked for. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Counts and times every HTTP answer by method, route pattern and status code, and serves this process's
 * metrics at GET /metrics (Prometheus text, hidden from the OpenAPI document). Installed on the root
 * instance before the routes, so that its hook sees all of them.
 */
export function registerMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    // The pattern ("/v1/capacity-changes/:id"), never the raw URL: ids and typos must not become label values.
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? UNMATCHED_ROUTE,
      status_code: String(reply.statusCode),
    };
    metrics.httpRequests.inc(labels);
    metrics.httpRequestDuration.observe(labels, reply.elapsedTime / 1000);
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });
}
