// Drives the emulator with the real @temporalio/cloud client over real gRPC + TLS.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  EmulatorState,
  ensureEmulatorTrust,
  startEmulator,
  type NamespaceSnapshot,
  type RunningEmulator,
} from '../src/emulator/index.js';
import { PROBE_FIELD } from '../src/emulator/schema.js';

type CloudModule = typeof import('@temporalio/cloud');
type Client = InstanceType<CloudModule['CloudOperationsClient']>;
type Connection = Awaited<ReturnType<CloudModule['CloudOperationsConnection']['connect']>>;
type Service = Client['cloudService'];
type Tap = Pick<typeof t, 'ok' | 'equal' | 'match'>;
type Spec = NonNullable<NonNullable<Awaited<ReturnType<Service['getNamespace']>>['namespace']>['spec']>;

const API_KEY = 'emulator-test-key';
const READ_ONLY_KEY = 'emulator-read-only-key';
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
  emu = await startEmulator({
    apiKey: API_KEY,
    readOnlyApiKey: READ_ONLY_KEY,
    namespaces: ['seeded.acct1'],
    applyDelayMs: APPLY_DELAY_MS,
    tlsDir,
  });
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

t.test('API version: refused below v0.10.0, capacity info only from v0.11.0', async (t) => {
  const version = async (v: string) => (await connect(API_KEY, { 'temporal-cloud-api-version': v })).cloudService;
  const tooOld = await version('v0.9.3');
  await rejects(t, tooOld.getNamespace({ namespace: 'seeded.acct1' }), Code.INVALID_ARGUMENT, /needs v0\.10\.0/);
  const malformed = await version('latest');
  await rejects(t, malformed.getNamespace({ namespace: 'seeded.acct1' }), Code.INVALID_ARGUMENT, /not a version/);
  const noInfo = await version('v0.10.4');
  t.equal((await noInfo.getNamespace({ namespace: 'seeded.acct1' })).namespace?.namespace, 'seeded.acct1');
  await rejects(
    t,
    noInfo.getNamespaceCapacityInfo({ namespace: 'seeded.acct1' }),
    Code.UNIMPLEMENTED,
    /needs API version v0\.11\.0/,
  );
  const v11 = await version('v0.11.0');
  t.ok((await v11.getNamespaceCapacityInfo({ namespace: 'seeded.acct1' })).capacityInfo);
});

t.test('a key without rights reads but may not change a namespace', async (t) => {
  const namespace = freshNamespace();
  const readOnly = (await connect(READ_ONLY_KEY)).cloudService;
  const { namespace: ns } = await readOnly.getNamespace({ namespace });
  await rejects(
    t,
    readOnly.updateNamespace({
      namespace,
      spec: { ...ns!.spec, capacitySpec: { provisioned: { value: 4 } } },
      resourceVersion: ns!.resourceVersion,
    }),
    Code.PERMISSION_DENIED,
    /Global Admin or Namespace Admin/,
  );
  t.equal((await snapshot(namespace)).updates.length, 0, 'nothing changed');
  const { serviceAccount } = await readOnly.getCurrentIdentity({});
  t.equal(serviceAccount?.spec?.access?.accountAccess?.role, 5, 'its identity says ROLE_READ');
});

t.test('the spec carries a field the client does not know; the snapshot says whether an update kept it', async (t) => {
  const namespace = freshNamespace();
  t.equal((await snapshot(namespace)).spec[PROBE_FIELD.name], PROBE_FIELD.value, 'seeded');
  const ns = await read(namespace);
  t.notOk(PROBE_FIELD.name in ns.spec!, "the client's schema drops it when it decodes");
  await setCapacity(namespace, { provisioned: { value: 2 } });
  const snap = await snapshot(namespace);
  t.equal(snap.updates[0]?.unknownFieldsKept, false, 'a decoded spec sent back loses it');
  t.notOk(PROBE_FIELD.name in snap.spec);
});

t.test('bytes fields are kept as sent', async (t) => {
  const namespace = freshNamespace();
  const ns = await read(namespace);
  const ca = Buffer.from('-----BEGIN CERTIFICATE-----\nnot really\n-----END CERTIFICATE-----\n');
  await svc.updateNamespace({
    namespace,
    spec: { ...ns.spec, mtlsAuth: { acceptedClientCa: ca, enabled: true } },
    resourceVersion: ns.resourceVersion,
  });
  const back = await read(namespace);
  t.same(Buffer.from(back.spec!.mtlsAuth!.acceptedClientCa!), ca);
  const { spec } = await snapshot(namespace);
  t.same(spec.mtlsAuth, { acceptedClientCa: ca.toString('base64'), enabled: true }, 'base64 in the snapshot');
});

t.test('operations answer the configured checkDuration and count polls that come sooner', async (t) => {
  let now = 1_000_000;
  const state = new EmulatorState({
    namespaces: ['paced.acct1'],
    applyDelayMs: 30_000,
    checkDurationMs: 10_000,
    now: () => now,
  });
  const ns = state.getNamespace('paced.acct1');
  const op = state.updateNamespace({
    namespace: 'paced.acct1',
    spec: { ...ns.spec, capacitySpec: { provisioned: { value: 4 } } },
    resourceVersion: ns.resourceVersion,
    asyncOperationId: 'op-paced',
  });
  t.same(op.checkDuration, { seconds: 10, nanos: 0 });
  state.pollAsyncOperation('op-paced');
  now += 10_000;
  state.pollAsyncOperation('op-paced');
  now += 2_000;
  state.pollAsyncOperation('op-paced');
  state.getAsyncOperation('op-paced');
  const [update] = state.snapshot('paced.acct1').updates;
  t.equal(update?.operationPolls, 3, "the emulator's own reads (tests, control plane) are not counted");
  t.equal(update?.earlyPolls, 1, 'the poll 2 s after the previous one came too soon');
});

