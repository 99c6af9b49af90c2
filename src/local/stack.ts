// The one way to start the service's parts, used by `npm start` (service.ts), the end-to-end tests, the bench and
// the soak: the Temporal server, Cloud Ops, the worker and the API, in that order; close() stops them in reverse.
import { readFileSync } from 'node:fs';
import type net from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { createActivities } from '../activities/index.js';
import { buildApp } from '../api/app.js';
import { BudgetedReader } from '../cloud-ops/budgeted-reader.js';
import { CapacityService } from '../cloud-ops/capacity.js';
import { CloudOps } from '../cloud-ops/client.js';
import type { CapacityReader } from '../cloud-ops/types.js';
import type { Config } from '../config.js';
import { startEmulator, type RunningEmulator } from '../emulator/index.js';
import { installTemporalRuntimeLogger, type Logger } from '../logger.js';
import { cloudOpsCallObserver, createMetrics, type Metrics } from '../metrics.js';
import { createSlackNotifier } from '../notify/slack.js';
import { searchAttributeRegistrations } from '../shared/search-attributes.js';
import { StopList } from '../stop-list.js';
import { ensureSearchAttributes } from '../temporal/search-attributes.js';
import { createWorker } from '../worker/index.js';
import { resolveTemporalCli, startDevServer, type RunningDevServer } from './dev-server.js';

export interface StackOptions {
  /** TEMPORAL_ADDRESS names the server to use; unset, a dev server is started (TEMPORAL_DEV_SERVER_*). */
  config: Config;
  logger: Logger;
  /**
   * Runs the Cloud Ops emulator in this process (EMULATOR_*), accepting apiKey, with its certificate in tlsDir: the
   * directory whose CA grpc-js was told to trust before it loaded. Without it: the Cloud Ops API at CLOUD_OPS_ADDRESS.
   */
  emulator?: {
    apiKey: string;
    tlsDir: string;
    /** Seeded On-Demand; default EMULATOR_NAMESPACES. The tests, the bench and the soak add their own. */
    namespaces?: string[];
  };
  /** Runs a worker in this process; with start: false, only once worker.start() is called. */
  worker?: {
    start?: boolean;
    /** The worker's own config, where it differs from the API's (a test's guardrails or Slack webhook). */
    config?: Config;
  };
  /** Runs the API: listening on HOST:PORT, or only made ready, for app.inject(). */
  api?: { listen: boolean };
}

export interface StackWorker {
  /** Starts a worker on a connection of its own; resolves once it polls. */
  start(): Promise<void>;
  /** Drains the running worker, then closes its connection; nothing if none runs. */
  stop(): Promise<void>;
  /** The running worker's run: settles when it stops, rejects if it failed. */
  readonly running: Promise<void> | null;
  /** Whether a worker polls its task queue now (not starting, draining or stopped). */
  readonly polling: boolean;
}

export interface StackApi {
  /** Its Temporal client. */
  client: Client;
  /** Its Cloud Ops reads, run as activities on the rate-limited task queue. */
  capacity: CapacityReader;
  app: FastifyInstance;
  /** http://HOST:<port> when it listens. */
  baseUrl: string | null;
}

export interface Stack {
  /** TEMPORAL_ADDRESS or the dev server's. */
  temporalAddress: string;
  devServer: RunningDevServer | null;
  emulator: RunningEmulator | null;
  capacity: CapacityService;
  /** Shared by the API (GET /metrics), the Cloud Ops client, the activities and the Slack notifier. */
  metrics: Metrics;
  worker: StackWorker | null;
  api: StackApi | null;
  /** Stops everything, the last started first, then throws what failed to stop (an AggregateError). */
  close(): Promise<void>;
}

/** What the worker and the API are started with. */
interface Parts {
  logger: Logger;
  temporalAddress: string;
  capacity: CapacityService;
  metrics: Metrics;
  stops: StopList;
}

