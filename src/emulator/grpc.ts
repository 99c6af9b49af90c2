// The real gRPC face of the emulator: every method of CloudService is registered so that an unsupported
// call answers UNIMPLEMENTED (as a real server would) instead of failing at the HTTP/2 level.
import * as grpc from '@grpc/grpc-js';
import proto from '@temporalio/proto';
import type { Type } from 'protobufjs';
import {
  EmulatorError,
  IMPLEMENTED_RPCS,
  type EmulatorState,
  type GrpcCodeName,
  type ImplementedRpc,
} from './state.js';

const { temporal } = proto;
const SERVICE_NAME = 'temporal.api.cloud.cloudservice.v1.CloudService';
const API_VERSION_HEADER = 'temporal-cloud-api-version';

export interface GrpcServerOptions {
  state: EmulatorState;
  apiKey: string;
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
  GetAsyncOperation: (state, req) => ({ asyncOperation: state.getAsyncOperation(String(req.asyncOperationId ?? '')) }),
  GetNamespaceCapacityInfo: (state, req) => ({ capacityInfo: state.getCapacityInfo(String(req.namespace ?? '')) }),
  // The emulator's one key is an account admin: it may change every namespace.
  GetCurrentIdentity: () => ({
    serviceAccount: { id: 'emulator', spec: { name: 'emulator', access: { accountAccess: { role: 'ROLE_ADMIN' } } } },
  }),
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
  const service = temporal.api.cloud.cloudservice.v1.CloudService as unknown as {
    methodsArray: {
      name: string;
      resolve(): void;
      resolvedRequestType: Type | null;
      resolvedResponseType: Type | null;
    }[];
  };
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
      const request = requestType.toObject(requestType.decode(call.request), {
        longs: Number,
        enums: Number,
        defaults: false,
      });
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
  if (firstValue(metadata, 'authorization') !== `Bearer ${opts.apiKey}`) {
    throw new EmulatorError('UNAUTHENTICATED', 'invalid or missing API key');
  }
  if (!apiVersion) throw new EmulatorError('INVALID_ARGUMENT', `${API_VERSION_HEADER} header is required`);
  const fault = opts.state.takeRpcFault(name);
  if (fault) throw new EmulatorError(fault, 'injected fault');
  if (!isImplemented(name)) throw new EmulatorError('UNIMPLEMENTED', `${name} is not implemented by the emulator`);
  opts.state.admitRequest(request);
  return HANDLERS[name](opts.state, request);
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
