import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import type { Guardrails } from './guardrails.js';
import { isNamespaceId, parseConfigDuration, type WindowPolicy } from './shared/index.js';

/**
 * Every setting the service reads, as the environment spells it. This is the only place that reads
 * process.env; everything else receives a Config.
 */
const Duration = (def: string, description: string) =>
  Type.String({ default: def, description: `${description} ISO 8601 ("PT2M") or a number with ms/s/m/h.` });
const Port = (def: string, description: string) => Type.String({ default: def, pattern: '^[0-9]{1,5}$', description });

export const EnvSchema = Type.Object({
  ROLE: Type.Union([Type.Literal('all'), Type.Literal('api'), Type.Literal('worker')], {
    default: 'all',
    description: 'What this process runs: the API, the worker, or both.',
  }),
  PORT: Port('8080', 'HTTP port of the API; with ROLE=worker, of its /healthz and /readyz probes and its /metrics.'),
  HOST: Type.String({ default: '127.0.0.1', minLength: 1, description: 'Interface the API listens on.' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info', description: 'pino log level.' },
  ),
  TEMPORAL_ADDRESS: Type.Optional(
    Type.String({ minLength: 1, description: 'host:port of the Temporal frontend. Unset: an embedded dev server.' }),
  ),
  TEMPORAL_NAMESPACE: Type.String({
    default: 'default',
    minLength: 1,
    description: 'Temporal namespace that runs the workflows.',
  }),
  TEMPORAL_API_KEY: Type.Optional(
    Type.String({ minLength: 1, description: 'API key for Temporal Cloud (turns TLS on).' }),
  ),
  TEMPORAL_TLS: Type.Union([Type.Literal('true'), Type.Literal('false')], {
    default: 'false',
    description: 'Use TLS to reach TEMPORAL_ADDRESS (implied by TEMPORAL_API_KEY or client certificates).',
  }),
  TEMPORAL_TLS_CLIENT_CERT_PATH: Type.Optional(
    Type.String({ minLength: 1, description: 'mTLS client certificate (PEM).' }),
  ),
  TEMPORAL_TLS_CLIENT_KEY_PATH: Type.Optional(Type.String({ minLength: 1, description: 'mTLS client key (PEM).' })),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: Type.Optional(
    Type.String({ minLength: 1, description: 'CA that signed the server certificate (PEM).' }),
  ),
  TEMPORAL_TLS_SERVER_NAME: Type.Optional(
    Type.String({ minLength: 1, description: 'Server name to verify, when it differs from the address.' }),
  ),
  TEMPORAL_TASK_QUEUE: Type.String({
    default: 'capacity-scheduler',
    minLength: 1,
    description: 'Task queue of the worker.',
  }),
  TEMPORAL_UI_URL: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description: 'Base URL of the Temporal Web UI, for links in alerts and on the timeline page (/ui).',
    }),
  ),
  TEMPORAL_CLOUD_API_KEY: Type.Optional(
    Type.String({ minLength: 1, description: 'Cloud Ops API key. Unset: the embedded Cloud Ops EMULATOR is used.' }),
  ),
  CLOUD_OPS_ADDRESS: Type.String({
    default: 'saas-api.tmprl.cloud:443',
    minLength: 1,
    description: 'Cloud Ops API endpoint.',
  }),
  CLOUD_OPS_MAX_CONCURRENT_OPERATIONS: Type.String({
    default: '10',
    pattern: '^[0-9]{1,4}$',
    description:
      'Async Cloud Ops operations in flight at once for one account, across every namespace, worker and process (the API allows 10).',
  }),
  CLOUD_OPS_MAX_REQUESTS_PER_SECOND: Type.String({
    default: '80',
    pattern: '^[0-9]{1,5}$',
    description:
      'Cloud Ops calls per second of the deployment (the API allows 80 per service account), enforced by the Temporal server on the task queue.',
  }),
  CLOUD_OPS_API_VERSION: Type.String({
    default: 'v0.19.1',
    minLength: 1,
    description: 'Sent as temporal-cloud-api-version on every call.',
  }),
  SDK_METRICS_PORT: Port(
    '9464',
    'Worker only: port of the Temporal SDK Prometheus exporter (worker metrics at /metrics), bound on HOST; 0 = off.',
  ),
  SLACK_WEBHOOK_URL: Type.Optional(
    Type.String({ pattern: '^https?://', description: 'Slack incoming webhook. Unset: no alerts are sent.' }),
  ),
  SLACK_TIMEOUT: Duration('5s', 'Timeout of one Slack POST.'),
  VERIFY_TIMEOUT: Duration(
    'PT15M',
    'How long a change may take to show up on the namespace before it counts as failed (a later landing is still recorded).',
  ),
  CHANGE_SLOW_AFTER: Duration(
    'PT2M',
    'A change not verified after this raises a WARNING (Temporal aims to provision within two minutes).',
  ),
  CAPACITY_CHANGE_MIN_INTERVAL: Duration(
    '0s',
    'The least time between two capacity changes of one namespace (e.g. PT1H for the hourly rule); 0 = none.',
  ),
  PROVISIONING_LEAD: Duration(
    'PT3M',
    "A future window's change begins this much before its start, so that the capacity is in place at the start (the API aims at two minutes; billed as extra TRU-minutes).",
  ),
  DRIFT_CHECK_INTERVAL: Duration(
    'PT5M',
    'While windows hold a namespace, its controller re-reads it this often to see a change made by hand (one GetNamespace per namespace per interval); 0 = no periodic re-read (a change made by hand is still seen before each change of ours).',
  ),
  DRIFT_POLICY: Type.Union([Type.Literal('respect'), Type.Literal('enforce')], {
    default: 'respect',
    description:
      'What a controller does when someone changed its namespace by hand: respect (the value set by hand stands; no change while it holds, and an alert asks instead of reverting) or enforce (put back what the windows ask).',
  }),
  TRU_REPORT_PAGE_SIZE: Type.String({
    default: '1000',
    pattern: '^[1-9][0-9]{0,3}$',
    description:
      "Windows per Temporal visibility page when the TRU-hours report and a window's TRU-hours read their namespace (1-9999).",
  }),
  HEALTH_REFRESH_INTERVAL: Duration(
    '15s',
    'How often the API checks Temporal and Cloud Ops for /readyz and counts windows for /metrics, in the background.',
  ),
  REVERT_ALERT_AFTER: Duration(
    'PT5M',
    'A revert still failing after this raises a CRITICAL alert, repeated at this interval.',
  ),
  WORKER_MAX_CACHED_WORKFLOWS: Type.Optional(
    Type.String({
      pattern: '^[0-9]{1,6}$',
      description:
        'Worker only: workflows (windows and namespace controllers) kept in memory between their tasks; one evicted replays its history at its next task. 0 = none, else at least 2. Unset: the SDK sizes it from the heap limit.',
    }),
  ),
  CONTROLLER_HISTORY_LIMIT: Type.String({
    default: '2000',
    pattern: '^[0-9]{2,6}$',
    description: 'History events after which a namespace controller workflow continues as new (at least 20).',
  }),
  GUARDRAIL_NAMESPACE_ALLOWLIST: Type.Optional(
    Type.String({ description: 'Comma-separated namespace ids that may be changed. Unset: all (but the denylist).' }),
  ),
  GUARDRAIL_NAMESPACE_DENYLIST: Type.String({
    default: '',
    description: 'Comma-separated namespace ids that may never be changed.',
  }),
  GUARDRAIL_MAX_TRUS: Type.Optional(
    Type.String({ pattern: '^[0-9]{1,6}$', description: 'Most TRUs any window may ask for.' }),
  ),
  GUARDRAIL_MAX_TRUS_PER_NAMESPACE: Type.String({
    default: '',
    description: 'Per-namespace TRU limits, overriding GUARDRAIL_MAX_TRUS: "payments.a1b2c=8,batch.a1b2c=4".',
  }),
  GUARDRAIL_MAX_WINDOW_DURATION: Type.Optional(
    Type.String({ description: 'Longest window; a permanent change is refused when set.' }),
  ),
  GUARDRAIL_MIN_WINDOW_DURATION: Duration(
    'PT1H',
    'Shorter windows are refused unless the request says acknowledgeShortWindow: true (TRUs are billed and adjustable by the hour).',
  ),
  EMULATOR_NAMESPACES: Type.String({
    default: 'payments.a1b2c,batch.a1b2c,search.a1b2c',
    description: 'Emulator only: comma-separated namespace ids seeded On-Demand.',
  }),
  EMULATOR_APPLY_DELAY_MS: Type.String({
    default: '3000',
    pattern: '^[0-9]{1,9}$',
    description: 'Emulator only: how long an operation takes.',
  }),
  EMULATOR_CHECK_DURATION: Duration(
    '250ms',
    'Emulator only: the checkDuration its operations answer, the least wait before the next poll (the real API: about 10s).',
  ),
  EMULATOR_FAILED_SPEC: Type.Union([Type.Literal('restore'), Type.Literal('keep')], {
    default: 'restore',
    description:
      'Emulator only: what a failed capacity request leaves in the spec, the previous value (restore) or the failed one (keep); the real API does not say.',
  }),
  EMULATOR_READ_ONLY_API_KEY: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'Emulator only: a key it accepts for reads but answers PERMISSION_DENIED on UpdateNamespace.',
    }),
  ),
  EMULATOR_MAX_OPERATIONS_PER_ACCOUNT: Type.String({
    default: '10',
    pattern: '^[0-9]{1,6}$',
    description: 'Emulator only: async operations in flight per account before RESOURCE_EXHAUSTED (0 = no limit).',
  }),
  EMULATOR_MAX_REQUESTS_PER_SECOND: Type.String({
    default: '80',
    pattern: '^[0-9]{1,6}$',
    description: 'Emulator only: requests per second per account before RESOURCE_EXHAUSTED (0 = no limit).',
  }),
  EMULATOR_COOLDOWN: Duration('0s', 'Emulator only: least time between two capacity changes of one namespace.'),
  EMULATOR_CONTROL_PORT: Port('8099', 'Emulator only: port of its HTTP control plane (0 = any).'),
  EMULATOR_GRPC_PORT: Port('0', 'Emulator only: port of its gRPC endpoint (0 = any).'),
  TEMPORAL_DEV_SERVER_PORT: Port('7233', 'Local mode only: port of the embedded Temporal dev server.'),
  TEMPORAL_DEV_SERVER_UI_PORT: Port('8233', 'Local mode only: port of the embedded dev server Web UI.'),
  TEMPORAL_DEV_SERVER_DB: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'Local mode only: SQLite file that keeps the dev server state across restarts.',
    }),
  ),
  TEMPORAL_CLI_PATH: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'Local mode only: the temporal CLI to run (default: PATH, then .tools/venv).',
    }),
  ),
  API_TOKENS_FILE: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'JSON file of API tokens: [{"name","scopes","sha256"}] (sha256 of the token, never the token). Unset: no authentication, allowed only in local mode or with AUTH_DISABLED=true.',
    }),
  ),
  AUTH_DISABLED: Type.Union([Type.Literal('true'), Type.Literal('false')], {
    default: 'false',
    description: 'true: serve /v1 without authentication even outside local mode (never with API_TOKENS_FILE).',
  }),
  RATE_LIMIT_PER_MINUTE: Type.String({
    default: '600',
    pattern: '^[0-9]{1,7}$',
    description: 'Requests per minute to any route per token or proxy user (per client IP otherwise); 0 = no limit.',
  }),
  AUTH_FAILURES_PER_MINUTE: Type.String({
    default: '20',
    pattern: '^[0-9]{1,6}$',
    description: 'Failed authentications a client IP may make per minute before it gets 429; 0 = no limit.',
  }),
  TRUSTED_PROXY_ADDRESSES: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'Comma-separated IPs or CIDRs of an authenticating proxy (oauth2-proxy...): /v1 then trusts its user header, only from these addresses, and refuses every other client.',
    }),
  ),
  TRUSTED_PROXY_USER_HEADER: Type.String({
    default: 'X-Forwarded-User',
    pattern: '^[A-Za-z0-9-]{1,100}$',
    description: 'Trusted-proxy mode: the header naming the user.',
  }),
  TRUSTED_PROXY_GROUPS_HEADER: Type.String({
    default: 'X-Forwarded-Groups',
    pattern: '^[A-Za-z0-9-]{1,100}$',
    description: "Trusted-proxy mode: the header listing the user's groups (comma-separated).",
  }),
  TRUSTED_PROXY_ROLES_FILE: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'Trusted-proxy mode: JSON file [{"user" or "group","scopes","namespaces"?}] granting scopes to proxy users.',
    }),
  ),
  API_ALLOWED_HOSTS: Type.String({
    default: 'localhost,127.0.0.1,::1',
    description:
      'Host names /v1 answers to (Host header, and Origin of a browser request) unless bearer tokens authenticate; stops DNS rebinding and cross-site requests.',
  }),
});
export type Env = Static<typeof EnvSchema>;