/** Connection options for the Temporal cluster that runs the workflows (not the Cloud Ops API). */
function temporalConnectionOptions(config: Config, address: string) {
  const t = config.temporal;
  return {
    address,
    apiKey: t.apiKey ?? undefined,
    tls: t.tls
      ? {
          serverNameOverride: t.tls.serverName,
          serverRootCACertificate: t.tls.serverCaCertPath ? readFileSync(t.tls.serverCaCertPath) : undefined,
          clientCertPair:
            t.tls.clientCertPath && t.tls.clientKeyPath
              ? { crt: readFileSync(t.tls.clientCertPath), key: readFileSync(t.tls.clientKeyPath) }
              : undefined,
        }
      : undefined,
  };
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const { logger } = opts;
  const errors: unknown[] = [];
  const stops = new StopList((err) => errors.push(err));
  const close = async () => {
    await stops.stopAll();
    if (errors.length > 0) {
      const failed = errors.splice(0);
      throw new AggregateError(
        failed,
        `stopping the stack: ${failed.map((e) => (e instanceof Error ? e.message : String(e))).join('; ')}`,
      );
    }
  };
  try {
    const metrics = createMetrics();
    const devServer =
      opts.config.temporal.address === null ? await startLocalTemporal(opts.config, logger, stops) : null;
    // The embedded server's Web UI is known: alerts and the timeline link to it unless TEMPORAL_UI_URL says otherwise.
    const config = devServer ? withWebUi(opts.config, devServer.uiUrl) : opts.config;
    const temporalAddress = config.temporal.address ?? devServer!.address;
    const { ops, emulator } = await connectCloudOps(config, opts.emulator, metrics, stops);
    const parts: Parts = { logger, temporalAddress, capacity: new CapacityService(ops), metrics, stops };
    if (opts.worker || opts.api) await checkSearchAttributes(config, temporalAddress, logger);
    const worker = opts.worker ? createWorkerHandle(opts.worker.config ?? config, parts) : null;
    if (opts.worker?.start !== false) await worker?.start();
    const api = opts.api ? await startApi(config, opts.api.listen, parts) : null;
    return { temporalAddress, devServer, emulator, capacity: parts.capacity, metrics, worker, api, close };
  } catch (err) {
    await close().catch((stopErr: unknown) => logger.error({ err: stopErr }, 'error while stopping'));
    throw err;
  }
}

function withWebUi(config: Config, uiUrl: string): Config {
  return config.temporal.uiUrl === null ? { ...config, temporal: { ...config.temporal, uiUrl } } : config;
}

/** Before serving: windows cannot start, nor report their phase, without our search attributes. */
async function checkSearchAttributes(config: Config, address: string, logger: Logger): Promise<void> {
  const connection = await Connection.connect(temporalConnectionOptions(config, address));
  try {
    await ensureSearchAttributes({ connection, address, namespace: config.temporal.namespace, logger });
  } finally {
    await connection.close();
  }
}

async function startLocalTemporal(config: Config, logger: Logger, stops: StopList): Promise<RunningDevServer> {
  const cli = resolveTemporalCli(config.devServer.cliPath);
  logger.info(
    { cli, port: config.devServer.port },
    'TEMPORAL_ADDRESS is unset: starting an embedded Temporal dev server',
  );
  const server = await startDevServer({
    cli,
    port: config.devServer.port,
    uiPort: config.devServer.uiPort,
    dbFile: config.devServer.dbFile,
    searchAttributes: searchAttributeRegistrations(),
    logger,
  });
  stops.push(() => server.stop());
  logger.info({ address: server.address, webUi: server.uiUrl }, 'embedded Temporal dev server ready');
  return server;
}

async function connectCloudOps(
  config: Config,
  emulated: StackOptions['emulator'],
  metrics: Metrics,
  stops: StopList,
): Promise<{ ops: CloudOps; emulator: RunningEmulator | null }> {
  const onCall = cloudOpsCallObserver(metrics);
  const { apiVersion } = config.cloudOps;
  if (!emulated) {
    if (config.cloudOps.apiKey === null)
      throw new Error('TEMPORAL_CLOUD_API_KEY is unset and no emulator was asked for');
    const ops = CloudOps.create({
      address: config.cloudOps.address,
      apiKey: config.cloudOps.apiKey,
      apiVersion,
      onCall,
    });
    stops.push(() => ops.close());
    return { ops, emulator: null };
  }
  const emulator = await startEmulator({
    apiKey: emulated.apiKey,
    namespaces: emulated.namespaces ?? config.emulator.namespaces,
    applyDelayMs: config.emulator.applyDelayMs,
    checkDurationMs: config.emulator.checkDurationMs,
    failedSpec: config.emulator.failedSpec,
    readOnlyApiKey: config.emulator.readOnlyApiKey,
    limits: config.emulator.limits,
    cooldownMs: config.emulator.cooldownMs,
    grpcPort: config.emulator.grpcPort,
    controlPort: config.emulator.controlPort,
    tlsDir: emulated.tlsDir,
  });
  stops.push(() => emulator.close());
  const ops = CloudOps.forEmulator(emulator, { apiKey: emulated.apiKey, apiVersion, onCall });
  stops.push(() => ops.close());
  return { ops, emulator };
}

