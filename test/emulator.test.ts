// Drives the emulator with the real @temporalio/cloud client over real gRPC + TLS.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ensureEmulatorTrust,
  startEmulator,
  type NamespaceSnapshot,
  type RunningEmulator,
} from '../src/emulator/index.js';

type CloudModule = typeof import('@temporalio/cloud');
type Client = InstanceType<CloudModule['CloudOperationsClient']>;
type Connection = Awaited<ReturnType<CloudModule['CloudOperationsConnection']['connect']>>;
type Service = Client['cloudService'];
type Tap = Pick<typeof t, 'ok' | 'equal' | 'match'>;
type Spec = NonNullable<NonNullable<Awaited<ReturnType<Service['getNamespace']>>['namespace']>['spec']>;

const API_KEY = 'emulator-test-key';
const API_VERSION = 'v0.19.1';
const APPLY_DELAY_MS = 300;
// Numeric gRPC codes: grpc-js must not be loaded before the trust bundle is configured.
const Code = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
};
const Op = { PENDING: 1, IN_PROGRESS: 2, FAILED: 3, FULFILLED: 5, REJECTED: 6 };
const Req = { COMPLETED: 1, IN_PROGRESS: 2, FAILED: 3 };

const tlsDir = mkdtempSync(path.join(os.tmpdir(), 'emulator-test-'));
let cloud: CloudModule;
let emu: RunningEmulator;
let svc: Service;
const connections: Connection[] = [];
let nsCounter = 0;

t.before(async () => {
  const { trustBundlePath } = await ensureEmulatorTrust(tlsDir);
  // Static imports are hoisted: the client (and grpc-js) load only after the variable is set.
  process.env.GRPC_DEFAULT_SSL_ROOTS_FILE_PATH = trustBundlePath;
  cloud = await import('@temporalio/cloud');
  emu = await startEmulator({ apiKey: API_KEY, namespaces: ['seeded.acct1'], applyDelayMs: APPLY_DELAY_MS, tlsDir });
  svc = (await connect(API_KEY)).cloudService;
});

t.teardown(async () => {
  await Promise.all(connections.map((c) => c.close()));
  await emu.close();
  rmSync(tlsDir, { recursive: true, force: true });
});

async function connect(
  apiKey: string,
  metadata: Record<string, string> = { 'temporal-cloud-api-version': API_VERSION },
): Promise<Client> {
  const connection = await cloud.CloudOperationsConnection.connect({
    address: emu.grpcAddress,
    apiKey,
    metadata,
    tls: { serverNameOverride: emu.serverName },
    interceptors: [],
  });
  connections.push(connection);
  return new cloud.CloudOperationsClient({ connection });
}

function freshNamespace(): string {
  const id = `ns${++nsCounter}.acct1`;
  emu.state.addNamespace(id);
  return id;
}

async function read(namespace: string) {
  const { namespace: ns } = await svc.getNamespace({ namespace });
  return ns!;
}

async function setCapacity(namespace: string, capacitySpec: Spec['capacitySpec'], asyncOperationId?: string) {
  const ns = await read(namespace);
  const { asyncOperation } = await svc.updateNamespace({
    namespace,
    spec: { ...ns.spec, capacitySpec },
    resourceVersion: ns.resourceVersion,
    asyncOperationId,
  });
  return asyncOperation!;
}

async function waitForOperation(id: string): Promise<{ final: number }> {
  for (;;) {
    const { asyncOperation } = await svc.getAsyncOperation({ asyncOperationId: id });
    const state = asyncOperation!.state!;
    if (state >= Op.FAILED) return { final: state };
    await new Promise((r) => setTimeout(r, 40));
  }
}

