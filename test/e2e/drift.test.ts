// A namespace changed by hand while a window holds it (the emulator's manual-change: the Cloud Ops path a person's
// tool takes), under each DRIFT_POLICY: recorded on the window, alerted once, counted, shown in the namespace view,
// within DRIFT_CHECK_INTERVAL; and the namespace ends where docs/how-a-window-runs.md's table says.
import t, { type Test } from 'tap';
import type { CapacityChange } from '../../src/api/routes/capacity-changes/schema.js';
import { ON_DEMAND, provisioned } from '../../src/shared/index.js';
import { sample } from '../helpers/prometheus.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';

const INTERVAL_MS = 2_000;
/** Past the interval: the look's activity, its report and the status read, on a loaded machine. */
const SLACK_MS = 3_000;

type Capacity = { onDemand?: unknown; provisioned?: { currentValue: number } };

async function stack(t: Test, policy: 'respect' | 'enforce'): Promise<Harness> {
  const h = await startHarness({ env: { DRIFT_CHECK_INTERVAL: `${INTERVAL_MS}ms`, DRIFT_POLICY: policy } });
  t.teardown(() => h.close());
  return h;
}

/** A change made by hand through the emulator's control plane; resolves to when it was made. */
async function changeByHand(h: Harness, ns: string, body: { trus: number } | { onDemand: true }): Promise<number> {
  const res = await fetch(`${h.emulator.controlUrl}/namespaces/${ns}/manual-change`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 202) throw new Error(`manual-change: ${res.status} ${await res.text()}`);
  return Date.now();
}

const capacityOf = (h: Harness, ns: string) => h.emulator.state.snapshot(ns).capacity as Capacity;
const driftStep = (s: CapacityChange) => s.steps.find((x) => x.step === 'DRIFT');

/** The window's DRIFT step, the drift on its status and the one WARNING, all within the interval of the change. */
async function expectDriftSeen(
  t: Test,
  h: Harness,
  ns: string,
  id: string,
  changedAt: number,
): Promise<CapacityChange> {
  const seen = await h.waitForWindow(id, 'a DRIFT step', (s) => driftStep(s) !== undefined, INTERVAL_MS + SLACK_MS);
  const step = driftStep(seen)!;
  t.match(step.detail, 'expected 4 TRUs, found 10 TRUs');
  t.match(seen.drift, { expected: provisioned(4), found: provisioned(10) });
  const foundAt = Date.parse(seen.drift!.at);
  t.ok(foundAt > changedAt && foundAt - changedAt <= INTERVAL_MS + SLACK_MS, 'found within DRIFT_CHECK_INTERVAL');
  t.ok(Date.parse(step.at) - changedAt <= INTERVAL_MS + SLACK_MS, 'and recorded on the window');
  const alert = await waitFor('the drift WARNING', () =>
    h.slack.messages.find((m) => m.text.includes('[WARNING]') && m.text.includes('changed outside the scheduler')),
  );
  t.ok(alert.text.includes(ns) && alert.text.includes(id), 'the alert names the namespace and the window');
  t.match(alert.text, 'expected 4 TRUs, found 10 TRUs');
  const metrics = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
  t.equal(sample(metrics, 'capacity_scheduler_drift_detected_total', { namespace: ns, policy: seen.drift!.policy }), 1);
  const view = (await h.app.inject({ method: 'GET', url: `/v1/namespaces/${ns}/capacity` })).json();
  t.match(view.drift, { expected: provisioned(4), found: provisioned(10), windowIds: [id] }, 'the namespace view');
  return seen;
}

