// Windows that live with their users: cancel, extend and shorten, baseline, idempotent retries.
import t from 'tap';
import { provisioned } from '../../src/shared/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
t.before(async () => {
  h = await startHarness({ applyDelayMs: 200 });
});
t.teardown(() => h.close());

const cancel = (id: string, body?: Record<string, unknown>) =>
  h.app.inject({
    method: 'POST',
    url: `/v1/capacity-changes/${encodeURIComponent(id)}/cancel`,
    // Without a body, the intent header says the write was meant.
    ...(body ? { payload: body } : { headers: { 'x-requested-with': 'test' } }),
  });
const patch = (id: string, body: Record<string, unknown>) =>
  h.app.inject({ method: 'PATCH', url: `/v1/capacity-changes/${encodeURIComponent(id)}`, payload: body });
const capacityOf = (ns: string) =>
  h.emulator.state.snapshot(ns).capacity as { onDemand?: unknown; provisioned?: { currentValue: number } };

t.test('cancel before the start: the window ends without touching capacity', async (t) => {
  const ns = h.newNamespace();
  const id = await h.startWindow({
    namespace: ns,
    trus: 4,
    startAt: new Date(Date.now() + 60_000).toISOString(),
    duration: 'PT1H',
  });
  t.equal((await h.windowStatus(id)).phase, 'SCHEDULED');
  const res = await cancel(id, { reason: 'launch moved', requestedBy: 'alice' });
  t.equal(res.statusCode, 202, res.body);
  t.equal(res.json().phase, 'SCHEDULED', 'the answer names the phase that took the cancel');
  const done = await h.waitForWindow(id, 'closed', (s) => s.status !== 'RUNNING', 20_000);
  t.equal(done.status, 'COMPLETED');
  t.match(done.result?.cancelled, { by: 'alice', reason: 'launch moved' });
  t.equal(done.result?.initialChangeSuccess, false);
  t.equal(h.emulator.state.snapshot(ns).updates.length, 0, 'capacity never touched');
});

t.test('cancel while active: capacity goes back now, verified; the result says who and why', async (t) => {
  const ns = h.newNamespace();
  const id = await h.startWindow({ namespace: ns, trus: 4, duration: 'PT1H' });
  await h.waitForWindow(id, 'ACTIVE', (s) => s.phase === 'ACTIVE');
  t.same(capacityOf(ns).provisioned, { currentValue: 4 });
  const res = await cancel(id);
  t.equal(res.statusCode, 202, res.body);
  t.equal(res.json().phase, 'ACTIVE', 'an active window is said to be active, not pending');
  const done = await h.waitForWindow(id, 'COMPLETED', (s) => s.status === 'COMPLETED', 20_000);
  t.equal(done.phase, 'COMPLETED');
  t.match(done.result, { reverted: true, revertVerificationSuccess: true, cancelled: { by: null, reason: null } });
  t.ok(
    done.steps.some((s) => s.step === 'CANCEL'),
    'the cancel is a step in the history',
  );
  t.ok('onDemand' in capacityOf(ns), 'back to On-Demand long before the hour is up');

  const again = await cancel(id, { reason: 'twice' });
  t.equal(again.statusCode, 409, 'cancelling a closed window');
  t.equal(again.json().code, 'WINDOW_CLOSED');
});

t.test(
  'extend and shorten: the timer moves, the status shows the new end at once, a past end is refused',
  async (t) => {
    const ns = h.newNamespace();
    const id = await h.startWindow({ namespace: ns, trus: 4, duration: 'PT3S' });
    const active = await h.waitForWindow(id, 'ACTIVE', (s) => s.phase === 'ACTIVE');

    const extended = await patch(id, { duration: 'PT1H' });
    t.equal(extended.statusCode, 200, extended.body);
    const hourLater = new Date(Date.parse(active.startAt) + 3_600_000).toISOString();
    t.equal(extended.json().endAt, hourLater, 'the new end is visible in the answer');
    t.equal((await h.windowStatus(id)).endAt, hourLater, 'and in the status');

    const rejected = await patch(id, { endAt: new Date(Date.now() - 1_000).toISOString() });
    t.equal(rejected.statusCode, 422);
    t.equal(rejected.json().code, 'END_REJECTED');
    t.match(rejected.json().message, /not in the future/);
    t.equal((await h.windowStatus(id)).endAt, hourLater, 'a rejected change changes nothing');
    t.equal((await patch(id, { endAt: hourLater, duration: 'PT1H' })).json().code, 'CONFLICTING_END');

    await new Promise((r) => setTimeout(r, 3_500));
    t.equal((await h.windowStatus(id)).phase, 'ACTIVE', 'still active past the original end');

    const shortEnd = new Date(Date.now() + 1_000).toISOString();
    t.equal((await patch(id, { endAt: shortEnd })).statusCode, 200);
    const done = await h.waitForWindow(id, 'COMPLETED', (s) => s.status === 'COMPLETED', 20_000);
    t.equal(done.phase, 'COMPLETED');
    const late = h.emulator.state.snapshot(ns).updates[1].at.getTime() - Date.parse(shortEnd);
    // Never early; late by at most what a busy machine adds (timing.test.ts measures punctuality).
    t.ok(late >= 0 && late < 5_000, `the revert reached Cloud Ops ${late} ms after the shortened end`);
    t.equal(
      h.emulator.state.snapshot(ns).updates.length,
      2,
      'apply and revert: moving the end changed nothing at Cloud Ops',
    );
    t.equal((await patch(id, { duration: 'PT2H' })).json().code, 'WINDOW_CLOSED');
  },
);

