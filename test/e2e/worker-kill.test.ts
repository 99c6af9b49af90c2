// The worker runs in a separate process and is killed with SIGKILL at each phase of one window (applying,
// verifying, sleeping, reverting); a new worker process takes over each time. The window still ends reverted
// and verified, and every Cloud Ops change lands exactly once.
import proto from '@temporalio/proto';
import t from 'tap';
import { controllerWorkflowId } from '../../src/shared/index.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { freePort, spawnService, type ServiceProcess } from '../helpers/process.js';

// Four worker processes start here, each bundling the workflows: more than the suite's 120 s on a busy machine.
t.setTimeout(240_000);

let h: Harness;
let current: ServiceProcess | null = null;
t.before(async () => {
  // Long verify/revert deadlines: an activity retry must survive a worker restart (which bundles the workflows).
  // Operations take 15 s: longer than the 10 s a workflow task waits on a dead worker's sticky queue, so a window
  // is still VERIFYING when its controller, held up there, has sent the apply report and started verifying.
  h = await startHarness({
    startWorker: false,
    applyDelayMs: 15_000,
    verifyTimeout: '40s',
    revertAlertAfter: '40s',
    env: { AUTH_DISABLED: 'true' },
  });
});
t.teardown(async () => {
  await current?.kill();
  await h?.close();
});

async function startWorkerProcess(): Promise<ServiceProcess> {
  const p = spawnService({
    ROLE: 'worker',
    // Its probes listen on PORT: not the default 8080, which a local `npm start` may hold.
    PORT: String(await freePort()),
    TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS!,
    TEMPORAL_TASK_QUEUE: h.config.temporal.taskQueue,
    TEMPORAL_CLOUD_API_KEY: h.secrets.cloudApiKey,
    CLOUD_OPS_ADDRESS: h.emulator.grpcAddress,
    SLACK_WEBHOOK_URL: h.slack.url,
    VERIFY_TIMEOUT: '5s',
    GUARDRAIL_MIN_WINDOW_DURATION: '0s',
  });
  current = p;
  await p.waitForLine(/"worker running"/);
  return p;
}

const SCHEDULED = proto.temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED;
const updateCalls = () => h.emulator.state.callLog.filter((c) => c.method === 'UpdateNamespace').length;

/**
 * Waits until the controller's applyCapacity has reported a failed attempt and waits for its retry, due at least
 * 300 ms from now: a kill then finds no activity running (the retry is due 1 s after the failure).
 */
async function betweenApplyAttempts(ns: string): Promise<void> {
  const handle = h.client.workflow.getHandle(controllerWorkflowId(ns));
  await waitFor(
    'an apply attempt failed, its retry not yet due',
    async () => {
      const { raw } = await handle.describe();
      const pending = raw.pendingActivities?.find((a) => a.activityType?.name === 'applyCapacity');
      const next = pending?.nextAttemptScheduleTime;
      if (!pending || !next || pending.state !== SCHEDULED) return undefined;
      const dueInMs = Number(next.seconds) * 1000 + (next.nanos ?? 0) / 1e6 - Date.now();
      return (pending.attempt ?? 0) >= 2 && dueInMs > 300 ? true : undefined;
    },
    20_000,
  );
}

