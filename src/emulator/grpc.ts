// The real gRPC face of the emulator: every method of CloudService is registered so that an unsupported
// call answers UNIMPLEMENTED (as a real server would) instead of failing at the HTTP/2 level.
import * as grpc from '@grpc/grpc-js';
import type { Type } from 'protobufjs';
import { TO_OBJECT, emulatorSchema } from './schema.js';
import {
  EmulatorError,
  IMPLEMENTED_RPCS,
  type EmulatorState,
  type GrpcCodeName,
  type ImplementedRpc,
} from './state.js';

const SERVICE_NAME = 'temporal.api.cloud.cloudservice.v1.CloudService';
const API_VERSION_HEADER = 'temporal-cloud-api-version';

export interface GrpcServerOptions {
  state: EmulatorState;
  apiKey: string;
  /** A key that authenticates but has no right to change a namespace (PERMISSION_DENIED on UpdateNamespace). */
  readOnlyApiKey?: string | null;
  host: string;
  port: number;
  serverCert: string;
  serverKey: string;
  logger?: { warn(obj: object, msg: string): void };
}

export interface RunningGrpcServer {
  port: number;
  close(): Promise<void>;
}

type Handler = (state: EmulatorState, request: Record<string, unknown>) => Record<string, unknown>;

const HANDLERS: Record<ImplementedRpc, Handler> = {
  GetNamespace: (state, req) => ({ namespace: state.getNamespace(String(req.namespace ?? '')) }),
  UpdateNamespace: (state, req) => ({
    asyncOperation: state.updateNamespace({
      namespace: String(req.namespace ?? ''),
      spec: req.spec as Record<string, unknown> | undefined,
      resourceVersion: req.resourceVersion as string | undefined,
      asyncOperationId: req.asyncOperationId as string | undefined,
    }),
  }),
  GetAsyncOperation: (state, req) => ({ asyncOperation: state.pollAsyncOperation(String(req.asyncOperationId ?? '')) }),
  GetNamespaceCapacityInfo: (state, req) => ({ capacityInfo: state.getCapacityInfo(String(req.namespace ?? '')) }),
  // The emulator's one key is an account admin: it may change every namespace.
  GetCurrentIdentity: () => ({
    serviceAccount: { id: 'emulator', spec: { name: 'emulator', access: { accountAccess: { role: 'ROLE_ADMIN' } } } },
  }),
};

// The read-only key says what it is, so that a preflight can tell it may not change a namespace.
const READ_ONLY_IDENTITY = {
  serviceAccount: {
    id: 'emulator-read-only',
    spec: { name: 'emulator-read-only', access: { accountAccess: { role: 'ROLE_READ' } } },
  },
};

export async function startGrpcServer(opts: GrpcServerOptions): Promise<RunningGrpcServer> {
  const server = new grpc.Server();
  const { definition, implementation } = buildService(opts);
  server.addService(definition, implementation);
  const credentials = grpc.ServerCredentials.createSsl(null, [
    { private_key: Buffer.from(opts.serverKey), cert_chain: Buffer.from(opts.serverCert) },
  ]);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${opts.host}:${opts.port}`, credentials, (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  return { port, close: () => shutdown(server) };
}

// A client that never hangs up would block a graceful shutdown forever.
function shutdown(server: grpc.Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.forceShutdown(), 1000);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

function buildService(opts: GrpcServerOptions): {
  definition: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
} {
  const { service } = emulatorSchema();
  const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const method of service.methodsArray) {
    method.resolve();
    definition[method.name] = {
      path: `/${SERVICE_NAME}/${method.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (b: Buffer) => b,
      requestDeserialize: (b: Buffer) => b,
      responseSerialize: (b: Buffer) => b,
      responseDeserialize: (b: Buffer) => b,
    };
    implementation[method.name] = unaryHandler(
      opts,
      method.name,
      method.resolvedRequestType!,
      method.resolvedResponseType!,
    );
  }
  return { definition, implementation };
}

function unaryHandler(
  opts: GrpcServerOptions,
  name: string,
  requestType: Type,
  responseType: Type,
): grpc.handleUnaryCall<Buffer, Buffer> {
  return (call, callback) => {
    try {
      const request = requestType.toObject(requestType.decode(call.request), TO_OBJECT);
      const response = handle(opts, name, call.metadata, request);
      callback(
        null,
        Buffer.from(
          responseType.encode(responseType.fromObject(toProtoTimestamps(response) as Record<string, unknown>)).finish(),
        ),
      );
    } catch (err) {
      callback(toServiceError(opts, name, err));
    }
  };
}