export interface Config {
  role: 'all' | 'api' | 'worker';
  http: { port: number; host: string };
  logLevel: string;
  temporal: {
    /** null: start the embedded dev server (local mode). */
    address: string | null;
    namespace: string;
    apiKey: string | null;
    tls: null | {
      clientCertPath?: string;
      clientKeyPath?: string;
      serverCaCertPath?: string;
      serverName?: string;
    };
    taskQueue: string;
    uiUrl: string | null;
  };
  cloudOps: {
    /** null: use the embedded emulator. */
    apiKey: string | null;
    address: string;
    apiVersion: string;
    /** CLOUD_OPS_MAX_REQUESTS_PER_SECOND. */
    maxRequestsPerSecond: number;
  };
  slack: { webhookUrl: string | null; timeoutMs: number };
  /** The background checks behind /readyz and the window counts of /metrics. */
  health: { refreshIntervalMs: number };
  /** TRU_REPORT_PAGE_SIZE: windows per visibility page for TRU-hours. */
  reports: { pageSize: number };
  /** Port of the Temporal SDK (Rust core) Prometheus exporter of the worker role; null: off. */
  sdkMetrics: { port: number | null };
  /** null: the SDK's default, sized from the heap limit. */
  worker: { maxCachedWorkflows: number | null };
  policy: WindowPolicy;
  guardrails: Guardrails;
  emulator: {
    namespaces: string[];
    applyDelayMs: number;
    checkDurationMs: number;
    failedSpec: 'keep' | 'restore';
    readOnlyApiKey: string | null;
    limits: { maxOperationsPerAccount: number; maxRequestsPerSecond: number };
    cooldownMs: number;
    controlPort: number;
    grpcPort: number;
  };
  devServer: { port: number; uiPort: number; dbFile: string | null; cliPath: string | null };
  auth: AuthConfig;
}