function createWorkerHandle(config: Config, { logger, temporalAddress, capacity, metrics, stops }: Parts): StackWorker {
  // The SDK's own metrics come from the worker's Rust core, on their own port (see SDK_METRICS_PORT).
  const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
  const sdkMetricsBindAddress = config.sdkMetrics.port === null ? undefined : `${host}:${config.sdkMetrics.port}`;
  installTemporalRuntimeLogger(logger, { sdkMetricsBindAddress });
  let everStarted = false;
  // The SDK runtime shuts down with its last native connection; with none ever made, it would keep the process alive.
  stops.push(async () => {
    if (!everStarted) await Runtime.instance().shutdown();
  });
  const notifier = createSlackNotifier({
    webhookUrl: config.slack.webhookUrl,
    timeoutMs: config.slack.timeoutMs,
    logger,
    uiUrl: config.temporal.uiUrl,
    temporalNamespace: config.temporal.namespace,
    metrics,
  });
  const activities = createActivities({ capacity, notifier, metrics, guardrails: config.guardrails });
  let current: { worker: Worker; connection: NativeConnection; run: Promise<void> } | null = null;

  const handle: StackWorker = {
    get running() {
      return current?.run ?? null;
    },
    get polling() {
      return current?.worker.getState() === 'RUNNING';
    },
    async start() {
      everStarted = true;
      const connection = await NativeConnection.connect(temporalConnectionOptions(config, temporalAddress));
      try {
        const worker = await createWorker({
          connection,
          namespace: config.temporal.namespace,
          taskQueue: config.temporal.taskQueue,
          activities,
          maxCachedWorkflows: config.worker.maxCachedWorkflows,
          cloudOpsRequestsPerSecond: config.cloudOps.maxRequestsPerSecond,
        });
        current = { worker, connection, run: worker.run() };
      } catch (err) {
        await connection.close();
        throw err;
      }
      logger.info(
        {
          taskQueue: config.temporal.taskQueue,
          sdkMetrics: sdkMetricsBindAddress ? `http://${sdkMetricsBindAddress}/metrics` : null,
        },
        'worker running',
      );
    },
    async stop() {
      if (!current) return;
      const { worker, connection, run } = current;
      current = null;
      // A worker that failed on its own has nothing left to shut down; its run says why.
      if (worker.getState() === 'RUNNING') worker.shutdown();
      try {
        await run;
      } finally {
        // Only once the worker has let go of it: closing earlier fails ("Workers hold a reference to it").
        await connection.close();
      }
    },
  };
  stops.push(() => handle.stop());
  return handle;
}

async function startApi(
  config: Config,
  listen: boolean,
  { logger, temporalAddress, capacity, metrics, stops }: Parts,
): Promise<StackApi> {
  const connection = Connection.lazy({
    ...temporalConnectionOptions(config, temporalAddress),
    // grpc-js backs off reconnects up to 120 s: after an outage the API would answer 503 long after Temporal is back.
    channelArgs: { 'grpc.max_reconnect_backoff_ms': 2_000 },
  });
  stops.push(() => connection.close());
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const reads = new BudgetedReader(client, config.temporal.taskQueue);
  const app = await buildApp({
    config,
    logger,
    temporal: client,
    capacity: reads,
    readinessCapacity: capacity,
    metrics,
  });
  stops.push(() => app.close());
  if (!listen) {
    await app.ready();
    return { client, capacity: reads, app, baseUrl: null };
  }
  await app.listen({ port: config.http.port, host: config.http.host });
  return {
    client,
    capacity: reads,
    app,
    baseUrl: `http://${config.http.host}:${(app.server.address() as net.AddressInfo).port}`,
  };
}
