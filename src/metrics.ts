import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * This process's Prometheus metrics: one registry per process (or per test harness), created at boot and
 * passed down like the config. Labels hold bounded values only (route patterns, RPC names, error kinds).
 */
export interface Metrics {
  registry: Registry;
  /** HTTP requests answered, by method, route pattern and status code. */
  httpRequests: Counter<'method' | 'route' | 'status_code'>;
  httpRequestDuration: Histogram<'method' | 'route' | 'status_code'>;
  /** Cloud Ops API calls, by RPC and outcome (`ok` or the CloudOpsError kind). */
  cloudOpsCalls: Counter<'method' | 'outcome'>;
  cloudOpsCallDuration: Histogram<'method' | 'outcome'>;
  /** applyCapacity attempts, by change (apply | revert) and outcome (ok, nothing_to_change or a failure type). */
  capacityChanges: Counter<'change' | 'outcome'>;
  /** verifyCapacity attempts, by change and outcome (verified | failed), with the failure type as reason. */
  verifications: Counter<'change' | 'outcome' | 'reason'>;
  /** applyCapacity attempts for a revert after the first one (Temporal activity retries). */
  revertRetries: Counter;
  /** Slack alerts, by outcome: sent, failed (refused, unreachable, timed out) or disabled (no webhook). */
  slackSends: Counter<'outcome'>;
  /** Namespaces found changed outside the scheduler, by namespace (those the guardrails let it change) and policy. */
  driftDetected: Counter<'namespace' | 'policy'>;
}

export const METRIC_PREFIX = 'capacity_scheduler_';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({
      name: `${METRIC_PREFIX}http_requests_total`,
      help: 'HTTP requests answered, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status_code'] as const,
      registers,
    }),
    httpRequestDuration: new Histogram({
      name: `${METRIC_PREFIX}http_request_duration_seconds`,
      help: 'Time to answer an HTTP request, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    cloudOpsCalls: new Counter({
      name: `${METRIC_PREFIX}cloud_ops_calls_total`,
      help: 'Cloud Ops API calls, by RPC and outcome (ok or the error kind).',
      labelNames: ['method', 'outcome'] as const,
      registers,
    }),
    cloudOpsCallDuration: new Histogram({
      name: `${METRIC_PREFIX}cloud_ops_call_duration_seconds`,
      help: 'Latency of Cloud Ops API calls, by RPC and outcome.',
      labelNames: ['method', 'outcome'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    capacityChanges: new Counter({
      name: `${METRIC_PREFIX}capacity_change_attempts_total`,
      help: 'applyCapacity activity attempts, by change (apply or revert) and outcome (ok, nothing_to_change or the failure type).',
      labelNames: ['change', 'outcome'] as const,
      registers,
    }),
    verifications: new Counter({
      name: `${METRIC_PREFIX}verifications_total`,
      help: 'verifyCapacity activity attempts, by change (apply or revert), outcome (verified or failed) and failure reason type.',
      labelNames: ['change', 'outcome', 'reason'] as const,
      registers,
    }),
    revertRetries: new Counter({
      name: `${METRIC_PREFIX}revert_retries_total`,
      help: 'Retried attempts (attempt > 1) of applying a revert to On-Demand.',
      registers,
    }),
    slackSends: new Counter({
      name: `${METRIC_PREFIX}slack_sends_total`,
      help: 'Slack alerts, by outcome (sent, failed or disabled).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    driftDetected: new Counter({
      name: `${METRIC_PREFIX}drift_detected_total`,
      help: 'Drifts: a namespace found changed outside the scheduler while windows held it, by namespace and DRIFT_POLICY.',
      labelNames: ['namespace', 'policy'] as const,
      registers,
    }),
  };
}

/** This process's metrics in Prometheus text exposition: what GET /metrics answers, in every role. */
export async function renderMetrics(metrics: Metrics): Promise<{ contentType: string; body: string }> {
  return { contentType: metrics.registry.contentType, body: await metrics.registry.metrics() };
}

/** The Cloud Ops client's call hook, recording into these metrics. */
export function cloudOpsCallObserver(metrics: Metrics): (method: string, outcome: string, seconds: number) => void {
  return (method, outcome, seconds) => {
    metrics.cloudOpsCalls.inc({ method, outcome });
    metrics.cloudOpsCallDuration.observe({ method, outcome }, seconds);
  };
}