/** What a caller may do: read, start windows (or move their end), end them early, manage schedules. */
export const SCOPES = ['capacity:read', 'windows:create', 'windows:cancel', 'schedules:write'] as const;
export type Scope = (typeof SCOPES)[number];
/** The one write scope of older token files: every write scope. */
const LEGACY_WRITE = 'capacity:write';
const WRITE_SCOPES: Scope[] = ['windows:create', 'windows:cancel', 'schedules:write'];

/** Scopes, on every namespace (null) or on the namespaces matching these globs ("payments.*"). */
export interface Grant {
  scopes: Scope[];
  namespaces: string[] | null;
}

/** One API token, as its holder is known: the token itself is never stored, only its SHA-256. */
export interface ApiToken extends Grant {
  name: string;
  /** SHA-256 of the token (32 bytes). */
  sha256: Buffer;
}

/** Trusted-proxy mode: a proxy user or group, and what it grants. */
export interface ProxyRole extends Grant {
  user?: string;
  group?: string;
}

export interface TrustedProxy {
  addresses: BlockList;
  /** Lower-case header names. */
  userHeader: string;
  groupsHeader: string;
  roles: ProxyRole[];
}

export interface AuthConfig {
  /**
   * tokens: /v1 needs a bearer token; proxy: /v1 trusts the user header of a trusted proxy; open: local mode
   * without tokens; disabled: AUTH_DISABLED=true.
   */
  mode: 'tokens' | 'proxy' | 'open' | 'disabled';
  tokens: ApiToken[];
  proxy: TrustedProxy | null;
  /** Requests per minute per token or user (per IP without one); null: no limit. */
  rateLimitPerMinute: number | null;
  /** Failed authentications per client IP per minute; null: no limit. */
  authFailuresPerMinute: number | null;
  /** Host names the Host and Origin headers must name when authentication is not by bearer token. */
  allowedHosts: string[];
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`Invalid configuration: ${variable} ${message}`);
    this.name = 'ConfigError';
  }
}

