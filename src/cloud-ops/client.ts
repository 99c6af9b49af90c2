import { readFileSync } from 'node:fs';
import { credentials as grpcCredentials } from '@grpc/grpc-js';
import { defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import {
  CloudOperationsClient,
  CloudOperationsConnection,
  type CloudOperationsConnectionOptions,
} from '@temporalio/cloud';
import proto, { type temporal } from '@temporalio/proto';
import { toCloudOpsError, type CloudOpsErrorKind } from './errors.js';
import { subMessage, withSubMessage } from './wire.js';

/** A namespace as read, with its spec's bytes as the API sent them (fields newer than our schema included). */
type NamespaceMsg = temporal.api.cloud.namespace.v1.Namespace.$Properties & { specWire?: Uint8Array };
type NamespaceSpecMsg = temporal.api.cloud.namespace.v1.NamespaceSpec.$Properties;
type CapacityInfoMsg = temporal.api.cloud.namespace.v1.NamespaceCapacityInfo.$Properties;
type AsyncOperationMsg = temporal.api.cloud.operation.v1.AsyncOperation.$Properties;
type IdentityMsg = temporal.api.cloud.cloudservice.v1.GetCurrentIdentityResponse.$Properties;
export type { AsyncOperationMsg, CapacityInfoMsg, IdentityMsg, NamespaceMsg, NamespaceSpecMsg };

export interface CloudOpsConnectOptions {
  address: string;
  apiKey: string;
  apiVersion: string;
  /** The name in the server certificate when it differs from the address (the emulator's). */
  serverNameOverride?: string;
  /** PEM of the one CA to trust instead of the public roots (the emulator's); no other connection trusts it. */
  caCert?: Buffer;
  /** Per-call deadline; a hung call must not hold an activity or an HTTP request forever. */
  callTimeoutMs?: number;
  /** Told about every call when it ends (for metrics): the RPC, `ok` or the CloudOpsError kind, the seconds taken. */
  onCall?: CloudOpsCallObserver;
}

export type CloudOpsCallObserver = (method: CloudOpsMethod, outcome: 'ok' | CloudOpsErrorKind, seconds: number) => void;
export type CloudOpsMethod =
  'GetNamespace' | 'GetNamespaceCapacityInfo' | 'UpdateNamespace' | 'GetAsyncOperation' | 'GetCurrentIdentity';

const SERVICE_NAME = 'temporal.api.cloud.cloudservice.v1.CloudService';
const { cloudservice, namespace: namespaceV1 } = proto.temporal.api.cloud;
const FIELD = {
  getNamespaceResponseNamespace: 1,
  namespaceSpec: 3,
  updateRequestSpec: 2,
  specCapacitySpec: 12,
} as const;
/** Retried inside one call, with the SDK's own backoff: the connection was lost. */
const UNAVAILABLE = 14;

/**
 * The Cloud Ops connection, plus the same unary calls on raw bytes (same key, metadata, deadline, interceptors): the
 * spec must travel as the API sent it.
 */
class WireConnection extends CloudOperationsConnection {
  unary!: (method: CloudOpsMethod, request: Uint8Array) => Promise<Uint8Array>;

  static lazyWire(options: Parameters<typeof CloudOperationsConnection.lazy>[0]): WireConnection {
    const ctor = this.createCtorOptions(options);
    const rpc = this.generateRPCImplementation({
      serviceName: SERVICE_NAME,
      client: ctor.client,
      callContextStorage: ctor.callContextStorage,
      interceptors: ctor.options.interceptors,
      staticMetadata: ctor.options.metadata,
      apiKeyFnRef: ctor.apiKeyFnRef,
    });
    const connection = new this(ctor);
    connection.unary = (method, request) =>
      new Promise((resolve, reject) =>
        rpc({ name: method } as Parameters<typeof rpc>[0], request, (err, res) =>
          err ? reject(err) : resolve(res ?? new Uint8Array()),
        ),
      );
    return connection;
  }
}

function onlyUnavailable(): ReturnType<typeof defaultGrpcRetryOptions> {
  const sdk = defaultGrpcRetryOptions();
  return {
    ...sdk,
    retryableDecider: (attempt, status) => status.code === UNAVAILABLE && sdk.retryableDecider(attempt, status),
  };
}

/**
 * The Cloud Ops port: the five RPCs this service uses, with the version header on every call and every
 * failure turned into a CloudOpsError. Thin on purpose; the rules live in capacity.ts.
 */
export class CloudOps {
  private constructor(
    private readonly connection: WireConnection,
    private readonly client: CloudOperationsClient,
    private readonly callTimeoutMs: number,
    private readonly onCall: CloudOpsCallObserver | undefined,
  ) {}

  /** Lazy: the process starts while the Cloud Ops API is down; /readyz and each call report it. */
  static create(opts: CloudOpsConnectOptions): CloudOps {
    // The client stores its apiVersion option but does not send it: the header goes into the metadata.
    const connection = WireConnection.lazyWire({
      address: opts.address,
      apiKey: opts.apiKey,
      metadata: { 'temporal-cloud-api-version': opts.apiVersion },
      tls: opts.serverNameOverride ? { serverNameOverride: opts.serverNameOverride } : true,
      connectTimeout: 10_000,
      // The SDK's default retries RESOURCE_EXHAUSTED and ABORTED until the deadline, which then hides the server's
      // reason (a rate limit, a cool-down) behind DEADLINE_EXCEEDED: only a lost connection is retried in the call.
      interceptors: [makeGrpcRetryInterceptor(onlyUnavailable())],
      // The SDK's tls option takes no CA; its options are spread last over the credentials it builds.
      ...(opts.caCert && { credentials: grpcCredentials.createSsl(opts.caCert) }),
    } as CloudOperationsConnectionOptions);
    return new CloudOps(
      connection,
      new CloudOperationsClient({ connection }),
      opts.callTimeoutMs ?? 15_000,
      opts.onCall,
    );
  }

  /** A client of the Cloud Ops emulator: its own address, and the name in its self-signed certificate. */
  static forEmulator(
    emulator: { grpcAddress: string; serverName: string; caCertPath: string },
    opts: Omit<CloudOpsConnectOptions, 'address' | 'serverNameOverride' | 'caCert'>,
  ): CloudOps {
    return CloudOps.create({
      ...opts,
      address: emulator.grpcAddress,
      serverNameOverride: emulator.serverName,
      caCert: readFileSync(emulator.caCertPath),
    });
  }

  private async call<T>(method: CloudOpsMethod, fn: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const done = (outcome: 'ok' | CloudOpsErrorKind) =>
      this.onCall?.(method, outcome, (performance.now() - started) / 1000);
    try {
      const res = await this.client.withDeadline(Date.now() + this.callTimeoutMs, fn);
      done('ok');
      return res;
    } catch (err) {
      const error = toCloudOpsError(err);
      done(error.kind);
      throw error;
    }
  }

  async getNamespace(namespace: string): Promise<NamespaceMsg> {
    const wire = await this.call('GetNamespace', () =>
      this.connection.unary('GetNamespace', cloudservice.v1.GetNamespaceRequest.encode({ namespace }).finish()),
    );
    const read = cloudservice.v1.GetNamespaceResponse.decode(wire).namespace ?? {};
    const namespaceWire = subMessage(wire, FIELD.getNamespaceResponseNamespace);
    const specWire = namespaceWire && subMessage(namespaceWire, FIELD.namespaceSpec);
    return specWire ? Object.assign(read, { specWire }) : read;
  }

  async getCapacityInfo(namespace: string): Promise<CapacityInfoMsg> {
    const res = await this.call('GetNamespaceCapacityInfo', () =>
      this.client.cloudService.getNamespaceCapacityInfo({ namespace }),
    );
    return res.capacityInfo ?? {};
  }

  /**
   * Sends the whole spec. With `specWire` (the spec as read), only its capacity_spec is replaced by
   * `spec.capacitySpec`: every other field goes back as the API sent it, even one newer than our schema.
   */
  async updateNamespace(req: {
    namespace: string;
    spec: NamespaceSpecMsg;
    specWire?: Uint8Array;
    resourceVersion: string;
    asyncOperationId: string;
  }): Promise<AsyncOperationMsg> {
    const { specWire, spec, ...rest } = req;
    const { UpdateNamespaceRequest, UpdateNamespaceResponse } = cloudservice.v1;
    let request = UpdateNamespaceRequest.encode(specWire ? rest : req).finish();
    if (specWire) {
      const capacitySpec = namespaceV1.v1.CapacitySpec.encode(spec.capacitySpec ?? {}).finish();
      const merged = withSubMessage(specWire, FIELD.specCapacitySpec, capacitySpec);
      request = withSubMessage(request, FIELD.updateRequestSpec, merged);
    }
    const wire = await this.call('UpdateNamespace', () => this.connection.unary('UpdateNamespace', request));
    return UpdateNamespaceResponse.decode(wire).asyncOperation ?? {};
  }

  async getAsyncOperation(asyncOperationId: string): Promise<AsyncOperationMsg> {
    const res = await this.call('GetAsyncOperation', () =>
      this.client.cloudService.getAsyncOperation({ asyncOperationId }),
    );
    return res.asyncOperation ?? {};
  }

  /** Who the key is and what it may do: a call that succeeds only with a key the API accepts. */
  async getCurrentIdentity(): Promise<IdentityMsg> {
    return this.call('GetCurrentIdentity', () => this.client.cloudService.getCurrentIdentity({}));
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}
