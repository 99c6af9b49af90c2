import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { createActivities } from './activities/index.js';
import { buildApp } from './api/app.js';
import { CloudOps } from './cloud-ops/client.js';
import { CapacityService } from './cloud-ops/capacity.js';
import type { Config } from './config.js';
import { startEmulator, type RunningEmulator } from './emulator/index.js';
import { startDevServer, resolveTemporalCli, type RunningDevServer } from './local/dev-server.js';
import { createLogger, installTemporalRuntimeLogger, type Logger } from './logger.js';
import { cloudOpsCallObserver, createMetrics, type Metrics } from './metrics.js';
import { createSlackNotifier } from './notify/slack.js';
import { searchAttributeRegistrations } from './shared/search-attributes.js';
import { StopList } from './stop-list.js';
import { createWorker } from './worker/index.js';

const BANNER = '='.repeat(78);

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

export interface ServiceOptions {
  /** Where the emulator keeps its generated certificate (the same dir main.ts told grpc-js to trust). */
  emulatorTlsDir: string;
}

/** Starts what the role asks for, in order, and stops it in reverse order on SIGTERM/SIGINT. */
export async function runService(config: Config, opts: ServiceOptions): Promise<void> {
  const emulatorKey = config.cloudOps.apiKey === null ? randomBytes(24).toString('hex') : null;
  const secrets = [
    config.cloudOps.apiKey,
    config.temporal.apiKey,
    config.slack.webhookUrl,
    emulatorKey,
    // The tokens themselves are never known here; their hashes are kept out of the logs too.
    ...config.auth.tokens.map((t) => t.sha256.toString('hex')),
  ].filter((s): s is string => typeof s === 'string');
  const logger = createLogger({ level: config.logLevel, secrets });
  const stops = new StopList((err) => logger.error({ err }, 'error while stopping'));

  try {
    const metrics = createMetrics();
    // The SDK's own metrics come from the worker's Rust core, on their own port (see SDK_METRICS_PORT).
    const sdkMetricsBindAddress =
      config.role !== 'api' && config.sdkMetrics.port !== null
        ? `${config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host}:${config.sdkMetrics.port}`
        : undefined;
    installTemporalRuntimeLogger(logger, { sdkMetricsBindAddress });
    const address = config.temporal.address ?? (await startLocalTemporal(config, logger, stops)).address;
    const { ops, emulator } = await connectCloudOps(config, logger, opts, emulatorKey, stops, metrics);
    const capacity = new CapacityService(ops);

    let app: FastifyInstance | null = null;
    if (config.role !== 'worker') {
      const connection = Connection.lazy({
        ...temporalConnectionOptions(config, address),
        // grpc-js backs off reconnects up to 120 s: after an outage the API would answer 503 long after Temporal is back.
        channelArgs: { 'grpc.max_reconnect_backoff_ms': 2_000 },
      });
      stops.push(() => connection.close());
      const client = new Client({ connection, namespace: config.temporal.namespace });
      app = await buildApp({ config, logger, temporal: client, capacity, metrics });
      warnAboutAuth(config, logger);
      stops.push(() => app!.close());
      await app.listen({ port: config.http.port, host: config.http.host });
    }

    let worker: Worker | null = null;
    let workerRun: Promise<void> | null = null;
    if (config.role !== 'api') {
      const connection = await NativeConnection.connect(temporalConnectionOptions(config, address));
      stops.push(() => connection.close());
      const notifier = createSlackNotifier({
        webhookUrl: config.slack.webhookUrl,
        timeoutMs: config.slack.timeoutMs,
        logger,
        uiUrl: config.temporal.uiUrl,
        temporalNamespace: config.temporal.namespace,
        metrics,
      });
      worker = await createWorker({
        connection,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        activities: createActivities({ capacity, notifier, metrics, guardrails: config.guardrails }),
        maxCachedWorkflows: config.worker.maxCachedWorkflows,
      });
      workerRun = worker.run();
      stops.push(async () => {
        worker!.shutdown();
        await workerRun;
      });
      logger.info(
        { taskQueue: config.temporal.taskQueue, sdkMetrics: sdkMetricsBindAddress ? `http://${sdkMetricsBindAddress}/metrics` : null },
        'worker running',
      );
    }

    logger.info(
      {
        role: config.role,
        api: app ? `http://${config.http.host}:${config.http.port}` : null,
        docs: app ? `http://${config.http.host}:${config.http.port}/docs` : null,
        metrics: app ? `http://${config.http.host}:${config.http.port}/metrics` : null,
        temporal: address,
        cloudOps: emulator ? `EMULATOR ${emulator.grpcAddress}` : config.cloudOps.address,
      },
      'capacity scheduler started',
    );

    await new Promise<void>((resolve, reject) => {
      const onSignal = (signal: string) => {
        logger.info({ signal }, 'shutting down: finishing in-flight requests and draining the worker');
        resolve();
      };
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      workerRun?.catch(reject);
    });
    await stops.stopAll();
    logger.info('stopped');
    logger.flush();
    process.exit(0);
  } catch (err) {
    logger.fatal({ err }, 'capacity scheduler failed');
    await stops.stopAll();
    logger.flush();
    // A half-connected Worker or NativeConnection can keep the process alive: exit explicitly.
    process.exit(1);
  }
}

