// The soak's stack, assembled in this process around the same startEmulatedApi as test/helpers/harness.ts and
// bench/suite.ts: a real Temporal dev server (a child process; or the one TEST_TEMPORAL_ADDRESS names), the
// Cloud Ops emulator over real gRPC/TLS WITH its HTTP control plane, the real Fastify app on a real port, a
// real worker (as ROLE=all runs it), and a local HTTP receiver standing in for the Slack webhook.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { NativeConnection, type Worker } from '@temporalio/worker';
import pino from 'pino';
import { createActivities } from '../src/activities/index.js';
import { loadConfig, type Config } from '../src/config.js';
import type { RunningEmulator } from '../src/emulator/index.js';
import { freePort, resolveTemporalCli, startDevServer, type RunningDevServer } from '../src/local/dev-server.js';
import { startEmulatedApi } from '../src/local/emulated-api.js';
import { createLogger, installTemporalRuntimeLogger } from '../src/logger.js';
import type { Metrics } from '../src/metrics.js';
import { createSlackNotifier } from '../src/notify/slack.js';
import { searchAttributeRegistrations } from '../src/shared/search-attributes.js';
import { StopList } from '../src/stop-list.js';
import { createWorker, workflowBundle } from '../src/worker/index.js';

export interface Alert {
  severity: 'WARNING' | 'CRITICAL' | 'UNKNOWN';
  windowId: string | null;
  text: string;
  at: number;
}

export interface SoakStack {
  config: Config;
  baseUrl: string;
  controlUrl: string;
  emulator: RunningEmulator;
  metrics: Metrics;
  alerts: Alert[];
  /** Where the service and the worker log (info level). */
  logFile: string;
  temporalAddress: string;
  close(): Promise<void>;
}

export interface StackOptions {
  workDir: string;
  tlsDir: string;
  applyDelayMs: number;
  verifyTimeout: string;
  revertAlertAfter: string;
  log: (msg: string) => void;
}


/** The Slack webhook stand-in: keeps every alert with its severity and the window it names. */
async function startSlackReceiver(secretPath: string, alerts: Alert[]): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === secretPath) {
        try {
          const msg = JSON.parse(body) as { text?: string; blocks?: unknown[] };
          const text = msg.text ?? '';
          const severity = /\[CRITICAL\]/.test(text) ? 'CRITICAL' : /\[WARNING\]/.test(text) ? 'WARNING' : 'UNKNOWN';
          // The context block names the window: "Window `<id>`".
          const windowId = /Window `([^`]+)`/.exec(JSON.stringify(msg.blocks ?? []))?.[1] ?? null;
          alerts.push({ severity, windowId, text, at: Date.now() });
        } catch {
          alerts.push({ severity: 'UNKNOWN', windowId: null, text: body.slice(0, 200), at: Date.now() });
        }
      }
      res.writeHead(req.url === secretPath ? 200 : 404).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${secretPath}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function startSoakStack(opts: StackOptions): Promise<SoakStack> {
  const stops = new StopList((err) => opts.log(`while stopping: ${(err as Error).message}`));
  const close = () => stops.stopAll();
  try {
    // Under `npm test` a dev server is already up for everyone: use it, as the e2e tests do.
    let address = process.env.TEST_TEMPORAL_ADDRESS;
    if (!address) {
      opts.log('starting a Temporal dev server');
      const server: RunningDevServer = await startDevServer({
        cli: resolveTemporalCli(process.env.TEMPORAL_CLI_PATH ?? null),
        port: await freePort(),
        uiPort: await freePort(),
        searchAttributes: searchAttributeRegistrations(),
      });
      stops.push(() => server.stop());
      address = server.address;
    }

    const alerts: Alert[] = [];
    const slack = await startSlackReceiver(`/services/T000/B000/${randomBytes(12).toString('hex')}`, alerts);
    stops.push(() => slack.close());
    const cloudApiKey = `soak-cloud-key-${randomBytes(12).toString('hex')}`;
    const env: Record<string, string> = {
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TASK_QUEUE: `soak-${randomBytes(4).toString('hex')}`,
      TEMPORAL_CLOUD_API_KEY: cloudApiKey,
      SLACK_WEBHOOK_URL: slack.url,
      VERIFY_TIMEOUT: opts.verifyTimeout,
      REVERT_ALERT_AFTER: opts.revertAlertAfter,
      LOG_LEVEL: 'info',
      // Windows of seconds: the hourly guardrail is not what a soak exercises.
      GUARDRAIL_MIN_WINDOW_DURATION: '0s',
      // The soak polls every window; no tokens (a local stack).
      RATE_LIMIT_PER_MINUTE: '0',
      AUTH_DISABLED: 'true',
    };
    const config = loadConfig(env);
    const logFile = path.join(opts.workDir, 'service.log');
    const logger = createLogger({ level: 'info', secrets: [cloudApiKey, slack.url], destination: pino.destination({ dest: logFile, sync: false }) });
    stops.push(async () => logger.flush());
    installTemporalRuntimeLogger(logger);
    const api = await startEmulatedApi({ config, logger, emulator: { applyDelayMs: opts.applyDelayMs, tlsDir: opts.tlsDir, controlPort: 0 }, listen: true });
    stops.push(() => api.close());
    const { metrics, emulator, capacity } = api;

    opts.log('bundling the workflows and starting the worker');
    const notifier = createSlackNotifier({ webhookUrl: slack.url, timeoutMs: config.slack.timeoutMs, logger, metrics });
    const nativeConnection = await NativeConnection.connect({ address });
    stops.push(() => nativeConnection.close());
    const worker: Worker = await createWorker({
      connection: nativeConnection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      activities: createActivities({ capacity, notifier, metrics, guardrails: config.guardrails }),
      bundle: await workflowBundle(),
    });
    const run = worker.run();
    stops.push(async () => {
      worker.shutdown();
      await run;
    });

    return {
      config,
      baseUrl: api.baseUrl as string,
      controlUrl: emulator.controlUrl as string,
      emulator,
      metrics,
      alerts,
      logFile,
      temporalAddress: address,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