t.test('what a failed request leaves in the spec: restore (default) or keep', async (t) => {
  for (const failedSpec of ['restore', 'keep'] as const) {
    let now = 0;
    const state = new EmulatorState({ namespaces: ['failing.acct1'], applyDelayMs: 100, failedSpec, now: () => now });
    state.injectFault({ nextOperationOutcome: 'FAILED', count: 1 });
    const ns = state.getNamespace('failing.acct1');
    const request = { ...ns.spec, capacitySpec: { provisioned: { value: 4 } } };
    state.updateNamespace({ namespace: 'failing.acct1', spec: request, resourceVersion: ns.resourceVersion });
    now += 100;
    const after = state.getNamespace('failing.acct1');
    t.same(after.capacity.latestRequest?.state, 3, `${failedSpec}: the request FAILED`);
    t.ok('onDemand' in after.capacity, `${failedSpec}: capacity unchanged`);
    t.same(after.spec.capacitySpec, failedSpec === 'keep' ? { provisioned: { value: 4 } } : { onDemand: {} });
    if (failedSpec === 'keep') {
      t.throws(
        () =>
          state.updateNamespace({ namespace: 'failing.acct1', spec: request, resourceVersion: after.resourceVersion }),
        /nothing to change/,
        'sending the failed value again is "nothing to change"',
      );
    }
  }
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
  t.equal(op.operationType, 'UpdateNamespace', 'as the real API names it');
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
  const history = (await control('GET', `/namespaces/${namespace}/capacity-history`)).json as unknown as {
    at: string;
    trus: number;
  }[];
  t.equal(history.length, 2, 'created On-Demand, then the change');
  t.equal(history[0]?.trus, 0);
  t.equal(history[1]?.trus, 4);
  const finishedMs =
    Number(asyncOperation?.finishedTime?.seconds) * 1000 + (asyncOperation?.finishedTime?.nanos ?? 0) / 1e6;
  t.equal(Date.parse(history[1]?.at ?? ''), finishedMs, "the step is at the operation's finish time");
  t.same((await snapshot(namespace)).capacityHistory, history, 'the snapshot carries it too');
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
  // The plain client decodes the spec, dropping the field its schema does not know: sending it back is a change.
  const seeded = await read(namespace);
  await svc.updateNamespace({ namespace, spec: seeded.spec, resourceVersion: seeded.resourceVersion });
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
    const reason = 'rate limit: 80 requests per second per service account';
    await control('POST', '/faults', { rpc: 'GetNamespace', code: 'RESOURCE_EXHAUSTED', count: 1, message: reason });
    await rejects(t, svc.getNamespace({ namespace: 'seeded.acct1' }), 8, new RegExp(reason));
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
      t.equal((await snapshot(namespace)).capacityHistory.length, 1, 'a failed operation is no step');
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
    t.same(
      snap.capacityHistory.map((h) => h.trus),
      [0],
      'a change that did not apply is no step',
    );
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

t.test(
  'a change by hand: the same read and UpdateNamespace a tool makes, its own operation, marked manual',
  async (t) => {
    const ns = freshNamespace();
    const ours = await setCapacity(ns, { provisioned: { value: 4 } }, 'ours-1');
    await waitForOperation(ours.id!);
    const before = await read(ns);
    const requestsBefore = emu.state.stats().acct1?.requests ?? 0;

    const changed = await control('POST', `/namespaces/${ns}/manual-change`, { trus: 10 });
    t.equal(changed.status, 202);
    const opId = changed.json.asyncOperationId as string;
    t.match(opId, /^manual-/, 'an operation id of its own');
    t.equal(emu.state.stats().acct1!.requests - requestsBefore, 2, 'a read and an update, under the account limits');
    const op = (await svc.getAsyncOperation({ asyncOperationId: opId })).asyncOperation!;
    t.ok(op.checkDuration, 'an async operation like any other, with its checkDuration');
    t.equal((await waitForOperation(opId)).final, Op.FULFILLED);

    const after = await read(ns);
    t.equal(after.capacity?.provisioned?.currentValue, 10, 'the namespace has what the person asked');
    t.not(after.resourceVersion, before.resourceVersion, 'a new resourceVersion');
    t.equal(after.capacity?.latestRequest?.asyncOperationId, opId);
    t.equal(after.spec?.retentionDays, before.spec?.retentionDays, 'the rest of the spec kept');
    const updates = (await snapshot(ns)).updates;
    t.same(
      updates.map((u) => [u.asyncOperationId, u.manual ?? false]),
      [
        ['ours-1', false],
        [opId, true],
      ],
      "the namespace's updates say which one was not the service's",
    );

    const back = await control('POST', `/namespaces/${ns}/manual-change`, { onDemand: true });
    t.equal(back.status, 202);
    await waitForOperation(back.json.asyncOperationId as string);
    t.ok((await read(ns)).capacity?.onDemand, 'On-Demand by hand');

    for (const body of [
      {},
      { trus: 0 },
      { trus: 2.5 },
      { trus: '4' },
      { onDemand: false },
      { trus: 4, onDemand: true },
    ]) {
      t.equal((await control('POST', `/namespaces/${ns}/manual-change`, body)).status, 400, JSON.stringify(body));
    }
    t.equal(
      (await control('POST', `/namespaces/${ns}/manual-change`, { trus: 5 })).status,
      400,
      'not a valid TRU value',
    );
    t.equal((await control('POST', '/namespaces/nope.acct1/manual-change', { trus: 4 })).status, 404);
    t.equal((await snapshot(ns)).updates.length, 3, 'refused bodies changed nothing');
  },
);
