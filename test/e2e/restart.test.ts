import t from 'tap';
import { parseWindowId } from '../../src/shared/index.js';
import { sleep, startHarness, waitFor, type Harness } from '../helpers/harness.js';

let h: Harness;
t.before(async () => {
  h = await startHarness({ applyDelayMs: 200 });
});
t.teardown(() => h.close());

t.test('the worker stops in the middle of a window and a new one starts: the revert still happens', async (t) => {
  const ns = h.newNamespace();
  const res = await h.app.inject({ method: 'POST', url: '/v1/capacity-changes', payload: { namespace: ns, trus: 6, duration: 'PT3S' } });
  t.equal(res.statusCode, 202);
  const { id } = res.json();
  const status = async () => (await h.app.inject({ method: 'GET', url: `/v1/capacity-changes/${id}` })).json();
  await waitFor('ACTIVE', async () => ((await status()).phase === 'ACTIVE' ? true : undefined));
  await h.stopWorker();

  await sleep(4_000);
  const whileDown = await status();
  t.equal(whileDown.phase, 'ACTIVE', 'status is readable with no worker running');
  t.ok('provisioned' in h.emulator.state.snapshot(ns).capacity, 'nothing reverts without a worker');

  await h.startWorker();
  const done = await waitFor('COMPLETED', async () => {
    const s = await status();
    return s.status === 'COMPLETED' ? s : undefined;
  }, 30_000);
  t.equal(done.phase, 'COMPLETED');
  t.match(done.result, { verificationSuccess: true, revertedToOnDemand: true, revertVerificationSuccess: true });
  t.ok('onDemand' in h.emulator.state.snapshot(ns).capacity, 'reverted to On-Demand');
  t.equal(h.emulator.state.snapshot(ns).updates.length, 2, 'no change applied twice');
});

t.test('a window cancelled through Temporal while active reverts at once and says CANCELLED', async (t) => {
  const ns = h.newNamespace();
  const res = await h.app.inject({ method: 'POST', url: '/v1/capacity-changes', payload: { namespace: ns, trus: 4, duration: 'PT1H' } });
  t.equal(res.statusCode, 202);
  const { id } = res.json();
  const status = async () => (await h.app.inject({ method: 'GET', url: `/v1/capacity-changes/${id}` })).json();
  await waitFor('ACTIVE', async () => ((await status()).phase === 'ACTIVE' ? true : undefined));
  const { workflowId, runId } = parseWindowId(id)!;
  await h.client.workflow.getHandle(workflowId, runId).cancel();
  const done = await waitFor('CANCELLED', async () => {
    const s = await status();
    return s.status === 'CANCELLED' ? s : undefined;
  }, 20_000);
  t.equal(done.phase, 'COMPLETED', 'the revert finished before the window closed');
  t.ok(done.steps.some((s: { step: string; outcome: string }) => s.step === 'REVERT_VERIFY' && s.outcome === 'SUCCEEDED'));
  t.ok('onDemand' in h.emulator.state.snapshot(ns).capacity, 'back to On-Demand long before the hour is up');
});