t.test('SIGKILL of the worker process while applying, verifying, sleeping and reverting', async (t) => {
  const ns = h.newNamespace();
  const killed: string[] = [];
  const killWhen = async (
    id: string,
    what: string,
    done: (s: Awaited<ReturnType<Harness['windowStatus']>>) => boolean,
  ) => {
    const s = await h.waitForWindow(id, what, done, 40_000);
    await current!.kill();
    current = null;
    killed.push(s.phase);
    t.pass(`worker killed with SIGKILL in phase ${s.phase}`);
    return s;
  };

  let worker = await startWorkerProcess();
  t.ok(worker.child.pid, 'worker process 1 running');

  // Applying: three concurrent spec changes make the first apply attempt fail (stale resourceVersion, retried
  // at once twice, then left to the activity's retry), so the window waits in APPLYING with no activity running.
  // (A plain UNAVAILABLE burst is retried inside the gRPC client, with the activity still in flight.)
  h.emulator.state.injectFault({ concurrentSpecChange: true, count: 3 });
  const before = updateCalls();
  const id = await h.startWindow({ namespace: ns, trus: 6, duration: 'PT10M', reason: 'worker-kill test' });
  await waitFor('the first apply attempt', () => (updateCalls() >= before + 3 ? true : undefined)).catch(
    async (err) => {
      t.comment(JSON.stringify(await h.windowStatus(id)));
      t.comment(worker.lines.slice(-30).join('\n'));
      throw err;
    },
  );
  await betweenApplyAttempts(ns);
  await killWhen(id, 'APPLYING', (s) => s.phase === 'APPLYING');
  t.equal(h.emulator.state.snapshot(ns).updates.length, 0, 'nothing applied yet');

  // Verifying: the operation takes 15 s (a new worker may first wait out the dead one's sticky queue); the verify
  // activity is mid-flight when the worker dies.
  worker = await startWorkerProcess();
  await killWhen(id, 'VERIFYING', (s) => s.phase === 'VERIFYING');
  t.equal(h.emulator.state.snapshot(ns).updates.length, 1, 'the apply landed once');

  // Sleeping: the window waits in its durable timer.
  worker = await startWorkerProcess();
  await killWhen(id, 'ACTIVE', (s) => s.phase === 'ACTIVE');
  t.ok('provisioned' in h.emulator.state.snapshot(ns).capacity, 'provisioned while active');

  // Reverting: shorten the window (an Update the new worker handles), and make the revert retry.
  worker = await startWorkerProcess();
  h.emulator.state.injectFault({ concurrentSpecChange: true, count: 3 });
  const beforeRevert = updateCalls();
  // The Update may first go to the dead worker's sticky queue and time out in the API: a client retries it.
  const patched = await waitFor(
    'the end moved',
    async () => {
      const res = await h.app.inject({
        method: 'PATCH',
        url: `/v1/capacity-changes/${encodeURIComponent(id)}`,
        payload: { endAt: new Date(Date.now() + 2_000).toISOString() },
      });
      if (res.statusCode !== 200) {
        t.comment(`PATCH answered ${res.statusCode} ${res.body.slice(0, 300)}; retrying`);
        t.comment(
          `last error logged: ${h.logLines
            .filter((l) => /"level":50/.test(l))
            .at(-1)
            ?.slice(0, 1500)}`,
        );
      }
      return res.statusCode === 200 ? res : undefined;
    },
    30_000,
  );
  t.equal(patched.statusCode, 200, 'the end moved');
  await waitFor('the first revert attempt', () => (updateCalls() >= beforeRevert + 3 ? true : undefined), 20_000);
  await betweenApplyAttempts(ns);
  await killWhen(id, 'REVERTING', (s) => s.phase === 'REVERTING' || s.phase === 'REVERT_VERIFYING');

  worker = await startWorkerProcess();
  const done = await h.waitForWindow(id, 'COMPLETED', (s) => s.status === 'COMPLETED', 60_000);
  t.same(killed, ['APPLYING', 'VERIFYING', 'ACTIVE', 'REVERTING'], 'killed once in each phase');
  t.equal(done.phase, 'COMPLETED', JSON.stringify(done.result?.errors));
  t.match(done.result, {
    initialChangeSuccess: true,
    verificationSuccess: true,
    revertedToOnDemand: true,
    revertVerificationSuccess: true,
    errors: [],
  });
  t.equal(done.revertBlocked, null);
  const snap = h.emulator.state.snapshot(ns);
  t.ok('onDemand' in snap.capacity, 'the namespace is back On-Demand');
  const updates = snap.updates;
  t.equal(updates.length, 2, 'exactly two changes reached Cloud Ops: apply and revert');
  t.same(
    updates.map((u) => u.spec.capacitySpec),
    [{ provisioned: { value: 6 } }, { onDemand: {} }],
  );
  t.equal(updates[0].asyncOperationId, done.result!.applyOperationId, 'the apply is the window’s operation');
  t.equal(updates[1].asyncOperationId, done.result!.revertOperationId, 'the revert is the window’s operation');
  t.equal(h.slack.messages.filter((m) => m.text.includes(ns)).length, 0, 'no alert: every fault was recovered');
  await worker.kill();
  current = null;
});