t.test(
  'baseline: a namespace provisioned at 2 before the window returns to 2; revertTo ON_DEMAND overrides',
  async (t) => {
    const ns = h.newNamespace();
    const op = await h.capacity.setCapacity(ns, provisioned(2), `test-baseline-${ns}`);
    await h.capacity.verify(ns, provisioned(2), op, { deadline: Date.now() + 10_000 });

    const id = await h.startWindow({ namespace: ns, trus: 6, duration: 'PT1S' });
    const done = await h.waitForWindow(id, 'COMPLETED', (s) => s.status === 'COMPLETED');
    t.match(done.result, {
      baseline: { mode: 'PROVISIONED', trus: 2 },
      revertedTo: { mode: 'PROVISIONED', trus: 2 },
      reverted: true,
      revertedToOnDemand: false,
    });
    t.same(capacityOf(ns).provisioned, { currentValue: 2 }, 'back to its baseline of 2, not On-Demand');

    const id2 = await h.startWindow({ namespace: ns, trus: 6, duration: 'PT1S', revertTo: 'ON_DEMAND' });
    const done2 = await h.waitForWindow(id2, 'COMPLETED', (s) => s.status === 'COMPLETED');
    t.match(done2.result, { revertedTo: { mode: 'ON_DEMAND' }, revertedToOnDemand: true });
    t.ok('onDemand' in capacityOf(ns));
  },
);

t.test('50 concurrent POSTs with one Idempotency-Key make exactly one window; another body is refused', async (t) => {
  const ns = h.newNamespace();
  const body = { namespace: ns, trus: 4, duration: 'PT2S', reason: 'retry storm' };
  const key = `key-${ns}`;
  const responses = await Promise.all(
    Array.from({ length: 50 }, () =>
      h.app.inject({ method: 'POST', url: '/v1/capacity-changes', headers: { 'idempotency-key': key }, payload: body }),
    ),
  );
  const codes = responses.map((r) => r.statusCode);
  t.equal(codes.filter((c) => c === 202).length, 1, 'one created it');
  t.equal(codes.filter((c) => c === 200).length, 49, 'the others got the original back');
  const ids = new Set(responses.map((r) => r.json().id));
  t.equal(ids.size, 1, 'all answers name the same window');

  const reordered = { reason: 'retry storm', duration: 'PT2S', trus: 4, namespace: ns };
  const replay = await h.app.inject({
    method: 'POST',
    url: '/v1/capacity-changes',
    headers: { 'idempotency-key': key },
    payload: reordered,
  });
  t.equal(replay.statusCode, 200, 'the same body in another key order is the same request');
  const other = await h.app.inject({
    method: 'POST',
    url: '/v1/capacity-changes',
    headers: { 'idempotency-key': key },
    payload: { ...body, trus: 6 },
  });
  t.equal(other.statusCode, 422);
  t.equal(other.json().code, 'IDEMPOTENCY_KEY_REUSED');
  const elsewhere = h.newNamespace();
  const otherNamespace = await h.app.inject({
    method: 'POST',
    url: '/v1/capacity-changes',
    headers: { 'idempotency-key': key },
    payload: { ...body, namespace: elsewhere },
  });
  t.equal(
    otherNamespace.json().code,
    'IDEMPOTENCY_KEY_REUSED',
    'a key is caught when reused for another namespace too',
  );
  t.equal(h.emulator.state.snapshot(elsewhere).updates.length, 0, 'and that namespace is left alone');

  const [id] = ids;
  await h.waitForWindow(id, 'COMPLETED', (s) => s.status === 'COMPLETED');
  const afterClose = await h.app.inject({
    method: 'POST',
    url: '/v1/capacity-changes',
    headers: { 'idempotency-key': key },
    payload: body,
  });
  t.equal(afterClose.statusCode, 200, 'a retry after the window closed still finds it');
  t.equal(afterClose.json().id, id);
  t.equal(h.emulator.state.snapshot(ns).updates.length, 2, 'one window: one apply, one revert');
});
