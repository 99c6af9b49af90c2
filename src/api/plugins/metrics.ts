import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { Gauge } from 'prom-client';
import { ageSeconds, Refreshed } from '../../health/refreshed.js';
import { METRIC_PREFIX, renderMetrics, type Metrics } from '../../metrics.js';
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

async function countOpenWindows(temporal: Client): Promise<Record<Phase, number>> {
  const counts = await Promise.all(
    OPEN_PHASES.map((phase) =>
      withTemporalDeadline(temporal, () =>
        temporal.workflow.count(
          `WorkflowType = '${CAPACITY_WINDOW_WORKFLOW}' AND ExecutionStatus = 'Running' AND CapacityPhase = '${phase}'`,
        ),
      ),
    ),
  );
  return Object.fromEntries(OPEN_PHASES.map((phase, i) => [phase, counts[i].count])) as Record<Phase, number>;
}

/** The route label of a request no route matched: one value, whatever URL was asked for. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Counts and times every HTTP answer by method, route pattern and status code, and serves this process's
 * metrics at GET /metrics (Prometheus text, hidden from the OpenAPI document). Installed on the root
 * instance before the routes, so that its hook sees all of them.
 */
export function registerMetrics(
  app: FastifyInstance,
  metrics: Metrics,
  temporal: Client,
  refreshIntervalMs: number,
): void {
  // Windows by phase from Temporal visibility (the truth across every API and worker process), counted in the
  // background: a scrape, however frequent, runs no visibility query.
  const windows = new Refreshed(
    () => countOpenWindows(temporal),
    refreshIntervalMs,
    (err) => app.log.warn({ err }, 'counting windows for /metrics failed; serving the last counts'),
  ).bindTo(app, { waitForFirst: false }); // start-up does not wait for visibility: until then no window gauge
  new Gauge({
    name: `${METRIC_PREFIX}windows`,
    help: 'Running capacity windows by phase (from Temporal visibility, at the last background count).',
    labelNames: ['phase'],
    registers: [metrics.registry],
    collect() {
      const counts = windows.last?.value;
      if (counts) OPEN_PHASES.forEach((phase) => this.set({ phase }, counts[phase]));
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}windows_count_age_seconds`,
    help: 'Seconds since capacity_scheduler_windows was counted (every HEALTH_REFRESH_INTERVAL); absent before the first count.',
    registers: [metrics.registry],
    collect() {
      const age = ageSeconds(windows.last);
      if (age !== null) this.set(age);
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
    const { contentType, body } = await renderMetrics(metrics);
    return reply.type(contentType).send(body);
  });
}
