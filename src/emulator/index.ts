// The Cloud Ops API emulator: a real gRPC CloudService (for the unmodified @temporalio/cloud client) plus an
// HTTP control plane. It is the project's only stand-in for an external system.
import { startControlServer, type RunningControlServer } from './control.js';
import { EmulatorState, type FailedSpec } from './state.js';
import type { AccountLimitOptions } from './limits.js';
import { EMULATOR_SERVER_NAME, ensureCertificates } from './tls.js';

export { ensureEmulatorTrust } from './tls.js';
export {
  EmulatorState,
  EmulatorError,
  OperationState,
  CapacityRequestState,
  ResourceState,
  VALID_TRU_VALUES,
} from './state.js';
export type { AccountLimitOptions, AccountStats } from './limits.js';
export type {
  FailedSpec,
  Fault,
  NamespaceSnapshot,
  UpdateRecord,
  CallRecord,
  Capacity,
  CapacitySpec,
  CapacityMode,
  OperationView,
} from './state.js';

export interface EmulatorOptions {
  apiKey: string;
  /** Seeded, all On-Demand, e.g. 'payments.a1b2c'. */
  namespaces: string[];
  /** Time from UpdateNamespace to the operation's terminal state. */
  applyDelayMs: number;
  /** The checkDuration operations answer (default 250 ms). */
  checkDurationMs?: number;
  /** What a failed capacity request leaves in the spec (default 'restore'). */
  failedSpec?: FailedSpec;
  /** A second key that may read but not change namespaces. */
  readOnlyApiKey?: string | null;
  /** Account limits (default: the real API's, 10 operations in flight and 80 requests per second). */
  limits?: AccountLimitOptions;
  /** Least time between two capacity changes of one namespace (default 0). */
  cooldownMs?: number;
  /** 0 = any free port (default 0). */
  grpcPort?: number;
  /** 0 = any free port (default 0); null = no control plane. */
  controlPort?: number | null;
  /** Of the gRPC endpoint; default 127.0.0.1. The control plane is on 127.0.0.1 always: it changes state unauthenticated. */
  host?: string;
  /** Where the CA and server certificate are generated (reused if already there). */
  tlsDir: string;
  logger?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export interface RunningEmulator {
  grpcAddress: string;
  controlUrl: string | null;
  /** The name in the certificate, for tls.serverNameOverride. */
  serverName: string;
  /** PEM of the CA that signed the server certificate. */
  caCertPath: string;
  /** Direct access for in-process tests: the same operations as the control plane. */
  state: EmulatorState;
  close(): Promise<void>;
}

export async function startEmulator(opts: EmulatorOptions): Promise<RunningEmulator> {
  const host = opts.host ?? '127.0.0.1';
  const { caCertPath, serverCert, serverKey } = await ensureCertificates(opts.tlsDir);
  const state = new EmulatorState({
    namespaces: opts.namespaces,
    applyDelayMs: opts.applyDelayMs,
    checkDurationMs: opts.checkDurationMs,
    failedSpec: opts.failedSpec,
    limits: opts.limits,
    cooldownMs: opts.cooldownMs,
  });
  // Loaded only now: grpc-js reads GRPC_DEFAULT_SSL_ROOTS_FILE_PATH when first loaded, and a caller may still
  // need to set it (after ensureEmulatorTrust) for its own client in this process.
  const { startGrpcServer } = await import('./grpc.js');
  const grpcServer = await startGrpcServer({
    state,
    apiKey: opts.apiKey,
    readOnlyApiKey: opts.readOnlyApiKey,
    host,
    port: opts.grpcPort ?? 0,
    serverCert,
    serverKey,
    logger: opts.logger,
  });
  let control: RunningControlServer | null = null;
  try {
    control = opts.controlPort === null ? null : await startControlServer(state, '127.0.0.1', opts.controlPort ?? 0);
  } catch (err) {
    await grpcServer.close();
    throw err;
  }
  const grpcAddress = `${host}:${grpcServer.port}`;
  opts.logger?.info(
    { grpcAddress, controlUrl: control?.url ?? null, namespaces: opts.namespaces },
    'Cloud Ops emulator started',
  );
  return {
    grpcAddress,
    controlUrl: control?.url ?? null,
    serverName: EMULATOR_SERVER_NAME,
    caCertPath,
    state,
    close: async () => {
      await Promise.all([grpcServer.close(), control?.close()]);
    },
  };
}