t.test('respect: the value set by hand stands, the windows end without a revert, and an alert asks', async (t) => {
  const h = await stack(t, 'respect');
  const ns = h.newNamespace();
  const id = await h.startWindow({ namespace: ns, trus: 4, duration: 'PT20S' });
  await h.waitForWindow(id, 'ACTIVE', (s) => s.phase === 'ACTIVE');
  const changedAt = await changeByHand(h, ns, { trus: 10 });

  const seen = await expectDriftSeen(t, h, ns, id, changedAt);
  t.match(driftStep(seen)!.detail, 'DRIFT_POLICY=respect: 10 TRUs stands');

  // While it holds: a claim it covers is answered without a change; a larger one is refused, saying why.
  const covered = await h.startWindow({ namespace: ns, trus: 6, duration: 'PT1S' });
  const refused = await h.startWindow({ namespace: ns, trus: 12, duration: 'PT1M' });
  const coveredDone = await h.waitForWindow(covered, 'COMPLETED', (s) => s.status === 'COMPLETED');
  t.equal(coveredDone.phase, 'COMPLETED');
  t.match(coveredDone.steps.find((s) => s.step === 'VERIFY' && s.outcome === 'SUCCEEDED')?.detail, 'held at 10 TRUs');
  t.match(coveredDone.steps.at(-1), { step: 'REVERT_VERIFY', outcome: 'SUCCEEDED', detail: /left at 10 TRUs/ });
  const refusedDone = await h.waitForWindow(refused, 'FAILED', (s) => s.phase === 'FAILED');
  t.match(refusedDone.result?.errors, [/held at 10 TRUs, set by hand.*12 TRUs asked are not applied/]);

  const done = await h.waitForWindow(id, 'COMPLETED', (s) => s.status === 'COMPLETED', 40_000);
  t.equal(done.phase, 'COMPLETED', 'nothing of ours is left provisioned');
  t.match(done.steps.at(-1), {
    step: 'REVERT_VERIFY',
    outcome: 'SUCCEEDED',
    detail: 'left at 10 TRUs set by hand (DRIFT_POLICY=respect); not reverted to On-Demand',
  });
  t.same(done.result?.revertedTo, provisioned(10));
  const ask = await waitFor('the alert that asks', () =>
    h.slack.messages.find((m) => m.text.includes('What should it be?')),
  );
  t.ok(ask.text.includes(ns) && ask.text.includes(id), 'it names the namespace and the window');
  t.match(ask.text, 'left at 10 TRUs, set by hand');

  t.equal(capacityOf(h, ns).provisioned?.currentValue, 10, 'the namespace keeps the value set by hand');
  t.same(
    h.emulator.state.snapshot(ns).updates.map((u) => u.manual ?? false),
    [false, true],
    'our raise and the change by hand; no revert, nothing for the windows that came meanwhile',
  );
  const warnings = h.slack.messages.filter(
    (m) => m.text.includes(`${ns} changed outside the scheduler`) && !m.text.includes('What should it be?'),
  );
  t.equal(warnings.length, 1, 'one drift WARNING for the drift, whatever the windows (then the question)');
});

t.test('enforce: the windows get their value back at once, and the end reverts as usual', async (t) => {
  const h = await stack(t, 'enforce');
  const ns = h.newNamespace();
  const id = await h.startWindow({ namespace: ns, trus: 4, duration: 'PT12S' });
  const active = await h.waitForWindow(id, 'ACTIVE', (s) => s.phase === 'ACTIVE');
  const changedAt = await changeByHand(h, ns, { trus: 10 });

  const seen = await expectDriftSeen(t, h, ns, id, changedAt);
  t.match(driftStep(seen)!.detail, 'DRIFT_POLICY=enforce: putting back 4 TRUs');
  await waitFor(
    'the namespace put back to 4 TRUs',
    () => (capacityOf(h, ns).provisioned?.currentValue === 4 ? true : undefined),
    10_000,
  );
  const putBack = h.emulator.state.snapshot(ns).updates.at(-1)!;
  t.notOk(putBack.manual, 'put back by the service');
  t.ok(putBack.at.getTime() < Date.parse(active.endAt!), 'during the window');

  const done = await h.waitForWindow(id, 'COMPLETED', (s) => s.status === 'COMPLETED', 40_000);
  t.equal(done.phase, 'COMPLETED');
  t.same(done.result?.revertedTo, ON_DEMAND);
  t.ok('onDemand' in capacityOf(h, ns), 'reverted to On-Demand at its end');
  t.same(
    h.emulator.state.snapshot(ns).updates.map((u) => u.manual ?? false),
    [false, true, false, false],
    'raise, change by hand, put back, revert',
  );
  t.notOk(
    h.slack.messages.some((m) => m.text.includes('What should it be?')),
    'nothing to ask: the service reverted',
  );
});