function duration(variable: string, text: string, min: number): number {
  const ms = parseConfigDuration(text);
  if (ms === undefined || ms < min) {
    throw new ConfigError(variable, `must be a duration of at least ${min} ms (got "${text}")`);
  }
  return ms;
}

/** "off" or 0 turns the periodic re-read off; anything else is a duration of at least a second. */
function driftCheckInterval(text: string): number {
  return text === 'off' || text.trim() === '0' || parseConfigDuration(text) === 0
    ? 0
    : duration('DRIFT_CHECK_INTERVAL', text, 1_000);
}

function cacheSize(text: string | undefined): number | null {
  if (text === undefined) return null;
  const n = Number(text);
  // The SDK turns 1 into 2 with a warning: say so here instead.
  if (n === 1) throw new ConfigError('WORKER_MAX_CACHED_WORKFLOWS', 'must be 0 (no cache) or at least 2 (got "1")');
  return n;
}

function port(variable: string, text: string, allowZero: boolean): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n > 65535 || (!allowZero && n === 0)) {
    throw new ConfigError(variable, `must be a TCP port (got "${text}")`);
  }
  return n;
}

/** Reads the environment once. Throws ConfigError naming the first wrong variable. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const env = parseEnv(source);
  const guardrails = loadGuardrails(env);
  const namespaces = namespaceList('EMULATOR_NAMESPACES', env.EMULATOR_NAMESPACES);
  const tlsOn = checkConnections(env);
  return {
    role: env.ROLE,
    http: { port: port('PORT', env.PORT, true), host: env.HOST },
    logLevel: env.LOG_LEVEL,
    temporal: temporalConfig(env, tlsOn),
    cloudOps: cloudOpsConfig(env),
    sdkMetrics: { port: port('SDK_METRICS_PORT', env.SDK_METRICS_PORT, true) || null },
    worker: { maxCachedWorkflows: cacheSize(env.WORKER_MAX_CACHED_WORKFLOWS) },
    slack: { webhookUrl: env.SLACK_WEBHOOK_URL ?? null, timeoutMs: duration('SLACK_TIMEOUT', env.SLACK_TIMEOUT, 100) },
    health: { refreshIntervalMs: duration('HEALTH_REFRESH_INTERVAL', env.HEALTH_REFRESH_INTERVAL, 100) },
    reports: { pageSize: Number(env.TRU_REPORT_PAGE_SIZE) },
    policy: policyConfig(env),
    guardrails,
    emulator: emulatorConfig(env, namespaces),
    auth: loadAuth(env),
    devServer: devServerConfig(env),
  };
}

/** The known variables, defaults filled in, checked against the schema. */
function parseEnv(source: Record<string, string | undefined>): Env {
  const known = Object.fromEntries(
    Object.keys(EnvSchema.properties)
      .filter((k) => source[k] !== undefined && source[k] !== '')
      .map((k) => [k, source[k]]),
  );
  const env = Value.Default(EnvSchema, known) as Env;
  const error = Value.Errors(EnvSchema, env)[0];
  if (error) {
    const variable =
      error.instancePath.replace(/^\//, '') ||
      String((error.params as { requiredProperties?: string[] }).requiredProperties?.[0] ?? 'environment');
    const property = EnvSchema.properties[variable as keyof Env] as { anyOf?: { const: string }[] } | undefined;
    const allowed = property?.anyOf?.map((s) => s.const).join(', ');
    throw new ConfigError(variable, allowed ? `must be one of: ${allowed}` : error.message);
  }
  return env;
}

/** Refuses the Temporal and Cloud Ops settings that cannot work together; says whether Temporal TLS is on. */
function checkConnections(env: Env): boolean {
  const mtls = env.TEMPORAL_TLS_CLIENT_CERT_PATH !== undefined || env.TEMPORAL_TLS_CLIENT_KEY_PATH !== undefined;
  if (mtls && (env.TEMPORAL_TLS_CLIENT_CERT_PATH === undefined || env.TEMPORAL_TLS_CLIENT_KEY_PATH === undefined)) {
    throw new ConfigError(
      env.TEMPORAL_TLS_CLIENT_CERT_PATH === undefined
        ? 'TEMPORAL_TLS_CLIENT_CERT_PATH'
        : 'TEMPORAL_TLS_CLIENT_KEY_PATH',
      'must be set together with its pair',
    );
  }
  // The embedded dev server and emulator live inside one process: split roles would each get their own.
  if (env.ROLE !== 'all' && env.TEMPORAL_ADDRESS === undefined) {
    throw new ConfigError(
      'TEMPORAL_ADDRESS',
      `must be set when ROLE=${env.ROLE} (the embedded dev server runs only with ROLE=all)`,
    );
  }
  if (env.ROLE !== 'all' && env.TEMPORAL_CLOUD_API_KEY === undefined) {
    throw new ConfigError(
      'TEMPORAL_CLOUD_API_KEY',
      `must be set when ROLE=${env.ROLE} (the embedded emulator runs only with ROLE=all)`,
    );
  }
  const tlsOn = env.TEMPORAL_TLS === 'true' || env.TEMPORAL_API_KEY !== undefined || mtls;
  if (tlsOn && env.TEMPORAL_ADDRESS === undefined) {
    throw new ConfigError('TEMPORAL_ADDRESS', 'must be set when Temporal TLS or an API key is configured');
  }
  return tlsOn;
}

function temporalConfig(env: Env, tlsOn: boolean): Config['temporal'] {
  return {
    address: env.TEMPORAL_ADDRESS ?? null,
    namespace: env.TEMPORAL_NAMESPACE,
    apiKey: env.TEMPORAL_API_KEY ?? null,
    tls: tlsOn
      ? {
          clientCertPath: env.TEMPORAL_TLS_CLIENT_CERT_PATH,
          clientKeyPath: env.TEMPORAL_TLS_CLIENT_KEY_PATH,
          serverCaCertPath: env.TEMPORAL_TLS_SERVER_CA_CERT_PATH,
          serverName: env.TEMPORAL_TLS_SERVER_NAME,
        }
      : null,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    uiUrl: env.TEMPORAL_UI_URL ?? null,
  };
}

function cloudOpsConfig(env: Env): Config['cloudOps'] {
  return {
    apiKey: env.TEMPORAL_CLOUD_API_KEY ?? null,
    address: env.CLOUD_OPS_ADDRESS,
    apiVersion: env.CLOUD_OPS_API_VERSION,
    maxRequestsPerSecond: Math.max(1, Number(env.CLOUD_OPS_MAX_REQUESTS_PER_SECOND)),
  };
}

function policyConfig(env: Env): WindowPolicy {
  return {
    verifyTimeoutMs: duration('VERIFY_TIMEOUT', env.VERIFY_TIMEOUT, 1_000),
    slowChangeAfterMs: duration('CHANGE_SLOW_AFTER', env.CHANGE_SLOW_AFTER, 1_000),
    revertAlertAfterMs: duration('REVERT_ALERT_AFTER', env.REVERT_ALERT_AFTER, 1_000),
    controllerHistoryLimit: Math.max(20, Number(env.CONTROLLER_HISTORY_LIMIT)),
    maxConcurrentOperations: Math.max(1, Number(env.CLOUD_OPS_MAX_CONCURRENT_OPERATIONS)),
    provisioningLeadMs: duration('PROVISIONING_LEAD', env.PROVISIONING_LEAD, 0),
    minChangeIntervalMs: duration('CAPACITY_CHANGE_MIN_INTERVAL', env.CAPACITY_CHANGE_MIN_INTERVAL, 0),
    driftCheckIntervalMs: driftCheckInterval(env.DRIFT_CHECK_INTERVAL),
    driftPolicy: env.DRIFT_POLICY,
  };
}

function emulatorConfig(env: Env, namespaces: string[]): Config['emulator'] {
  return {
    namespaces,
    applyDelayMs: Number(env.EMULATOR_APPLY_DELAY_MS),
    checkDurationMs: duration('EMULATOR_CHECK_DURATION', env.EMULATOR_CHECK_DURATION, 1),
    failedSpec: env.EMULATOR_FAILED_SPEC,
    readOnlyApiKey: env.EMULATOR_READ_ONLY_API_KEY ?? null,
    limits: {
      maxOperationsPerAccount: Number(env.EMULATOR_MAX_OPERATIONS_PER_ACCOUNT),
      maxRequestsPerSecond: Number(env.EMULATOR_MAX_REQUESTS_PER_SECOND),
    },
    cooldownMs: duration('EMULATOR_COOLDOWN', env.EMULATOR_COOLDOWN, 0),
    controlPort: port('EMULATOR_CONTROL_PORT', env.EMULATOR_CONTROL_PORT, true),
    grpcPort: port('EMULATOR_GRPC_PORT', env.EMULATOR_GRPC_PORT, true),
  };
}

function devServerConfig(env: Env): Config['devServer'] {
  return {
    port: port('TEMPORAL_DEV_SERVER_PORT', env.TEMPORAL_DEV_SERVER_PORT, false),
    uiPort: port('TEMPORAL_DEV_SERVER_UI_PORT', env.TEMPORAL_DEV_SERVER_UI_PORT, false),
    dbFile: env.TEMPORAL_DEV_SERVER_DB ?? null,
    cliPath: env.TEMPORAL_CLI_PATH ?? null,
  };
}

/** Reads a JSON file of grants; refuses one that others may write (anyone could then grant themselves). */
function readGrantsFile(variable: string, file: string): { entries: unknown[]; bad: (what: string) => ConfigError } {
  const bad = (what: string) => new ConfigError(variable, `(${file}) ${what}`);
  let parsed: unknown;
  try {
    if ((statSync(file).mode & 0o002) !== 0) throw bad('is writable by others: chmod o-w it');
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw bad(
      err instanceof SyntaxError
        ? 'is not valid JSON'
        : `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw bad('must be a non-empty JSON array');
  return { entries: parsed, bad };
}

const NAMESPACE_GLOB = /^[a-z0-9*][a-z0-9.*-]{0,80}$/;

/** The scopes and namespaces of one entry; capacity:write stands for every write scope. */
function grantOf(e: Record<string, unknown>, label: string, bad: (what: string) => ConfigError): Grant {
  const known: readonly unknown[] = [...SCOPES, LEGACY_WRITE];
  if (!Array.isArray(e.scopes) || e.scopes.length === 0 || !e.scopes.every((s) => known.includes(s))) {
    throw bad(`${label}: scopes must be a non-empty list of ${[...SCOPES, LEGACY_WRITE].join(', ')}`);
  }
  const scopes = (e.scopes as string[]).flatMap((s) => (s === LEGACY_WRITE ? WRITE_SCOPES : [s as Scope]));
  let namespaces: string[] | null = null;
  if (e.namespaces !== undefined) {
    const list = e.namespaces;
    if (
      !Array.isArray(list) ||
      list.length === 0 ||
      !list.every((n) => typeof n === 'string' && NAMESPACE_GLOB.test(n))
    ) {
      throw bad(`${label}: namespaces must be a non-empty list of namespace ids or globs ("payments.*")`);
    }
    namespaces = list as string[];
  }
  return { scopes: [...new Set(scopes)], namespaces };
}

function onlyFields(
  e: unknown,
  i: number,
  fields: string[],
  bad: (what: string) => ConfigError,
): Record<string, unknown> {
  if (!e || typeof e !== 'object' || Array.isArray(e)) throw bad(`entry ${i} is not an object`);
  const extra = Object.keys(e).filter((k) => !fields.includes(k));
  if (extra.length > 0)
    throw bad(`entry ${i} has unknown field(s) ${extra.join(', ')} (a token in clear is never accepted)`);
  return e as Record<string, unknown>;
}

/** Token names become requestedBy, so they must be usable as a listing filter (?requestedBy=). */
const TOKEN_NAME = /^[A-Za-z0-9 ._@+:/-]{1,200}$/;

/** Reads and checks API_TOKENS_FILE; throws ConfigError naming it, never quoting a hash. */
export function loadTokens(file: string): ApiToken[] {
  const { entries, bad } = readGrantsFile('API_TOKENS_FILE', file);
  const tokens = entries.map((entry: unknown, i): ApiToken => {
    const e = onlyFields(entry, i, ['name', 'scopes', 'sha256', 'namespaces'], bad);
    if (typeof e.name !== 'string' || !TOKEN_NAME.test(e.name)) {
      throw bad(`entry ${i}: name must be 1-200 letters, digits, space or . _ @ + : / -`);
    }
    const grant = grantOf(e, `entry ${i} (${e.name})`, bad);
    if (typeof e.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(e.sha256)) {
      throw bad(`entry ${i} (${e.name}): sha256 must be 64 hex digits (the SHA-256 of the token)`);
    }
    return { name: e.name, ...grant, sha256: Buffer.from(e.sha256, 'hex') };
  });
  const names = tokens.map((t) => t.name);
  const dupName = names.find((n, i) => names.indexOf(n) !== i);
  if (dupName !== undefined) throw bad(`names token "${dupName}" twice (the name is the requestedBy of its windows)`);
  const hashes = tokens.map((t) => t.sha256.toString('hex'));
  if (new Set(hashes).size !== hashes.length) throw bad('holds one sha256 under two names');
  return tokens;
}

/** Reads and checks TRUSTED_PROXY_ROLES_FILE: each entry names a user or a group, never both. */
export function loadProxyRoles(file: string): ProxyRole[] {
  const { entries, bad } = readGrantsFile('TRUSTED_PROXY_ROLES_FILE', file);
  return entries.map((entry: unknown, i): ProxyRole => {
    const e = onlyFields(entry, i, ['user', 'group', 'scopes', 'namespaces'], bad);
    const who = e.user ?? e.group;
    if ((e.user === undefined) === (e.group === undefined) || typeof who !== 'string' || !TOKEN_NAME.test(who)) {
      throw bad(`entry ${i}: needs exactly one of "user" or "group" (1-200 letters, digits, space or . _ @ + : / -)`);
    }
    const grant = grantOf(e, `entry ${i} (${who})`, bad);
    return e.user !== undefined ? { user: who, ...grant } : { group: who, ...grant };
  });
}

/** The SHA-256 (hex) of a token, as API_TOKENS_FILE stores it. */
export function tokenSha256(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function proxyAddresses(text: string): BlockList {
  const list = new BlockList();
  for (const entry of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [address, bits] = entry.split('/');
    const family = isIP(address);
    const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
    if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
      throw new ConfigError('TRUSTED_PROXY_ADDRESSES', `holds "${entry}", which is not an IP address or CIDR`);
    }
    list.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

function loadAuth(env: Env): AuthConfig {
  const limit = Number(env.RATE_LIMIT_PER_MINUTE);
  const failures = Number(env.AUTH_FAILURES_PER_MINUTE);
  const common = {
    tokens: [] as ApiToken[],
    proxy: null,
    rateLimitPerMinute: limit === 0 ? null : limit,
    authFailuresPerMinute: failures === 0 ? null : failures,
    allowedHosts: env.API_ALLOWED_HOSTS.split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  };
  const disabled = env.AUTH_DISABLED === 'true';
  const proxied = env.TRUSTED_PROXY_ADDRESSES !== undefined;
  if (env.API_TOKENS_FILE !== undefined) {
    if (disabled) throw new ConfigError('AUTH_DISABLED', 'is true while API_TOKENS_FILE is set: choose one');
    if (proxied)
      throw new ConfigError(
        'TRUSTED_PROXY_ADDRESSES',
        'is set while API_TOKENS_FILE is set: choose one way to authenticate',
      );
    return { ...common, mode: 'tokens', tokens: loadTokens(env.API_TOKENS_FILE) };
  }
  if (proxied) {
    if (disabled) throw new ConfigError('AUTH_DISABLED', 'is true while TRUSTED_PROXY_ADDRESSES is set: choose one');
    if (env.TRUSTED_PROXY_ROLES_FILE === undefined)
      throw new ConfigError(
        'TRUSTED_PROXY_ROLES_FILE',
        'must be set with TRUSTED_PROXY_ADDRESSES (it grants the scopes)',
      );
    const proxy: TrustedProxy = {
      addresses: proxyAddresses(env.TRUSTED_PROXY_ADDRESSES as string),
      userHeader: env.TRUSTED_PROXY_USER_HEADER.toLowerCase(),
      groupsHeader: env.TRUSTED_PROXY_GROUPS_HEADER.toLowerCase(),
      roles: loadProxyRoles(env.TRUSTED_PROXY_ROLES_FILE),
    };
    return { ...common, mode: 'proxy', proxy };
  }
  if (disabled) return { ...common, mode: 'disabled' };
  // A worker serves no API: it needs no tokens.
  if (env.TEMPORAL_ADDRESS === undefined || env.ROLE === 'worker') return { ...common, mode: 'open' };
  throw new ConfigError(
    'API_TOKENS_FILE',
    'must be set outside local mode (TEMPORAL_ADDRESS is set): without it anyone could change capacity. ' +
      'Set TRUSTED_PROXY_ADDRESSES to authenticate through a proxy, or AUTH_DISABLED=true to run without authentication on purpose.',
  );
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i;
const isLoopback = (host: string) => LOOPBACK.test(host);

/**
 * Start-up refusals of combinations that open a door, checked by the process entry (exit 78): open
 * authentication must not face a network, and a real Cloud Ops key must not be spent by anonymous callers.
 */
export function checkExposure(config: Config): void {
  if (config.role === 'worker') return;
  const open = config.auth.mode === 'open' || config.auth.mode === 'disabled';
  if (!open) return;
  const opened =
    config.auth.mode === 'disabled' ? 'AUTH_DISABLED=true' : 'no API_TOKENS_FILE nor TRUSTED_PROXY_ADDRESSES';
  const cloudOpsHost = config.cloudOps.address.replace(/:\d+$/, '');
  if (config.cloudOps.apiKey !== null && !isLoopback(cloudOpsHost)) {
    throw new ConfigError(
      'TEMPORAL_CLOUD_API_KEY',
      `is a real Cloud Ops key (CLOUD_OPS_ADDRESS ${config.cloudOps.address}) while authentication is open (${opened}): ` +
        'anyone could spend it. Set API_TOKENS_FILE or TRUSTED_PROXY_ADDRESSES.',
    );
  }
  if (!isLoopback(config.http.host)) {
    throw new ConfigError(
      'HOST',
      `is ${config.http.host}, not a loopback interface, while authentication is open (${opened}): ` +
        'anyone on the network could change capacity. Set API_TOKENS_FILE or TRUSTED_PROXY_ADDRESSES, or HOST=127.0.0.1.',
    );
  }
}

function namespaceList(variable: string, text: string): string[] {
  const list = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = list.find((n) => !isNamespaceId(n));
  if (bad !== undefined)
    throw new ConfigError(variable, `holds "${bad}", which is not a namespace id "<name>.<account>"`);
  return list;
}

function loadGuardrails(env: Env): Guardrails {
  const maxTrusByNamespace: Record<string, number> = {};
  for (const entry of env.GUARDRAIL_MAX_TRUS_PER_NAMESPACE.split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([^=]+)=([0-9]{1,6})$/.exec(entry);
    if (!m || !isNamespaceId(m[1])) {
      throw new ConfigError(
        'GUARDRAIL_MAX_TRUS_PER_NAMESPACE',
        `holds "${entry}"; expected "<namespace>=<trus>" entries`,
      );
    }
    maxTrusByNamespace[m[1]] = Number(m[2]);
  }
  return {
    allow:
      env.GUARDRAIL_NAMESPACE_ALLOWLIST === undefined
        ? null
        : namespaceList('GUARDRAIL_NAMESPACE_ALLOWLIST', env.GUARDRAIL_NAMESPACE_ALLOWLIST),
    deny: namespaceList('GUARDRAIL_NAMESPACE_DENYLIST', env.GUARDRAIL_NAMESPACE_DENYLIST),
    maxTrus: env.GUARDRAIL_MAX_TRUS === undefined ? null : Number(env.GUARDRAIL_MAX_TRUS),
    maxTrusByNamespace,
    maxWindowMs:
      env.GUARDRAIL_MAX_WINDOW_DURATION === undefined
        ? null
        : duration('GUARDRAIL_MAX_WINDOW_DURATION', env.GUARDRAIL_MAX_WINDOW_DURATION, 1_000),
    minWindowMs: duration('GUARDRAIL_MIN_WINDOW_DURATION', env.GUARDRAIL_MIN_WINDOW_DURATION, 0),
  };
}