/** Open or disabled authentication is said loudly at start-up (and in /readyz): anyone can change capacity. */
function warnAboutAuth(config: Config, logger: Logger): void {
  const { mode, tokens, rateLimitPerMinute } = config.auth;
  if (mode === 'tokens') {
    logger.info({ tokens: tokens.map((t) => ({ name: t.name, scopes: t.scopes })), rateLimitPerMinute }, 'API authentication: bearer tokens');
    return;
  }
  const why =
    mode === 'open'
      ? 'local mode without API_TOKENS_FILE: the API is OPEN, anyone who reaches it can change capacity'
      : 'AUTH_DISABLED=true: the API is OPEN, anyone who reaches it can change capacity';
  logger.warn(`\n${BANNER}\n  NO AUTHENTICATION: ${why}.\n  Set API_TOKENS_FILE (see docs/api.md, "Authentication") before exposing it.\n${BANNER}`);
}

async function startLocalTemporal(config: Config, logger: Logger, stops: StopList): Promise<RunningDevServer> {
  const cli = resolveTemporalCli(config.devServer.cliPath);
  logger.info({ cli, port: config.devServer.port }, 'TEMPORAL_ADDRESS is unset: starting an embedded Temporal dev server');
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
  logger: Logger,
  opts: ServiceOptions,
  emulatorKey: string | null,
  stops: StopList,
  metrics: Metrics,
): Promise<{ ops: CloudOps; emulator: RunningEmulator | null }> {
  const onCall = cloudOpsCallObserver(metrics);
  if (emulatorKey === null) {
    const ops = CloudOps.create({
      address: config.cloudOps.address,
      apiKey: config.cloudOps.apiKey as string,
      apiVersion: config.cloudOps.apiVersion,
      onCall,
    });
    stops.push(() => ops.close());
    return { ops, emulator: null };
  }
  const emulator = await startEmulator({
    apiKey: emulatorKey,
    namespaces: config.emulator.namespaces,
    applyDelayMs: config.emulator.applyDelayMs,
    grpcPort: config.emulator.grpcPort,
    controlPort: config.emulator.controlPort,
    // The control plane must be reachable where the API is (e.g. from outside a container).
    host: config.http.host,
    tlsDir: opts.emulatorTlsDir,
  });
  stops.push(() => emulator.close());
  const ops = CloudOps.forEmulator(emulator, {
    apiKey: emulatorKey,
    apiVersion: config.cloudOps.apiVersion,
    onCall,
  });
  stops.push(() => ops.close());
  logger.warn(
    `\n${BANNER}\n  CLOUD OPS EMULATOR MODE: TEMPORAL_CLOUD_API_KEY is unset.\n` +
      `  Capacity changes go to a LOCAL EMULATOR at ${emulator.grpcAddress}; NO real Temporal Cloud namespace is changed.\n` +
      `  Emulated namespaces: ${config.emulator.namespaces.join(', ')}\n` +
      `  Emulator control plane: ${emulator.controlUrl ?? 'off'}\n${BANNER}`,
  );
  return { ops, emulator };
}
