import t from 'tap';
import { parseWindowId, progressQuery } from '../../src/shared/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
t.before(async () => {
  h = await startHarness({ applyDelayMs: 300 });
});
t.teardown(() => h.close());

t.test('happy path: provisioned, verified, held, reverted to On-Demand and verified again', async (t) => {
  const ns = h.newNamespace();
  const before = h.emulator.state.snapshot(ns);
  const res = await h.app.inject({
    method: 'POST',
    url: '/v1/capacity-changes',
    payload: { namespace: ns, trus: 4, duration: 'PT4S', reason: 'load test' },
  });
  t.equal(res.statusCode, 202, res.body);
  const { id } = res.json();
  t.match(id, ns);

  const active = await h.waitForWindow(id, 'ACTIVE', (s) => s.phase === 'ACTIVE');
  const snap = h.emulator.state.snapshot(ns);
  t.same((snap.capacity as { provisioned?: unknown }).provisioned, { currentValue: 4 }, 'the namespace is provisioned with 4 TRUs');
  const op = snap.capacity.latestRequest!;
  const fulfilledAt = Date.parse(String(op.endTime));
  const verified = active.steps.find((s) => s.step === 'VERIFY' && s.outcome === 'SUCCEEDED');
  if (!verified) throw new Error('verification did not succeed');
  t.ok(Date.parse(verified.at) - fulfilledAt < 1_500, `verified ${Date.parse(verified.at) - fulfilledAt} ms after the emulator fulfilled`);

  const { workflowId, runId } = parseWindowId(id)!;
  const queried = await h.client.workflow.getHandle(workflowId, runId).query(progressQuery);
  t.equal(queried.phase, 'ACTIVE', 'the progress query answers the phase');
  t.same(queried.steps.map((s) => s.step), active.steps.map((s) => s.step), 'and the step history');

  const capRes = await h.app.inject({ method: 'GET', url: `/v1/namespaces/${ns}/capacity` });
  t.equal(capRes.statusCode, 200);
  t.match(capRes.json(), { namespace: ns, mode: 'PROVISIONED', trus: 4 });

  const done = await h.waitForWindow(id, 'COMPLETED', (s) => s.status === 'COMPLETED');
  t.equal(done.phase, 'COMPLETED');
  t.match(done.result, {
    initialChangeSuccess: true,
    verificationSuccess: true,
    revertedToOnDemand: true,
    revertVerificationSuccess: true,
    errors: [],
  });
  t.ok(Date.parse(String(done.result?.revertedAt)) >= Date.parse(String(done.endAt)), 'reverted after the window end');
  const after = h.emulator.state.snapshot(ns);
  t.ok('onDemand' in after.capacity, 'back to On-Demand');
  const { capacitySpec: _a, ...otherBefore } = before.spec as Record<string, unknown>;
  const { capacitySpec: _b, ...otherAfter } = after.spec as Record<string, unknown>;
  t.same(otherAfter, otherBefore, 'every other spec field was kept');
  t.equal(after.updates.length, 2, 'exactly two Cloud Ops changes: apply and revert');
  const versions = new Set(h.emulator.state.callLog.map((c) => c.apiVersion));
  t.same([...versions], [h.config.cloudOps.apiVersion], 'every Cloud Ops call carried temporal-cloud-api-version');
});
