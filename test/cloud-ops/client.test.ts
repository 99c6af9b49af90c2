// The Cloud Ops client (src/cloud-ops/client.ts, the real @temporalio/cloud connection underneath) and the capacity
// rules, against the emulator over real gRPC + TLS.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureEmulatorTrust, startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { PROBE_FIELD } from '../../src/emulator/schema.js';
import { provisioned, ON_DEMAND } from '../../src/shared/index.js';

type ClientModule = typeof import('../../src/cloud-ops/client.js');
type CapacityModule = typeof import('../../src/cloud-ops/capacity.js');
type CloudOps = ReturnType<ClientModule['CloudOps']['create']>;

const API_KEY = 'client-test-key';
const READ_ONLY_KEY = 'client-test-read-only-key';
const tlsDir = mkdtempSync(path.join(os.tmpdir(), 'cloud-ops-client-test-'));
let emu: RunningEmulator;
let keepEmu: RunningEmulator;
let client: ClientModule;
let capacity: CapacityModule;
const opened: CloudOps[] = [];
let n = 0;

t.before(async () => {
  const { trustBundlePath } = await ensureEmulatorTrust(tlsDir);
  // grpc-js reads its roots when first loaded: the client modules load only after this.
  process.env.GRPC_DEFAULT_SSL_ROOTS_FILE_PATH = trustBundlePath;
  client = await import('../../src/cloud-ops/client.js');
  capacity = await import('../../src/cloud-ops/capacity.js');
  const common = { namespaces: [], applyDelayMs: 200, tlsDir, controlPort: null };
  emu = await startEmulator({ ...common, apiKey: API_KEY, readOnlyApiKey: READ_ONLY_KEY });
  keepEmu = await startEmulator({ ...common, apiKey: API_KEY, failedSpec: 'keep' });
});

t.teardown(async () => {
  await Promise.all(opened.map((o) => o.close()));
  await Promise.all([emu.close(), keepEmu.close()]);
  rmSync(tlsDir, { recursive: true, force: true });
});

function ops(on: RunningEmulator = emu, apiKey = API_KEY): CloudOps {
  const o = client.CloudOps.forEmulator(on, { apiKey, apiVersion: 'v0.19.1', callTimeoutMs: 15_000 });
  opened.push(o);
  return o;
}

function fresh(on: RunningEmulator = emu): string {
  const id = `client${++n}.acct1`;
  on.state.addNamespace(id);
  return id;
}

t.test('an update keeps the spec field our schema does not know', async (t) => {
  const namespace = fresh();
  const service = new capacity.CapacityService(ops());
  const op = await service.setCapacity(namespace, provisioned(4), 'op-keeps-unknown');
  t.equal(op, 'op-keeps-unknown');
  await service.verify(namespace, provisioned(4), op, { deadline: Date.now() + 10_000 });
  const snap = emu.state.snapshot(namespace);
  t.equal(snap.updates.length, 1);
  t.equal(snap.updates[0]?.unknownFieldsKept, true, 'the emulator saw its unknown field come back');
  t.equal(snap.spec[PROBE_FIELD.name], PROBE_FIELD.value);
  t.same(snap.spec.capacitySpec, { provisioned: { value: 4 } }, 'only capacity_spec changed');
  t.equal(snap.spec.retentionDays, 30);
  t.same(snap.spec.codecServer, { endpoint: 'https://codec.example.com', passAccessToken: true });
});

t.test("RESOURCE_EXHAUSTED arrives at once with the server's reason, not as a deadline", async (t) => {
  const reason = 'capacity cool-down: the namespace changed less than an hour ago';
  emu.state.injectFault({ rpc: 'GetNamespace', code: 'RESOURCE_EXHAUSTED', count: 5, message: reason });
  const started = performance.now();
  const err = await ops()
    .getNamespace('any.acct1')
    .catch((e: unknown) => e);
  emu.state.clearFaults();
  t.match(err, { name: 'CloudOpsError', grpcCode: 8, message: `RESOURCE_EXHAUSTED: ${reason}` });
  t.ok(performance.now() - started < 2_000, 'no retries inside the call');
  t.equal((err as { retryable: boolean }).retryable, true, 'retried later, by the activity');
});

t.test('a key without rights: PERMISSION_DENIED with the server message, not retried', async (t) => {
  const namespace = fresh();
  const service = new capacity.CapacityService(ops(emu, READ_ONLY_KEY));
  const err = await service.setCapacity(namespace, provisioned(4), 'op-denied').catch((e: unknown) => e);
  t.match(err, { name: 'CloudOpsError', kind: 'PERMISSION_DENIED', message: /Global Admin or Namespace Admin/ });
  t.equal((err as { retryable: boolean }).retryable, false);
});

t.test('a failed request that left its value in the spec is sent again as a real change', async (t) => {
  const namespace = fresh(keepEmu);
  const service = new capacity.CapacityService(ops(keepEmu));
  keepEmu.state.injectFault({ nextOperationOutcome: 'FAILED', count: 1 });
  const failed = await service.setCapacity(namespace, provisioned(4), 'op-fails');
  t.match(await service.verify(namespace, provisioned(4), failed, { deadline: Date.now() + 10_000 }).catch((e) => e), {
    type: 'OperationUnsuccessful',
  });
  t.same(keepEmu.state.snapshot(namespace).spec.capacitySpec, { provisioned: { value: 4 } }, 'the spec kept 4');

  const op = await service.setCapacity(namespace, provisioned(4), 'op-again');
  t.equal(op, 'op-again', 'a real operation, not "nothing to change"');
  const observed = await service.verify(namespace, provisioned(4), op, { deadline: Date.now() + 10_000 });
  t.same(observed.current, provisioned(4));
  const updates = keepEmu.state.snapshot(namespace).updates.map((u) => [u.asyncOperationId, u.spec.capacitySpec]);
  t.same(updates, [
    ['op-fails', { provisioned: { value: 4 } }],
    ['op-again-realign', { onDemand: {} }],
    ['op-again', { provisioned: { value: 4 } }],
  ]);

  // The known leftover: a revert whose value the spec already holds, never applied.
  keepEmu.state.injectFault({ nextOperationOutcome: 'FAILED', count: 1 });
  const revert = await service.setCapacity(namespace, ON_DEMAND, 'op-revert-fails');
  await t.rejects(service.verify(namespace, ON_DEMAND, revert, { deadline: Date.now() + 10_000 }));
  const again = await service.setCapacity(namespace, ON_DEMAND, 'op-revert-again');
  t.equal(again, 'op-revert-again');
  t.same((await service.verify(namespace, ON_DEMAND, again, { deadline: Date.now() + 10_000 })).current, ON_DEMAND);
});

t.test('operation polls keep to checkDuration', async (t) => {
  const paced = await startEmulator({
    namespaces: [],
    applyDelayMs: 2_500,
    checkDurationMs: 1_000,
    tlsDir,
    controlPort: null,
    apiKey: API_KEY,
  });
  t.teardown(() => paced.close());
  const namespace = fresh(paced);
  const service = new capacity.CapacityService(ops(paced));
  const op = await service.setCapacity(namespace, provisioned(2), 'op-paced');
  await service.verify(namespace, provisioned(2), op, { deadline: Date.now() + 20_000 });
  const [update] = paced.state.snapshot(namespace).updates;
  t.equal(update?.earlyPolls, 0, 'no poll sooner than checkDuration after the previous one');
  t.ok(
    (update?.operationPolls ?? 0) <= 4,
    `at most one poll per second of a 2.5 s operation (${update?.operationPolls})`,
  );
});