function handle(
  opts: GrpcServerOptions,
  name: string,
  metadata: grpc.Metadata,
  request: Record<string, unknown>,
): Record<string, unknown> {
  const apiVersion = firstValue(metadata, API_VERSION_HEADER);
  opts.state.recordCall(name, apiVersion);
  const authorization = firstValue(metadata, 'authorization');
  const readOnly = !!opts.readOnlyApiKey && authorization === `Bearer ${opts.readOnlyApiKey}`;
  if (authorization !== `Bearer ${opts.apiKey}` && !readOnly) {
    throw new EmulatorError('UNAUTHENTICATED', 'invalid or missing API key');
  }
  checkApiVersion(name, apiVersion);
  const fault = opts.state.takeRpcFault(name);
  if (fault) throw new EmulatorError(fault.code, fault.message);
  if (!isImplemented(name)) throw new EmulatorError('UNIMPLEMENTED', `${name} is not implemented by the emulator`);
  if (readOnly && name === 'GetCurrentIdentity') return READ_ONLY_IDENTITY;
  if (readOnly && name === 'UpdateNamespace') {
    throw new EmulatorError(
      'PERMISSION_DENIED',
      `the API key may not update namespace ${String(request.namespace ?? '')}: it needs the Global Admin or Namespace Admin role`,
    );
  }
  opts.state.admitRequest(request);
  return HANDLERS[name](opts.state, request);
}

/** Capacity fields exist from v0.10.0 of the Cloud Ops API, GetNamespaceCapacityInfo from v0.11.0. */
const CAPACITY_SINCE = [0, 10, 0];
const CAPACITY_INFO_SINCE = [0, 11, 0];

function checkApiVersion(method: string, header: string | null): void {
  if (!header) throw new EmulatorError('INVALID_ARGUMENT', `${API_VERSION_HEADER} header is required`);
  const match = /^v(\d+)\.(\d+)\.(\d+)$/.exec(header);
  if (!match) throw new EmulatorError('INVALID_ARGUMENT', `${API_VERSION_HEADER} "${header}" is not a version vX.Y.Z`);
  const version = match.slice(1).map(Number);
  if (olderThan(version, CAPACITY_SINCE)) {
    throw new EmulatorError(
      'INVALID_ARGUMENT',
      `API version ${header} is not supported: capacity needs v0.10.0 or later`,
    );
  }
  if (method === 'GetNamespaceCapacityInfo' && olderThan(version, CAPACITY_INFO_SINCE)) {
    throw new EmulatorError(
      'UNIMPLEMENTED',
      `GetNamespaceCapacityInfo needs API version v0.11.0 or later, not ${header}`,
    );
  }
}

function olderThan(version: number[], than: number[]): boolean {
  for (let i = 0; i < than.length; i++) {
    if ((version[i] ?? 0) !== than[i]) return (version[i] ?? 0) < (than[i] as number);
  }
  return false;
}

function isImplemented(name: string): name is ImplementedRpc {
  return (IMPLEMENTED_RPCS as readonly string[]).includes(name);
}

function firstValue(metadata: grpc.Metadata, key: string): string | null {
  const value = metadata.get(key)[0];
  return value === undefined ? null : String(value);
}

function toServiceError(opts: GrpcServerOptions, method: string, err: unknown): Partial<grpc.ServiceError> {
  if (err instanceof EmulatorError) return { code: grpc.status[err.code as GrpcCodeName], details: err.message };
  opts.logger?.warn({ err, method }, 'emulator: unexpected error in handler');
  return { code: grpc.status.INTERNAL, details: err instanceof Error ? err.message : String(err) };
}

/** The state speaks in Dates; the wire wants google.protobuf.Timestamp. */
function toProtoTimestamps(value: unknown): unknown {
  if (value instanceof Date) {
    const ms = value.getTime();
    return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
  }
  if (Array.isArray(value)) return value.map(toProtoTimestamps);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toProtoTimestamps(v)]));
  }
  return value;
}
