// Temporal itself goes down mid-window. This test runs its OWN dev server on a SQLite file (the shared one of
// `npm test` cannot be restarted), SIGKILLs it while one window is ACTIVE (verified) and another is waiting for
// its start, and starts it again on the same port with the same file. The service process (ROLE=all, the real
// entry) is never restarted. Both windows must continue: each ends COMPLETED, reverted and verified, with
// exactly one apply and one revert reaching Cloud Ops, and its namespace back at its baseline.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { Client, Connection } from '@temporalio/client';
import type { CapacityChange } from '../../src/api/routes/capacity-changes/schema.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { resolveTemporalCli, startDevServer, type RunningDevServer } from '../../src/local/dev-server.js';
import { searchAttributeRegistrations } from '../../src/shared/search-attributes.js';
import { requireEnv, sleep, waitFor } from '../helpers/harness.js';
import { getWindow, httpRequest, waitForWindowOverHttp } from '../helpers/http.js';
import { freePort, spawnService, type ServiceProcess } from '../helpers/process.js';
import { CLOUD_OPS_READ_WORKFLOW } from '../../src/shared/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'capacity-temporal-restart-'));
const dbFile = path.join(dir, 'temporal.sqlite');
const cli = resolveTemporalCli(process.env.TEMPORAL_CLI_PATH ?? null);
const taskQueue = `temporal-restart-${randomBytes(6).toString('hex')}`;
const cloudApiKey = `test-cloud-key-${randomBytes(12).toString('hex')}`;
let ports: { port: number; uiPort: number };
let server: RunningDevServer | null = null;
let emulator: RunningEmulator;
let service: ServiceProcess;
let api: string;

const startServer = () => startDevServer({ cli, ...ports, dbFile, searchAttributes: searchAttributeRegistrations() });

/** SIGKILL: no shutdown of any kind, only what the SQLite file already holds survives. */
async function killServer(s: RunningDevServer): Promise<void> {
  const gone = new Promise((resolve) => s.process.once('exit', resolve));
  s.process.kill('SIGKILL');
  await gone;
}

/** The executions on this test's task queue, as Temporal itself lists them. */
async function executions(address: string): Promise<Array<{ workflowId: string; runId: string; status: string }>> {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection });
    const out = [];
    // The account's budget workflow is left out: it ends by design once no change waits for it. So are the API's
    // Cloud Ops reads, each a workflow of its own.
    const query =
      `TaskQueue = '${taskQueue}' AND WorkflowType != 'cloudOpsBudgetWorkflow' ` +
      `AND WorkflowType != '${CLOUD_OPS_READ_WORKFLOW}'`;
    for await (const wf of client.workflow.list({ query })) {
      out.push({ workflowId: wf.workflowId, runId: wf.runId, status: wf.status.name });
    }
    return out.sort((a, b) => (a.workflowId < b.workflowId ? -1 : 1));
  } finally {
    await connection.close();
  }
}

t.before(async () => {
  ports = { port: await freePort(), uiPort: await freePort() };
  server = await startServer();
  emulator = await startEmulator({
    apiKey: cloudApiKey,
    namespaces: [],
    applyDelayMs: 1_000,
    tlsDir: requireEnv('EMULATOR_TLS_DIR'),
  });
  const port = await freePort();
  api = `http://127.0.0.1:${port}`;
  service = spawnService({
    ROLE: 'all',
    PORT: String(port),
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    TEMPORAL_CLOUD_API_KEY: cloudApiKey,
    CLOUD_OPS_ADDRESS: emulator.grpcAddress,
    VERIFY_TIMEOUT: '60s',
    // B must still wait in its start timer when Temporal dies: no provisioning lead moves its change earlier.
    PROVISIONING_LEAD: '0s',
    GUARDRAIL_MIN_WINDOW_DURATION: '0s',
    RATE_LIMIT_PER_MINUTE: '0',
  });
  await service.waitForLine(/"capacity scheduler started"/);
});

t.teardown(async () => {
  await service?.kill();
  await server?.stop();
  await emulator?.close();
  rmSync(dir, { recursive: true, force: true });
});

