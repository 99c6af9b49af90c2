// The benchmark's worker, in its own process as with ROLE=worker in production, so that its RSS is its own.
// Usage (from bench/suite.ts): node <work dir>/js/bench/worker.js <spec.json>, compiled by bench/bundle.ts as
// production runs compiled JavaScript (node --import tsx bench/worker.ts works too); prints "ready" once polling,
// drains and exits on SIGTERM. GRPC_DEFAULT_SSL_ROOTS_FILE_PATH (set by bench/run.ts) is inherited, so the
// emulator's certificate is trusted.
import { readFileSync } from 'node:fs';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../src/activities/index.js';
import { CapacityService } from '../src/cloud-ops/capacity.js';
import { CloudOps } from '../src/cloud-ops/client.js';
import { loadConfig } from '../src/config.js';
import { createLogger, installTemporalRuntimeLogger } from '../src/logger.js';
import { cloudOpsCallObserver, createMetrics } from '../src/metrics.js';
import { createSlackNotifier } from '../src/notify/slack.js';
import { createWorker } from '../src/worker/index.js';
import pino from 'pino';

export interface WorkerSpec {
  /** The same environment the bench process's config was loaded from. */
  env: Record<string, string>;
  emulator: { grpcAddress: string; serverName: string };
  bundlePath: string;
  logFile: string;
}

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8')) as WorkerSpec;
const config = loadConfig(spec.env);
const apiKey = config.cloudOps.apiKey as string;
const logger = createLogger({
  level: config.logLevel,
  secrets: [apiKey],
  destination: pino.destination({ dest: spec.logFile, sync: false }),
});
installTemporalRuntimeLogger(logger);
const metrics = createMetrics();
const ops = CloudOps.forEmulator(spec.emulator, {
  apiKey,
  apiVersion: config.cloudOps.apiVersion,
  onCall: cloudOpsCallObserver(metrics),
});
const capacity = new CapacityService(ops);
const notifier = createSlackNotifier({ webhookUrl: null, timeoutMs: 2_000, logger, metrics });
const connection = await NativeConnection.connect({ address: config.temporal.address as string });
const worker = await createWorker({
  connection,
  namespace: config.temporal.namespace,
  taskQueue: config.temporal.taskQueue,
  activities: createActivities({ capacity, notifier, metrics, guardrails: config.guardrails }),
  bundle: { codePath: spec.bundlePath },
  maxCachedWorkflows: config.worker.maxCachedWorkflows,
  cloudOpsRequestsPerSecond: config.cloudOps.maxRequestsPerSecond,
});
const run = worker.run();
process.once('SIGTERM', () => worker.shutdown());
process.stdout.write('ready\n');
await run;
await connection.close();
await ops.close();
logger.flush();
process.exit(0);
