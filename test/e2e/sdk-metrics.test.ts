// The worker's Temporal SDK metrics: the Rust core's Prometheus exporter, installed the way service.ts does it
// for the worker role (SDK_METRICS_PORT). Its own file: the Runtime is process-wide and installed once.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { loadConfig } from '../../src/config.js';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../../src/activities/index.js';
import { createLogger, installTemporalRuntimeLogger } from '../../src/logger.js';
import { createWorker, workflowBundle } from '../../src/worker/index.js';
import type { CapacityService } from '../../src/cloud-ops/capacity.js';
import { freePort } from '../helpers/process.js';
import { requireEnv, waitFor } from '../helpers/harness.js';

t.test('a running worker exports the SDK metrics in Prometheus text', async (t) => {
  const address = requireEnv('TEST_TEMPORAL_ADDRESS');
  const port = await freePort();
  const logger = createLogger({ level: 'silent', secrets: [] });
  installTemporalRuntimeLogger(logger, { sdkMetricsBindAddress: `127.0.0.1:${port}` });

  const connection = await NativeConnection.connect({ address });
  t.teardown(() => connection.close());
  // The worker polls an empty task queue; its activities are never called.
  const activities = createActivities({
    capacity: {} as CapacityService,
    notifier: { notify: async () => false },
    guardrails: loadConfig({}).guardrails,
  });
  const worker = await createWorker({
    connection,
    namespace: 'default',
    taskQueue: `sdk-metrics-${randomBytes(4).toString('hex')}`,
    activities,
    bundle: await workflowBundle(),
    maxCachedWorkflows: loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '7' }).worker.maxCachedWorkflows,
    cloudOpsRequestsPerSecond: loadConfig({ CLOUD_OPS_MAX_REQUESTS_PER_SECOND: '60' }).cloudOps.maxRequestsPerSecond,
  });
  t.equal(worker.options.maxCachedWorkflows, 7, 'WORKER_MAX_CACHED_WORKFLOWS reaches the SDK worker');
  t.equal(
    worker.options.maxTaskQueueActivitiesPerSecond,
    10,
    'CLOUD_OPS_MAX_REQUESTS_PER_SECOND reaches the task queue: half of it for activities of up to 3 calls',
  );
  const run = worker.run();
  t.teardown(async () => {
    worker.shutdown();
    await run;
  });

  const text = await waitFor(
    'SDK metrics from the worker',
    async () => {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      const body = await res.text();
      return res.ok && /^temporal_\w+/m.test(body) ? { body, type: res.headers.get('content-type') } : undefined;
    },
    20_000,
  );
  t.match(text.type, /^text\/plain/);
  t.match(text.body, /^temporal_\w+\{[^}]*task_queue="sdk-metrics-/m, 'worker metrics labelled with the task queue');
});