async function control(
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${emu.controlUrl}${route}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function snapshot(namespace: string): Promise<NamespaceSnapshot> {
  const { status, json } = await control('GET', `/namespaces/${namespace}`);
  if (status !== 200) throw new Error(`snapshot ${namespace}: ${status}`);
  return json as unknown as NamespaceSnapshot;
}

async function rejects(t: Tap, promise: Promise<unknown>, code: number, message?: RegExp): Promise<void> {
  const err = (await promise.then(
    () => null,
    (e: unknown) => e,
  )) as { code?: number; details?: string } | null;
  t.ok(err, 'call fails');
  t.equal(err?.code, code, `code ${code}`);
  if (message) t.match(err?.details ?? '', message);
}

t.test('authentication and API version header', async (t) => {
  const wrongKey = await connect('wrong-key');
  await rejects(t, wrongKey.cloudService.getNamespace({ namespace: 'seeded.acct1' }), Code.UNAUTHENTICATED);
  const noVersion = await connect(API_KEY, {});
  await rejects(
    t,
    noVersion.cloudService.getNamespace({ namespace: 'seeded.acct1' }),
    Code.INVALID_ARGUMENT,
    /temporal-cloud-api-version header is required/,
  );
  await svc.getNamespace({ namespace: 'seeded.acct1' });
  const recorded = emu.state.callLog.filter((c) => c.method === 'GetNamespace').map((c) => c.apiVersion);
  t.ok(recorded.includes(API_VERSION), 'API version recorded');
  t.ok(recorded.includes(null), 'missing API version recorded as null');
});

t.test('unknown namespace and unimplemented methods', async (t) => {
  await rejects(t, svc.getNamespace({ namespace: 'nope.acct1' }), Code.NOT_FOUND);
  await rejects(t, svc.getNamespaceCapacityInfo({ namespace: 'nope.acct1' }), Code.NOT_FOUND);
  await rejects(t, svc.getAsyncOperation({ asyncOperationId: 'no-such-op' }), Code.NOT_FOUND);
  await rejects(t, svc.getUsers({}), Code.UNIMPLEMENTED);
});

t.test('seeded namespace looks like a real one', async (t) => {
  const ns = await read('seeded.acct1');
  t.equal(ns.namespace, 'seeded.acct1');
  t.equal(ns.state, 3, 'ACTIVE');
  t.equal(ns.spec?.retentionDays, 30);
  t.equal(ns.spec?.codecServer?.endpoint, 'https://codec.example.com');
  t.ok(ns.spec?.capacitySpec?.onDemand, 'spec asks on-demand');
  t.equal(ns.capacity?.currentMode, 'onDemand');
  t.ok(ns.resourceVersion);
  const { capacityInfo } = await svc.getNamespaceCapacityInfo({ namespace: 'seeded.acct1' });
  t.same(capacityInfo?.modeOptions?.provisioned?.validTruValues, [2, 3, 4, 6, 8, 10, 12]);
  t.equal(capacityInfo?.modeOptions?.provisioned?.maxAvailableTruValue, 12);
  t.equal(capacityInfo?.modeOptions?.onDemand?.apsLimit, 500);
  t.equal(capacityInfo?.hasLegacyLimits, false);
  t.ok(capacityInfo?.stats?.aps?.p99);
});

t.test('update lifecycle: capacity changes only when the operation is fulfilled', async (t) => {
  const namespace = freshNamespace();
  const op = await setCapacity(namespace, { provisioned: { value: 4 } }, 'op-lifecycle');
  t.equal(op.id, 'op-lifecycle');
  t.equal(op.state, Op.PENDING);
  t.equal(op.operationType, 'update-namespace');
  t.equal(op.checkDuration?.nanos, 250_000_000);
  await new Promise((r) => setTimeout(r, APPLY_DELAY_MS / 2.5));
  t.equal((await svc.getAsyncOperation({ asyncOperationId: 'op-lifecycle' })).asyncOperation?.state, Op.IN_PROGRESS);
  const during = await read(namespace);
  t.equal(during.state, 4, 'UPDATING');
  t.equal(during.capacity?.currentMode, 'onDemand', 'not applied yet');
  t.equal(during.capacity?.latestRequest?.state, Req.IN_PROGRESS);
  t.equal(during.capacity?.latestRequest?.asyncOperationId, 'op-lifecycle');
  t.equal(during.spec?.capacitySpec?.provisioned?.value, 4, 'spec holds the request');
  t.equal((await waitForOperation('op-lifecycle')).final, Op.FULFILLED);
  const after = await read(namespace);
  t.equal(after.state, 3, 'ACTIVE again');
  t.equal(after.capacity?.provisioned?.currentValue, 4);
  t.equal(after.capacity?.latestRequest?.state, Req.COMPLETED);
  t.ok(after.capacity?.latestRequest?.endTime, 'endTime set');
  t.equal(Number(after.limits?.actionsPerSecondLimit), 2000);
  const { asyncOperation } = await svc.getAsyncOperation({ asyncOperationId: 'op-lifecycle' });
  t.ok(asyncOperation?.finishedTime, 'finishedTime set');
});

t.test('UpdateNamespace replaces the whole spec', async (t) => {
  const namespace = freshNamespace();
  const ns = await read(namespace);
  const { codecServer: _dropped, ...rest } = ns.spec!;
  await svc.updateNamespace({ namespace, spec: { ...rest, retentionDays: 7 }, resourceVersion: ns.resourceVersion });
  const snap = await snapshot(namespace);
  t.notOk('codecServer' in snap.spec, 'codecServer gone');
  t.equal(snap.spec.retentionDays, 7);
  t.equal(snap.updates.length, 1);
  t.not(snap.resourceVersion, ns.resourceVersion, 'resourceVersion changed');
});

t.test('stale resourceVersion is refused', async (t) => {
  const namespace = freshNamespace();
  const stale = await read(namespace);
  await setCapacity(namespace, { provisioned: { value: 2 } });
  await rejects(
    t,
    svc.updateNamespace({
      namespace,
      spec: { ...stale.spec, retentionDays: 9 },
      resourceVersion: stale.resourceVersion,
    }),
    Code.FAILED_PRECONDITION,
    /resource_version/,
  );
});

t.test('same asyncOperationId twice is one change', async (t) => {
  const namespace = freshNamespace();
  const ns = await read(namespace);
  const request = {
    namespace,
    spec: { ...ns.spec, capacitySpec: { provisioned: { value: 3 } } },
    resourceVersion: ns.resourceVersion,
    asyncOperationId: 'op-twice',
  };
  const first = await svc.updateNamespace(request);
  const second = await svc.updateNamespace(request);
  t.equal(second.asyncOperation?.id, first.asyncOperation?.id);
  t.equal((await snapshot(namespace)).updates.length, 1);
});

t.test('refusals: nothing to change, in progress, invalid TRU, ceiling', async (t) => {
  const namespace = freshNamespace();
  const ns = await read(namespace);
  await rejects(
    t,
    svc.updateNamespace({ namespace, spec: ns.spec, resourceVersion: ns.resourceVersion }),
    Code.INVALID_ARGUMENT,
    /nothing to change/,
  );
  await rejects(
    t,
    setCapacity(namespace, { provisioned: { value: 5 } }),
    Code.INVALID_ARGUMENT,
    /2, 3, 4, 6, 8, 10, 12/,
  );
  t.equal((await control('POST', '/faults', { maxAvailableTruValue: 6 })).status, 204);
  await rejects(t, setCapacity(namespace, { provisioned: { value: 8 } }), Code.INVALID_ARGUMENT, /max available 6/);
  const { capacityInfo } = await svc.getNamespaceCapacityInfo({ namespace });
  t.equal(capacityInfo?.modeOptions?.provisioned?.maxAvailableTruValue, 6);
  await control('DELETE', '/faults');
  const op = await setCapacity(namespace, { provisioned: { value: 8 } });
  await rejects(
    t,
    setCapacity(namespace, { provisioned: { value: 6 } }),
    Code.FAILED_PRECONDITION,
    /capacity request in progress/,
  );
  await waitForOperation(op.id!);
});

t.test('cool-down between capacity changes', async (t) => {
  const namespace = freshNamespace();
  t.equal((await control('POST', '/faults', { cooldownSeconds: 60 })).status, 204);
  t.teardown(() => control('DELETE', '/faults'));
  const op = await setCapacity(namespace, { provisioned: { value: 2 } });
  await waitForOperation(op.id!);
  await rejects(
    t,
    setCapacity(namespace, { onDemand: {} }),
    Code.FAILED_PRECONDITION,
    /capacity cool-down: TRUs can be adjusted hourly; the next change of this namespace is allowed in (59|60) s \(at \d{4}-/,
  );
  const ns = await read(namespace);
  await svc.updateNamespace({
    namespace,
    spec: { ...ns.spec, retentionDays: 10 },
    resourceVersion: ns.resourceVersion,
  });
  t.pass('a non-capacity update is not subject to the cool-down');
});

t.test('account limits: operations in flight and requests per second, reported by GET /stats', async (t) => {
  const limited = await startEmulator({
    apiKey: API_KEY,
    namespaces: ['a.lim1', 'b.lim1', 'c.lim1', 'd.lim2'],
    applyDelayMs: 60_000,
    limits: { maxOperationsPerAccount: 2, maxRequestsPerSecond: 0 },
    tlsDir,
  });
  t.teardown(() => limited.close());
  const connection = await cloud.CloudOperationsConnection.connect({
    address: limited.grpcAddress,
    apiKey: API_KEY,
    metadata: { 'temporal-cloud-api-version': API_VERSION },
    tls: { serverNameOverride: limited.serverName },
    interceptors: [],
  });
  connections.push(connection);
  const lsvc = new cloud.CloudOperationsClient({ connection }).cloudService;
  const raise = async (namespace: string) => {
    const { namespace: ns } = await lsvc.getNamespace({ namespace });
    return lsvc.updateNamespace({
      namespace,
      spec: { ...ns!.spec, capacitySpec: { provisioned: { value: 2 } } },
      resourceVersion: ns!.resourceVersion,
    });
  };
  await raise('a.lim1');
  await raise('b.lim1');
  await rejects(t, raise('c.lim1'), 8, /too many concurrent async operations for account lim1 \(limit 2\)/);
  await raise('d.lim2');
  t.pass('another account has a budget of its own');

  const rate = await startEmulator({
    apiKey: API_KEY,
    namespaces: ['a.rate1'],
    applyDelayMs: 10,
    limits: { maxOperationsPerAccount: 0, maxRequestsPerSecond: 5 },
    tlsDir,
  });
  t.teardown(() => rate.close());
  const rateConnection = await cloud.CloudOperationsConnection.connect({
    address: rate.grpcAddress,
    apiKey: API_KEY,
    metadata: { 'temporal-cloud-api-version': API_VERSION },
    tls: { serverNameOverride: rate.serverName },
    interceptors: [],
  });
  connections.push(rateConnection);
  const rsvc = new cloud.CloudOperationsClient({ connection: rateConnection }).cloudService;
  const results = await Promise.allSettled(
    Array.from({ length: 8 }, () => rsvc.getNamespace({ namespace: 'a.rate1' })),
  );
  t.equal(results.filter((r) => r.status === 'fulfilled').length, 5, 'five requests in the second are answered');
  const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
  t.equal((refused.reason as { code: number }).code, 8, 'RESOURCE_EXHAUSTED');
  t.match((refused.reason as { details: string }).details, /rate limit exceeded: more than 5 requests per second/);

  const stats = (await (await fetch(`${limited.controlUrl}/stats`)).json()) as Record<string, Record<string, number>>;
  t.same(stats.lim1, { maxOperationsInFlight: 2, requests: 6, refusedForLimits: 1 });
  t.same(stats.lim2, { maxOperationsInFlight: 1, requests: 2, refusedForLimits: 0 });
  t.same(rate.state.stats().rate1, { maxOperationsInFlight: 0, requests: 8, refusedForLimits: 3 });
});

t.test('faults injected through the control plane', async (t) => {
  t.afterEach(() => control('DELETE', '/faults'));

  t.test('RPC fault fails the next n calls', async (t) => {
    await control('POST', '/faults', { rpc: 'GetNamespace', code: 'PERMISSION_DENIED', count: 2 });
    await rejects(t, svc.getNamespace({ namespace: 'seeded.acct1' }), Code.PERMISSION_DENIED, /injected fault/);
    await rejects(t, svc.getNamespace({ namespace: 'seeded.acct1' }), Code.PERMISSION_DENIED);
    await svc.getNamespace({ namespace: 'seeded.acct1' });
    await control('POST', '/faults', { rpc: 'GetAsyncOperation', code: 'UNAVAILABLE', count: 1 });
    await rejects(t, svc.getAsyncOperation({ asyncOperationId: 'whatever' }), Code.UNAVAILABLE);
  });

  for (const outcome of ['FAILED', 'REJECTED'] as const) {
    t.test(`next operation ends ${outcome} and leaves capacity alone`, async (t) => {
      const namespace = freshNamespace();
      await control('POST', '/faults', { nextOperationOutcome: outcome, count: 1 });
      const op = await setCapacity(namespace, { provisioned: { value: 4 } });
      t.equal((await waitForOperation(op.id!)).final, Op[outcome]);
      const { asyncOperation } = await svc.getAsyncOperation({ asyncOperationId: op.id! });
      t.ok(asyncOperation?.failureReason, 'failureReason set');
      const ns = await read(namespace);
      t.equal(ns.capacity?.currentMode, 'onDemand');
      t.equal(ns.capacity?.latestRequest?.state, Req.FAILED);
      t.ok(ns.spec?.capacitySpec?.onDemand, 'spec reverted to the mode in effect');
      const retry = await setCapacity(namespace, { provisioned: { value: 4 } });
      t.equal((await waitForOperation(retry.id!)).final, Op.FULFILLED, 'fault consumed');
    });
  }

  t.test('capacityNotApplied: a lying success', async (t) => {
    const namespace = freshNamespace();
    await control('POST', '/faults', { capacityNotApplied: true, count: 1 });
    const op = await setCapacity(namespace, { provisioned: { value: 6 } }, 'op-lie');
    t.equal((await waitForOperation(op.id!)).final, Op.FULFILLED);
    const snap = await snapshot(namespace);
    t.same(snap.capacity.latestRequest?.asyncOperationId, 'op-lie');
    t.equal(snap.capacity.latestRequest?.state, Req.COMPLETED);
    t.ok('onDemand' in snap.capacity, 'capacity still on-demand');
  });

  t.test('applyDelayMs', async (t) => {
    const namespace = freshNamespace();
    await control('POST', '/faults', { applyDelayMs: 0 });
    const op = await setCapacity(namespace, { provisioned: { value: 2 } });
    t.equal(op.state, Op.FULFILLED, 'done at once');
    const { capacity } = await snapshot(namespace);
    t.same('provisioned' in capacity && capacity.provisioned, { currentValue: 2 }, 'applied at once');
    t.equal(capacity.latestRequest?.state, Req.COMPLETED);
  });
});

t.test('control plane routes', async (t) => {
  t.equal((await control('POST', '/namespaces', { namespace: 'viahttp.acct1' })).status, 201);
  t.ok(((await control('GET', '/namespaces')).json as unknown as string[]).includes('viahttp.acct1'));
  t.equal((await read('viahttp.acct1')).namespace, 'viahttp.acct1');
  t.equal((await control('POST', '/namespaces', { namespace: 'viahttp.acct1' })).status, 409);
  t.equal((await control('GET', '/namespaces/nope.acct1')).status, 404);
  t.equal((await control('GET', '/nowhere')).status, 404);
  const bad = await control('POST', '/faults', '{not json');
  t.equal(bad.status, 400);
  t.ok(bad.json.error);
  t.equal((await control('POST', '/faults', { rpc: 'GetNamespace', code: 'NOPE', count: 1 })).status, 400);
  t.equal((await control('POST', '/faults', { somethingElse: 1 })).status, 400);
});
