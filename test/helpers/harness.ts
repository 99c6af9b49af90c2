// The end-to-end harness: the service's own local stack (src/local/stack.ts: the Cloud Ops emulator over real
// gRPC/TLS, a real worker, the real app) on the Temporal dev server that scripts/run-tests.ts starts once per run,
// and a local HTTP receiver standing in for Slack.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Client, ScheduleNotFoundError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { CapacityChange } from '../../src/api/routes/capacity-changes/schema.js';
import type { CapacityService } from '../../src/cloud-ops/capacity.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { startStack } from '../../src/local/stack.js';
import { createLogger, type Logger } from '../../src/logger.js';
import type { Metrics } from '../../src/metrics.js';
import { scheduleTemporalId } from '../../src/shared/index.js';
import { StopList } from '../../src/stop-list.js';

export interface HarnessOptions {
  applyDelayMs?: number;
  verifyTimeout?: string;
  revertAlertAfter?: string;
  /** More environment for the API's config (e.g. guardrails). */
  env?: Record<string, string>;
  /** Guardrail environment for the worker only, as if its config had changed since the request. */
  workerGuardrailEnv?: Record<string, string>;
  /**
   * API tokens, in clear: the harness writes their hashes to a tokens file and sets API_TOKENS_FILE.
   * Without tokens (nor API_TOKENS_FILE in env) the app runs with AUTH_DISABLED=true, as the harness's
   * TEMPORAL_ADDRESS is not local mode. The rate limit is off unless env sets RATE_LIMIT_PER_MINUTE.
   */
  tokens?: Array<{ name: string; scopes: string[]; token: string }>;
  /** The token startWindow, windowStatus and waitForWindow send; default: the first of `tokens`. */
  authToken?: string;
  /** false: do not start the in-process worker (a test runs its own, e.g. in a child process). Default true. */
  startWorker?: boolean;
  /** Where the worker's Slack notifier posts, instead of the harness's receiver (e.g. a closed port). */
  slackWebhookUrl?: string;
  /** Timeout of one Slack POST of the worker's notifier (default 2000 ms). */
  slackTimeoutMs?: number;
}

export interface SlackReceiver {
  url: string;
  messages: Array<{ text: string; blocks: unknown[] }>;
  close(): Promise<void>;
}

export interface Harness {
  config: Config;
  client: Client;
  app: FastifyInstance;
  emulator: RunningEmulator;
  capacity: CapacityService;
  slack: SlackReceiver;
  logger: Logger;
  /** This harness's metrics, shared by the app (GET /metrics), the Cloud Ops client, the activities and Slack. */
  metrics: Metrics;
  /** Every log line this process wrote, for the secret-leak checks. */
  logLines: string[];
  secrets: { cloudApiKey: string; slackWebhookUrl: string };
  /** A fresh emulated namespace, so tests never share a window's workflow id. */
  newNamespace(): string;
  /** POST /v1/capacity-changes; throws unless 202, returns the window id. */
  startWindow(body: Record<string, unknown>): Promise<string>;
  /** GET /v1/capacity-changes/{id}. */
  windowStatus(id: string): Promise<CapacityChange>;
  /** Polls the window's status until `done` holds. */
  waitForWindow(
    id: string,
    what: string,
    done: (s: CapacityChange) => boolean,
    timeoutMs?: number,
  ): Promise<CapacityChange>;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `${name} is unset: run the tests through \`npm test\` (scripts/run-tests.ts starts the dev server)`,
    );
  return value;
}

