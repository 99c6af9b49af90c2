// The soak's stack: the service's own local stack (src/local/stack.ts) in this process, as `npm start` runs it: a
// real Temporal dev server (a child process; or the one TEST_TEMPORAL_ADDRESS names), the Cloud Ops emulator over
// real gRPC/TLS WITH its HTTP control plane, the real Fastify app on a real port, a real worker; and a local HTTP
// receiver standing in for the Slack webhook.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import pino from 'pino';
import { loadConfig, type Config } from '../src/config.js';
import type { RunningEmulator } from '../src/emulator/index.js';
import { freePort } from '../src/local/dev-server.js';
import { startStack } from '../src/local/stack.js';
import { createLogger } from '../src/logger.js';
import type { Metrics } from '../src/metrics.js';
import { StopList } from '../src/stop-list.js';

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
async function startSlackReceiver(
  secretPath: string,
  alerts: Alert[],
): Promise<{ url: string; close(): Promise<void> }> {
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
    const alerts: Alert[] = [];
    const slack = await startSlackReceiver(`/services/T000/B000/${randomBytes(12).toString('hex')}`, alerts);
    stops.push(() => slack.close());
    const cloudApiKey = `soak-cloud-key-${randomBytes(12).toString('hex')}`;
    // Under `npm test` a dev server is already up for everyone: use it, as the e2e tests do.
    const sharedServer = process.env.TEST_TEMPORAL_ADDRESS;
    const temporal: Record<string, string> = sharedServer
      ? { TEMPORAL_ADDRESS: sharedServer }
      : { TEMPORAL_DEV_SERVER_PORT: String(await freePort()), TEMPORAL_DEV_SERVER_UI_PORT: String(await freePort()) };
    const env: Record<string, string> = {
      ...temporal,
      ...(process.env.TEMPORAL_CLI_PATH && { TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH }),
      TEMPORAL_TASK_QUEUE: `soak-${randomBytes(4).toString('hex')}`,
      TEMPORAL_CLOUD_API_KEY: cloudApiKey,
      SLACK_WEBHOOK_URL: slack.url,
      VERIFY_TIMEOUT: opts.verifyTimeout,
      REVERT_ALERT_AFTER: opts.revertAlertAfter,
      LOG_LEVEL: 'info',
      // The API on a free port; the emulator WITH its control plane, on a free port too.
      HOST: '127.0.0.1',
      PORT: '0',
      EMULATOR_CONTROL_PORT: '0',
      EMULATOR_APPLY_DELAY_MS: String(opts.applyDelayMs),
      SDK_METRICS_PORT: '0',
      // Windows of seconds: the hourly guardrail is not what a soak exercises.
      GUARDRAIL_MIN_WINDOW_DURATION: '0s',
      // The soak polls every window; no tokens (a local stack).
      RATE_LIMIT_PER_MINUTE: '0',
      AUTH_DISABLED: 'true',
    };
    const config = loadConfig(env);
    const logFile = path.join(opts.workDir, 'service.log');
    const logger = createLogger({
      level: 'info',
      secrets: [cloudApiKey, slack.url],
      destination: pino.destination({ dest: logFile, sync: false }),
    });
    stops.push(async () => logger.flush());
    opts.log(`${sharedServer ? '' : 'starting a Temporal dev server, '}bundling the workflows and starting the worker`);
    // The worker runs here, as ROLE=all runs it.
    const stack = await startStack({
      config,
      logger,
      emulator: { apiKey: cloudApiKey, tlsDir: opts.tlsDir, namespaces: [] },
      worker: { start: true },
      api: { listen: true },
    });
    stops.push(() => stack.close());

    return {
      config,
      baseUrl: stack.api!.baseUrl!,
      controlUrl: stack.emulator!.controlUrl!,
      emulator: stack.emulator!,
      metrics: stack.metrics,
      alerts,
      logFile,
      temporalAddress: stack.temporalAddress,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
