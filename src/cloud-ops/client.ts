import { CloudOperationsClient, CloudOperationsConnection } from '@temporalio/cloud';
import type { temporal } from '@temporalio/proto';
import { toCloudOpsError, type CloudOpsErrorKind } from './errors.js';

type NamespaceMsg = temporal.api.cloud.namespace.v1.Namespace.$Properties;
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
  /** Per-call deadline; a hung call must not hold an activity or an HTTP request forever. */
  callTimeoutMs?: number;
  /** Told about every call when it ends (for metrics): the RPC, `ok` or the CloudOpsError kind, the seconds taken. */
  onCall?: CloudOpsCallObserver;
}

export type CloudOpsCallObserver = (method: CloudOpsMethod, outcome: 'ok' | CloudOpsErrorKind, seconds: number) => void;
export type CloudOpsMethod =
  'GetNamespace' | 'GetNamespaceCapacityInfo' | 'UpdateNamespace' | 'GetAsyncOperation' | 'GetCurrentIdentity';

/**
 * The Cloud Ops port: the five RPCs this service uses, with the version header on every call and every
 * failure turned into a CloudOpsError. Thin on purpose; the rules live in capacity.ts.
 */
export class CloudOps {
  private constructor(
    private readonly connection: CloudOperationsConnection,
    private readonly client: CloudOperationsClient,
    private readonly callTimeoutMs: number,
    private readonly onCall: CloudOpsCallObserver | undefined,
  ) {}

  /** Lazy: the process starts while the Cloud Ops API is down; /readyz and each call report it. */
  static create(opts: CloudOpsConnectOptions): CloudOps {
    // The client stores its apiVersion option but does not send it: the header goes into the metadata.
    const connection = CloudOperationsConnection.lazy({
      address: opts.address,
      apiKey: opts.apiKey,
      metadata: { 'temporal-cloud-api-version': opts.apiVersion },
      tls: opts.serverNameOverride ? { serverNameOverride: opts.serverNameOverride } : true,
      connectTimeout: 10_000,
    });
    return new CloudOps(
      connection,
      new CloudOperationsClient({ connection }),
      opts.callTimeoutMs ?? 15_000,
      opts.onCall,
    );
  }

  /** A client of the Cloud Ops emulator: its own address, and the name in its self-signed certificate. */
  static forEmulator(
    emulator: { grpcAddress: string; serverName: string },
    opts: Omit<CloudOpsConnectOptions, 'address' | 'serverNameOverride'>,
  ): CloudOps {
    return CloudOps.create({ ...opts, address: emulator.grpcAddress, serverNameOverride: emulator.serverName });
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
    const res = await this.call('GetNamespace', () => this.client.cloudService.getNamespace({ namespace }));
    return res.namespace ?? {};
  }

  async getCapacityInfo(namespace: string): Promise<CapacityInfoMsg> {
    const res = await this.call('GetNamespaceCapacityInfo', () =>
      this.client.cloudService.getNamespaceCapacityInfo({ namespace }),
    );
    return res.capacityInfo ?? {};
  }

  async updateNamespace(req: {
    namespace: string;
    spec: NamespaceSpecMsg;
    resourceVersion: string;
    asyncOperationId: string;
  }): Promise<AsyncOperationMsg> {
    const res = await this.call('UpdateNamespace', () => this.client.cloudService.updateNamespace(req));
    return res.asyncOperation ?? {};
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
