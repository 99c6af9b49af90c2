import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { CapacityReader } from './cloud-ops/types.js';
import type { Config } from './config.js';
import type { RunningEmulator } from './emulator/index.js';
import { checklistLines } from './health/checklist.js';
import { DiagnosticsService } from './health/diagnostics.js';
import { startStack, type Stack } from './local/stack.js';
import { startWorkerProbes, type WorkerProbes } from './health/worker-probes.js';
import { createLogger, type Logger } from './logger.js';
import { SearchAttributesRefusal } from './temporal/search-attributes.js';

const BANNER = '='.repeat(78);

export interface ServiceOptions {
  /** Where the emulator keeps its generated certificate: a private directory of this process. */
  emulatorTlsDir: string | null;
}

/** Starts what the role asks for, in order, and stops it in reverse order on SIGTERM/SIGINT. */
export async function runService(config: Config, opts: ServiceOptions): Promise<void> {
  const emulatorKey = opts.emulatorTlsDir === null ? null : randomBytes(24).toString('hex');
  const logger = createLogger({ level: config.logLevel, secrets: secretsOf(config, emulatorKey) });

  let stack: Stack | null = null;
  try {
    if (config.role !== 'worker') warnAboutAuth(config, logger);
    stack = await startStack({
      config,
      logger,
      emulator:
        emulatorKey === null || opts.emulatorTlsDir === null
          ? undefined
          : { apiKey: emulatorKey, tlsDir: opts.emulatorTlsDir },
      worker: config.role === 'api' ? undefined : { start: true },
      api: config.role === 'worker' ? undefined : { listen: true },
    });
    if (stack.emulator) warnAboutEmulator(config, logger, stack.emulator);
    const worker = stack.worker;
    // The worker role has no API: it answers /healthz, /readyz and /metrics on PORT (and HOST) itself.
    const probes =
      config.role === 'worker' && worker
        ? await startWorkerProbes({ ...config.http, polling: () => worker.polling, metrics: stack.metrics })
        : null;
    logStarted(config, logger, stack, probes);
    // Warns, never refuses: a setup problem is said at start, in the same words as `capacityctl doctor`.
    if (stack.api) void logPreflight(config, logger, stack.api.client, stack.api.capacity);

    await untilSignal(logger, stack.worker?.running);
    // The probes answer while the worker drains (/readyz: 503), so a supervisor does not take the drain for a hang.
    await stack.close().catch((err: unknown) => logger.error({ err }, 'error while stopping'));
    await probes?.close();
    logger.info('stopped');
    logger.flush();
    process.exit(0);
  } catch (err) {
    if (err instanceof SearchAttributesRefusal) {
      logger.fatal({ command: err.command }, `refusing to start: ${err.message}`);
      process.stderr.write(`capacity-scheduler: ${err.message}. Add them with:\n  ${err.command}\n`);
    } else logger.fatal({ err }, 'capacity scheduler failed');
    await stack?.close().catch((stopErr: unknown) => logger.error({ err: stopErr }, 'error while stopping'));
    logger.flush();
    // A half-connected Worker or NativeConnection can keep the process alive: exit explicitly. 78: configuration.
    process.exit(err instanceof SearchAttributesRefusal ? 78 : 1);
  }
}

/** What the logs never show. */
function secretsOf(config: Config, emulatorKey: string | null): string[] {
  return [
    config.cloudOps.apiKey,
    config.temporal.apiKey,
    config.slack.webhookUrl,
    emulatorKey,
    // The tokens themselves are never known here; their hashes are kept out of the logs too.
    ...config.auth.tokens.map((t) => t.sha256.toString('hex')),
  ].filter((s): s is string => typeof s === 'string');
}

/** Where everything runs, in one line. */
function logStarted(config: Config, logger: Logger, stack: Stack, probes: WorkerProbes | null): void {
  const baseUrl = stack.api?.baseUrl ?? null;
  logger.info(
    {
      role: config.role,
      api: baseUrl,
      probes: probes?.url ?? null,
      docs: baseUrl && `${baseUrl}/docs`,
      timeline: baseUrl && `${baseUrl}/ui`,
      metrics: `${baseUrl ?? probes?.url}/metrics`,
      temporal: stack.temporalAddress,
      cloudOps: stack.emulator ? `EMULATOR ${stack.emulator.grpcAddress}` : config.cloudOps.address,
    },
    'capacity scheduler started',
  );
}

/** Resolves on SIGTERM or SIGINT; rejects if the worker fails first. */
function untilSignal(logger: Logger, workerRun: Promise<void> | null | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onSignal = (signal: string) => {
      logger.info({ signal }, 'shutting down: finishing in-flight requests and draining the worker');
      resolve();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    workerRun?.catch(reject);
  });
}

async function logPreflight(config: Config, logger: Logger, temporal: Client, capacity: CapacityReader): Promise<void> {
  try {
    const result = await new DiagnosticsService({ config, logger, temporal, capacity }).run();
    const text = `preflight (same as capacityctl doctor):\n  ${checklistLines(result).join('\n  ')}`;
    if (result.ok) logger.info({ checks: result.checks }, text);
    else logger.warn({ checks: result.checks }, text);
  } catch (err) {
    logger.warn({ err }, 'preflight could not run');
  }
}

/** The emulator is said loudly at start-up: no real namespace changes. */
function warnAboutEmulator(config: Config, logger: Logger, emulator: RunningEmulator): void {
  logger.warn(
    `\n${BANNER}\n  CLOUD OPS EMULATOR MODE: TEMPORAL_CLOUD_API_KEY is unset.\n` +
      `  Capacity changes go to a LOCAL EMULATOR at ${emulator.grpcAddress}; NO real Temporal Cloud namespace is changed.\n` +
      `  Emulated namespaces: ${config.emulator.namespaces.join(', ')}\n` +
      `  Emulator control plane: ${emulator.controlUrl ?? 'off'}\n${BANNER}`,
  );
}

/** Open or disabled authentication is said loudly at start-up (and in /readyz): anyone can change capacity. */
function warnAboutAuth(config: Config, logger: Logger): void {
  const { mode, tokens, rateLimitPerMinute } = config.auth;
  if (mode === 'tokens') {
    logger.info(
      { tokens: tokens.map((t) => ({ name: t.name, scopes: t.scopes })), rateLimitPerMinute },
      'API authentication: bearer tokens',
    );
    return;
  }
  const why =
    mode === 'open'
      ? 'local mode without API_TOKENS_FILE: the API is OPEN, anyone who reaches it can change capacity'
      : 'AUTH_DISABLED=true: the API is OPEN, anyone who reaches it can change capacity';
  logger.warn(
    `\n${BANNER}\n  NO AUTHENTICATION: ${why}.\n  Set API_TOKENS_FILE (see docs/api.md, "Authentication") before exposing it.\n${BANNER}`,
  );
}