t.test(
  'the Temporal server is SIGKILLed mid-window and restarted on its database file: windows continue',
  async (t) => {
    // Window A: On-Demand namespace, 6 TRUs for 30 s; ACTIVE (verified) when Temporal dies.
    const nsA = `ta${randomBytes(5).toString('hex')}.acct1`;
    emulator.state.addNamespace(nsA);
    // Window B: a namespace provisioned at 2 TRUs (its baseline), 4 TRUs for 30 s from 3 s after the request: its start
    // timer fires while Temporal is down.
    const nsB = `tb${randomBytes(5).toString('hex')}.acct1`;
    emulator.state.addNamespace(nsB);
    const seed = emulator.state.snapshot(nsB);
    emulator.state.updateNamespace({
      namespace: nsB,
      spec: { ...seed.spec, capacitySpec: { provisioned: { value: 2 } } },
      resourceVersion: seed.resourceVersion,
      asyncOperationId: `baseline-${nsB}`,
    });
    await waitFor(
      'the baseline of B',
      () => ('provisioned' in emulator.state.snapshot(nsB).capacity ? true : undefined),
      10_000,
    );
    const updatesBefore = {
      [nsA]: emulator.state.snapshot(nsA).updates.length,
      [nsB]: emulator.state.snapshot(nsB).updates.length,
    };

    const created = await httpRequest(api, 'POST', '/v1/capacity-changes', {
      body: { namespace: nsA, trus: 6, duration: 'PT30S', reason: 'temporal-restart test A' },
    });
    t.equal(created.status, 202, created.body);
    const idA = JSON.parse(created.body).id as string;
    const activeA = await waitForWindowOverHttp(api, idA, 'ACTIVE', (s) => s.phase === 'ACTIVE', 40_000);
    t.ok(
      activeA.steps.some((s) => s.step === 'VERIFY' && s.outcome === 'SUCCEEDED'),
      'A is verified before Temporal dies',
    );

    const createdB = await httpRequest(api, 'POST', '/v1/capacity-changes', {
      body: {
        namespace: nsB,
        trus: 4,
        startAt: new Date(Date.now() + 3_000).toISOString(),
        duration: 'PT30S',
        reason: 'temporal-restart test B',
      },
    });
    t.equal(createdB.status, 202, createdB.body);
    const idB = JSON.parse(createdB.body).id as string;
    const scheduledB = await getWindow(api, idB);
    t.equal(scheduledB.phase, 'SCHEDULED', 'B waits for its start');

    // Every execution on the task queue (the two windows, and whatever else the service runs for them), as
    // Temporal lists it. Visibility is eventually consistent: wait until it lists both windows at least.
    const before = await waitFor(
      'the executions listed',
      async () => {
        const list = await executions(server!.address);
        return list.length >= 2 ? list : undefined;
      },
      10_000,
    );
    t.ok(
      before.every((e) => e.status === 'RUNNING'),
      `${before.length} executions running before the kill`,
    );
    const dbSize = statSync(dbFile).size;
    t.ok(dbSize > 0, `the SQLite file exists (${dbSize} bytes)`);

    // Temporal dies without any shutdown.
    const address = server!.address;
    const killedAt = Date.now();
    await killServer(server!);
    server = null;
    t.pass('the Temporal dev server was SIGKILLed');

    // While it is down: the API says so (503), never that the window does not exist, and creates nothing. The
    // API retries an unreachable Temporal until its deadline, so both requests run side by side.
    const nsC = `tc${randomBytes(5).toString('hex')}.acct1`;
    emulator.state.addNamespace(nsC);
    const timed = async <T>(what: string, p: Promise<T>) => {
      const r = await p;
      t.comment(`${what} answered ${Date.now() - killedAt} ms after the kill`);
      return r;
    };
    const [whileDown, postDown] = await Promise.all([
      timed(
        'GET while down',
        httpRequest(api, 'GET', `/v1/capacity-changes/${encodeURIComponent(idA)}`, { timeoutMs: 30_000 }),
      ),
      timed(
        'POST while down',
        httpRequest(api, 'POST', '/v1/capacity-changes', {
          body: { namespace: nsC, trus: 4, duration: 'PT10S', reason: 'while Temporal is down' },
          timeoutMs: 30_000,
        }),
      ),
    ]);
    t.equal(whileDown.status, 503, `a read while Temporal is down answers 503: ${whileDown.body}`);
    t.equal(JSON.parse(whileDown.body).code, 'TEMPORAL_UNAVAILABLE', 'and says Temporal is unreachable');
    t.equal(postDown.status, 503, `a create while Temporal is down answers 503: ${postDown.body}`);

    await sleep(Math.max(0, 4_000 - (Date.now() - killedAt)));
    t.equal(service.child.exitCode, null, 'the service process survived the outage');
    const restartAt = Date.now();
    server = await startServer();
    t.comment(`Temporal restarted in ${Date.now() - restartAt} ms; it was down ${Date.now() - killedAt} ms`);
    t.equal(server.address, address, 'restarted on the same address');

    // The database really persisted: the same executions (same run ids) are found, still running, and A's
    // status still holds the steps recorded before the kill.
    const after = await waitFor(
      'the executions listed again',
      async () => {
        const list = await executions(server!.address);
        return list.length >= before.length ? list : undefined;
      },
      10_000,
    );
    const lost = before.filter(
      (b) => !after.some((a) => a.workflowId === b.workflowId && a.runId === b.runId && a.status === 'RUNNING'),
    );
    t.same(
      lost,
      [],
      `the same ${before.length} workflow executions (same run ids) are found after the restart, still running`,
    );
    // The API's own connection comes back soon: its reconnect backoff is capped at 2 s (grpc-js's default grows
    // to 120 s, which kept the API answering 503 long after Temporal was back).
    const aAfter = await waitForWindowOverHttp(api, idA, 'readable after the restart', () => true, 15_000);
    t.comment(`A read again through the API ${Date.now() - killedAt} ms after the kill: ${aAfter.phase}`);
    t.same(aAfter.steps.slice(0, activeA.steps.length), activeA.steps, 'A keeps the steps recorded before the kill');

    const done: Record<string, CapacityChange> = {};
    for (const [name, id] of [
      ['A', idA],
      ['B', idB],
    ] as const) {
      done[name] = await waitForWindowOverHttp(api, id, 'COMPLETED', (s) => s.status === 'COMPLETED', 60_000);
    }
    for (const [name, ns, target, baseline] of [
      ['A', nsA, 6, { mode: 'ON_DEMAND' }],
      ['B', nsB, 4, { mode: 'PROVISIONED', trus: 2 }],
    ] as const) {
      const w = done[name]!;
      t.equal(w.phase, 'COMPLETED', `${name} completed: ${JSON.stringify(w.result?.errors)}`);
      t.match(w.result, {
        initialChangeSuccess: true,
        verificationSuccess: true,
        revertVerificationSuccess: true,
        reverted: true,
        errors: [],
      });
      t.same(w.result?.baseline, baseline, `${name}'s baseline`);
      t.same(w.result?.revertedTo, baseline, `${name} went back to its baseline`);
      t.equal(w.revertBlocked, null);
      const snap = emulator.state.snapshot(ns);
      const updates = snap.updates.slice(updatesBefore[ns]);
      t.equal(updates.length, 2, `${name}: exactly one apply and one revert reached Cloud Ops`);
      t.same(
        updates.map((u) => u.spec.capacitySpec),
        [
          { provisioned: { value: target } },
          baseline.mode === 'ON_DEMAND' ? { onDemand: {} } : { provisioned: { value: baseline.trus } },
        ],
        `${name}: the apply, then the revert to the baseline`,
      );
      t.equal(updates[0]?.asyncOperationId, w.result?.applyOperationId, `${name}: the apply is the window's operation`);
      t.equal(
        updates[1]?.asyncOperationId,
        w.result?.revertOperationId,
        `${name}: the revert is the window's operation`,
      );
      const { latestRequest: _latest, ...mode } = snap.capacity;
      t.same(
        mode,
        baseline.mode === 'ON_DEMAND' ? { onDemand: {} } : { provisioned: { currentValue: baseline.trus } },
        `${name}'s namespace is at its baseline`,
      );
    }
    const applyB = done.B!.steps.find((s) => s.step === 'APPLY');
    t.comment(`B's apply ran ${applyB ? Date.parse(applyB.at) - killedAt : '?'} ms after the kill`);
    t.ok(
      applyB && Date.parse(applyB.at) >= killedAt,
      `B's apply ran after Temporal went down: its start timer survived (${applyB?.at})`,
    );
    t.equal(
      emulator.state.snapshot(nsC).updates.length,
      0,
      'the create refused while Temporal was down changed nothing',
    );
    const list = await httpRequest(api, 'GET', `/v1/capacity-changes?namespace=${nsC}`);
    t.same(JSON.parse(list.body).items, [], 'and made no window');
    t.equal(service.child.exitCode, null, 'the same service process did it all');
  },
);
