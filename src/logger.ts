import { pino, type DestinationStream, type Logger } from 'pino';
import { Runtime, makeTelemetryFilterString } from '@temporalio/worker';

export type { Logger };

/**
 * Paths that may carry a secret. Values are also scrubbed by text (see redactSecrets) because a secret can
 * hide inside an error message; this list is the cheap first line.
 */
const REDACT_PATHS = [
  'apiKey',
  '*.apiKey',
  'webhookUrl',
  '*.webhookUrl',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'headers.authorization',
  'config.cloudOps.apiKey',
  'config.temporal.apiKey',
  'config.slack.webhookUrl',
];

export interface LoggerOptions {
  level: string;
  /** Every secret of this process: any log line containing one has it replaced. */
  secrets: string[];
  /** Unset: human-readable lines when stdout is a terminal, JSON lines otherwise. */
  destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  const secrets = opts.secrets.filter((s) => s.length >= 4);
  return pino(
    {
      level: opts.level,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      hooks: {
        // A secret inside a message (an error text, a URL) is caught here, whatever its path.
        streamWrite: (line) => redactSecrets(line, secrets),
      },
    },
    opts.destination ?? defaultDestination(),
  );
}

/** pino-pretty runs as pino's transport (in a worker thread) and gets lines already redacted by the hook above. */
function defaultDestination(): DestinationStream {
  if (!process.stdout.isTTY) return pino.destination({ sync: false });
  return pino.transport({
    target: 'pino-pretty',
    options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
  }) as DestinationStream;
}

export function redactSecrets(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join('[REDACTED]');
  }
  return out;
}

const LEVELS: Record<string, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

export interface TemporalRuntimeOptions {
  /** host:port for the SDK's own Prometheus exporter (served at /metrics); unset: no SDK metrics. */
  sdkMetricsBindAddress?: string;
}

/**
 * Feeds the Temporal SDK's Rust core and worker logs into our logger, and optionally exports the SDK's
 * metrics; install once per process (the Runtime is process-wide, so both live in this one call).
 */
export function installTemporalRuntimeLogger(logger: Logger, opts: TemporalRuntimeOptions = {}): void {
  const child = logger.child({ component: 'temporal-sdk' });
  const emit = (level: string, message: string, meta?: Record<string, unknown>) => {
    const method = LEVELS[level] ?? 'info';
    child[method](meta ?? {}, message);
  };
  Runtime.install({
    // The process stops its worker itself, in order (src/local/stack.ts); the SDK's own handler for SIGINT and
    // SIGTERM would shut it down a second time, and before the API has answered what is in flight.
    shutdownSignals: [],
    logger: {
      log: (level, message, meta) => emit(level, message, meta),
      trace: (message, meta) => emit('TRACE', message, meta),
      debug: (message, meta) => emit('DEBUG', message, meta),
      info: (message, meta) => emit('INFO', message, meta),
      warn: (message, meta) => emit('WARN', message, meta),
      error: (message, meta) => emit('ERROR', message, meta),
    },
    telemetryOptions: {
      logging: {
        filter: makeTelemetryFilterString({ core: 'WARN' }),
        forward: {},
      },
      ...(opts.sdkMetricsBindAddress ? { metrics: { prometheus: { bindAddress: opts.sdkMetricsBindAddress } } } : {}),
    },
  });
}
