import t from 'tap';
import { parseWindowId } from '../../src/shared/index.js';
import { sleep, startHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
t.before(async () => {
  h = await startHarness({ applyDelayMs: 200 });
});
t.teardown(() => h.close());

t.test('the worker stops in the middle of a window and a new one starts: the revert still happens', async (t) => {
  const ns = h.newNamespace();
  const id = await h.startWindow({ namespace: ns, trus: 6, duration: 'PT3S' });
  await h.waitForWindow(id, 'ACTIVE', (s) => s.phase === 'ACTIVE');
  await h.stopWorker();

  await sleep(4_000);
  const whileDown = await h.windowStatus(id);
  t.equal(whileDown.phase, 'ACTIVE', 'status is readable with no worker running');
  t.ok('provisioned' in h.emulator.state.snapshot(ns).capacity, 'nothing reverts without a worker');

  await h.startWorker();
  const done = await h.waitForWindow(id, 'COMPLETED', (s) => s.status === 'COMPLETED');
  t.equal(done.phase, 'COMPLETED');
  t.match(done.result, { verificationSuccess: true, revertedToOnDemand: true, revertVerificationSuccess: true });
  t.ok('onDemand' in h.emulator.state.snapshot(ns).capacity, 'reverted to On-Demand');
  t.equal(h.emulator.state.snapshot(ns).updates.length, 2, 'no change applied twice');
});

t.test('a window cancelled through Temporal while active reverts at once and says CANCELLED', async (t) => {
  const ns = h.newNamespace();
  const id = await h.startWindow({ namespace: ns, trus: 4, duration: 'PT1H' });
  await h.waitForWindow(id, 'ACTIVE', (s) => s.phase === 'ACTIVE');
  const { workflowId, runId } = parseWindowId(id)!;
  await h.client.workflow.getHandle(workflowId, runId).cancel();
  const done = await h.waitForWindow(id, 'CANCELLED', (s) => s.status === 'CANCELLED');
  t.equal(done.phase, 'COMPLETED', 'the revert finished before the window closed');
  t.ok(done.steps.some((s) => s.step === 'REVERT_VERIFY' && s.outcome === 'SUCCEEDED'));
  t.ok('onDemand' in h.emulator.state.snapshot(ns).capacity, 'back to On-Demand long before the hour is up');
});