async function startSlackReceiver(secretPath: string): Promise<SlackReceiver> {
  const messages: SlackReceiver['messages'] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === secretPath) messages.push(JSON.parse(body));
      res.writeHead(req.url === secretPath ? 200 : 404).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${secretPath}`,
    messages,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const tlsDir = requireEnv('EMULATOR_TLS_DIR');
  const cloudApiKey = `test-cloud-key-${randomBytes(12).toString('hex')}`;
  const slack = await startSlackReceiver(`/services/T000/B000/${randomBytes(12).toString('hex')}`);
  const baseEnv = {
    TEMPORAL_ADDRESS: requireEnv('TEST_TEMPORAL_ADDRESS'),
    TEMPORAL_TASK_QUEUE: `test-${randomBytes(6).toString('hex')}`,
    TEMPORAL_CLOUD_API_KEY: cloudApiKey,
    SLACK_WEBHOOK_URL: opts.slackWebhookUrl ?? slack.url,
    SLACK_TIMEOUT: `${opts.slackTimeoutMs ?? 2_000}ms`,
    EMULATOR_APPLY_DELAY_MS: String(opts.applyDelayMs ?? 300),
    EMULATOR_CONTROL_PORT: '0',
    SDK_METRICS_PORT: '0',
    VERIFY_TIMEOUT: opts.verifyTimeout ?? '10s',
    REVERT_ALERT_AFTER: opts.revertAlertAfter ?? '3s',
    LOG_LEVEL: 'debug',
    // Tests use windows of seconds; the hourly guardrail has tests of its own.
    GUARDRAIL_MIN_WINDOW_DURATION: '0s',
    // Future windows start when they say unless a test sets a lead (window.test.ts).
    PROVISIONING_LEAD: '0s',
    // Tests poll the API far faster than any client would.
    RATE_LIMIT_PER_MINUTE: '0',
  } as Record<string, string>;
  let tokensDir: string | null = null;
  if (opts.tokens) {
    tokensDir = mkdtempSync(path.join(tmpdir(), 'capacity-tokens-'));
    const file = path.join(tokensDir, 'tokens.json');
    const entries = opts.tokens.map(({ name, scopes, token }) => ({
      name,
      scopes,
      sha256: createHash('sha256').update(token).digest('hex'),
    }));
    writeFileSync(file, JSON.stringify(entries), { mode: 0o600 });
    baseEnv.API_TOKENS_FILE = file;
  } else if (opts.env?.API_TOKENS_FILE === undefined) {
    baseEnv.AUTH_DISABLED = 'true';
  }
  const authToken = opts.authToken ?? opts.tokens?.[0]?.token;
  const headers: Record<string, string> = authToken === undefined ? {} : { authorization: `Bearer ${authToken}` };
  const config = loadConfig({ ...baseEnv, ...opts.env });
  const logLines: string[] = [];
  const logger = createLogger({
    level: 'debug',
    secrets: [cloudApiKey, slack.url, ...(opts.slackWebhookUrl ? [opts.slackWebhookUrl] : [])],
    destination: { write: (line: string) => void logLines.push(line) },
  });

  const stack = await startStack({
    config,
    logger,
    emulator: { apiKey: cloudApiKey, tlsDir, namespaces: [] },
    worker: {
      start: opts.startWorker !== false,
      config: loadConfig({ ...baseEnv, ...opts.env, ...opts.workerGuardrailEnv }),
    },
    api: { listen: false },
  }).catch(async (err: unknown) => {
    await slack.close();
    throw err;
  });
  const emulator = stack.emulator!;
  const { app, client } = stack.api!;

  const h: Harness = {
    config,
    client,
    app,
    emulator,
    capacity: stack.capacity,
    slack,
    logger,
    metrics: stack.metrics,
    logLines,
    secrets: { cloudApiKey, slackWebhookUrl: slack.url },
    newNamespace() {
      const ns = `t${randomBytes(5).toString('hex')}.acct1`;
      emulator.state.addNamespace(ns);
      return ns;
    },
    async startWindow(body) {
      const res = await app.inject({ method: 'POST', url: '/v1/capacity-changes', payload: body, headers });
      if (res.statusCode !== 202) throw new Error(`POST failed: ${res.statusCode} ${res.body}`);
      return res.json().id;
    },
    async windowStatus(id) {
      return (
        await app.inject({ method: 'GET', url: `/v1/capacity-changes/${encodeURIComponent(id)}`, headers })
      ).json();
    },
    async waitForWindow(id, what, done, timeoutMs = 30_000) {
      return waitFor(
        `window ${id}: ${what}`,
        async () => {
          const s = await h.windowStatus(id);
          return done(s) ? s : undefined;
        },
        timeoutMs,
      );
    },
    startWorker: () => stack.worker!.start(),
    stopWorker: () => stack.worker!.stop(),
    async close() {
      // Every part is stopped even when one fails: a part left open (the API, the emulator, a Temporal
      // connection) keeps the test file alive until tap's timeout, which then hides the error. The failures are
      // thrown afterwards, with their messages.
      const errors: unknown[] = [];
      const stops = new StopList((err) => errors.push(err));
      stops.push(async () => {
        if (tokensDir) rmSync(tokensDir, { recursive: true, force: true });
      });
      stops.push(() => slack.close());
      stops.push(() => stack.close());
      await stops.stopAll();
      if (errors.length > 0) {
        throw new AggregateError(
          errors,
          `closing the harness: ${errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ')}`,
        );
      }
    },
  };
  return h;
}

/** Deletes the capacity schedules a test made, those a test already deleted aside, so none fires after it. */
export async function deleteSchedules(h: Harness, ids: Iterable<string>): Promise<void> {
  for (const id of ids) {
    await h.client.schedule
      .getHandle(scheduleTemporalId(id))
      .delete()
      .catch((err: unknown) => {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      });
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until check returns a value (not undefined) or the timeout passes. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