t.test('respect, with no periodic look due: caught at the next change of ours', async (t) => {
  const h = await startHarness({ env: { DRIFT_CHECK_INTERVAL: 'PT5M' } });
  t.teardown(() => h.close());
  t.afterEach(() => h.emulator.state.clearFaults());

  t.test('a raise: the apply finds the change by hand and sends nothing', async (t) => {
    const ns = h.newNamespace();
    const holder = await h.startWindow({ namespace: ns, trus: 4, duration: 'PT1M' });
    await h.waitForWindow(holder, 'ACTIVE', (s) => s.phase === 'ACTIVE');
    await changeByHand(h, ns, { trus: 10 });
    await waitFor('the change by hand landed', () =>
      capacityOf(h, ns).provisioned?.currentValue === 10 ? true : undefined,
    );

    // A larger claim needs a change: the apply's own read finds 10 TRUs, not the 4 verified, and sends nothing.
    const raise = await h.startWindow({ namespace: ns, trus: 6, duration: 'PT1M' });
    const answered = await h.waitForWindow(raise, 'ACTIVE', (s) => s.phase === 'ACTIVE');
    t.match(answered.drift, { expected: provisioned(4), found: provisioned(10), policy: 'respect' });
    t.match(answered.steps.find((s) => s.step === 'VERIFY' && s.outcome === 'SUCCEEDED')?.detail, 'held at 10 TRUs');
    const held = await h.waitForWindow(holder, 'its DRIFT step', (s) => driftStep(s) !== undefined);
    t.match(held.drift, { found: provisioned(10) });
    t.same(
      h.emulator.state.snapshot(ns).updates.map((u) => u.manual ?? false),
      [false, true],
      'no change of ours after the one by hand',
    );
    for (const id of [raise, holder]) {
      await h.app.inject({ method: 'POST', url: `/v1/capacity-changes/${encodeURIComponent(id)}/cancel`, payload: {} });
    }
    await waitFor('the alert that asks', () =>
      h.slack.messages.find((m) => m.text.includes(`${ns} changed`) && m.text.includes('What should it be?')),
    );
    t.equal(capacityOf(h, ns).provisioned?.currentValue, 10, 'left as set by hand');
  });

  t.test('a blocked revert: the next try finds the change by hand; the revert stops', async (t) => {
    const ns = h.newNamespace();
    const id = await h.startWindow({ namespace: ns, trus: 4, duration: 'PT1S' });
    await h.waitForWindow(id, 'ACTIVE', (s) => s.phase === 'ACTIVE');
    h.emulator.state.injectFault({ rpc: 'UpdateNamespace', code: 'PERMISSION_DENIED', count: 100 });
    await h.waitForWindow(id, 'revert blocked', (s) => s.revertBlocked !== null);
    await changeByHand(h, ns, { trus: 10 });

    const done = await h.waitForWindow(id, 'COMPLETED', (s) => s.status === 'COMPLETED');
    t.equal(done.phase, 'COMPLETED');
    t.equal(done.revertBlocked, null, 'no longer blocked');
    t.match(done.drift, { expected: provisioned(4), found: provisioned(10), policy: 'respect' });
    t.match(done.steps.at(-1), { step: 'REVERT_VERIFY', outcome: 'SUCCEEDED', detail: /^left at 10 TRUs set by hand/ });
    t.same(
      h.emulator.state.snapshot(ns).updates.map((u) => u.manual ?? false),
      [false, true],
      'the raise and the change by hand: the refused reverts changed nothing, and no revert followed',
    );
    t.equal(capacityOf(h, ns).provisioned?.currentValue, 10);
  });
});
