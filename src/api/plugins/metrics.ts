import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { Gauge } from 'prom-client';
import type { Metrics } from '../../metrics.js';
import { CAPACITY_WINDOW_WORKFLOW, type Phase } from '../../shared/index.js';
import { withTemporalDeadline } from './errors.js';

const OPEN_PHASES: Phase[] = [
  'SCHEDULED',
  'PENDING',
  'APPLYING',
  'VERIFYING',
  'ACTIVE',
  'REVERTING',
  'REVERT_VERIFYING',
];

/** The route label of a request no route matched: one value, whatever URL was asked for. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Counts and times every HTTP answer by method, route pattern and status code, and serves this process's
 * metrics at GET /metrics (Prometheus text, hidden from the OpenAPI document). Installed on the root
 * instance before the routes, so that its hook sees all of them.
 */
export function registerMetrics(app: FastifyInstance, metrics: Metrics, temporal: Client): void {
  // Windows by phase, counted by Temporal visibility at scrape time: the truth across every API and worker process.
  new Gauge({
    name: 'capacity_scheduler_windows',
    help: 'Running capacity windows by phase (from Temporal visibility, at scrape time).',
    labelNames: ['phase'],
    registers: [metrics.registry],
    async collect() {
      const counts = await Promise.all(
        OPEN_PHASES.map((phase) =>
          withTemporalDeadline(temporal, () =>
            temporal.workflow.count(
              `WorkflowType = '${CAPACITY_WINDOW_WORKFLOW}' AND ExecutionStatus = 'Running' AND CapacityPhase = '${phase}'`,
            ),
          ),
        ),
      );
      OPEN_PHASES.forEach((phase, i) => this.set({ phase }, counts[i].count));
    },
  });

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
