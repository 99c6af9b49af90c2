// A retry with the same Idempotency-Key answers with the window as it is NOW: while it runs, after a cancel,
// after it completed, its status and phase are the ones GET reads, not the ones it started with.
import t, { type Test } from 'tap';
import { WINDOW_PREFIX } from '../../src/shared/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
t.before(async () => {
  h = await startHarness({ applyDelayMs: 200 });
});
t.teardown(() => h.close());

const post = (key: string, body: Record<string, unknown>) =>
  h.app.inject({ method: 'POST', url: '/v1/capacity-changes', headers: { 'idempotency-key': key }, payload: body });

/** Replays the request and checks its answer against GET of the same window. */
async function assertReplayTells(t: Test, key: string, body: Record<string, unknown>, id: string, phase: string) {
  const replay = await post(key, body);
  t.equal(replay.statusCode, 200, replay.body);
  const now = await h.windowStatus(id);
  t.same(replay.json(), { id, status: now.status, phase: now.phase, links: { self: now.links.self } });
  t.equal(replay.json().phase, phase, `the replay says ${phase}`);
  return replay.json() as { status: string; phase: string };
}

t.test('a replay while the window is active says RUNNING and ACTIVE, not PENDING', async (t) => {
  const ns = h.newNamespace();
  const body = { namespace: ns, trus: 4, duration: 'PT1H', reason: 'replay while running' };
  const created = await post(`running-${ns}`, body);
  t.equal(created.statusCode, 202, created.body);
  t.equal(created.json().phase, 'PENDING');
  const { id } = created.json() as { id: string };
  await h.waitForWindow(id, 'ACTIVE', (s) => s.phase === 'ACTIVE');
  t.equal((await assertReplayTells(t, `running-${ns}`, body, id, 'ACTIVE')).status, 'RUNNING');
  await h.app.inject({ method: 'POST', url: `/v1/capacity-changes/${encodeURIComponent(id)}/cancel`, payload: {} });
});

t.test('a replay after a cancel before the start says COMPLETED, not SCHEDULED', async (t) => {
  const ns = h.newNamespace();
  const body = { namespace: ns, trus: 4, startAt: new Date(Date.now() + 600_000).toISOString(), duration: 'PT1H' };
  const created = await post(`cancelled-${ns}`, body);
  t.equal(created.json().phase, 'SCHEDULED', created.body);
  const { id } = created.json() as { id: string };
  const cancel = await h.app.inject({
    method: 'POST',
    url: `/v1/capacity-changes/${encodeURIComponent(id)}/cancel`,
    payload: {},
  });
  t.equal(cancel.statusCode, 202, cancel.body);
  await h.waitForWindow(id, 'closed', (s) => s.status !== 'RUNNING', 20_000);
  t.equal((await assertReplayTells(t, `cancelled-${ns}`, body, id, 'COMPLETED')).status, 'COMPLETED');
  t.equal(h.emulator.state.snapshot(ns).updates.length, 0, 'the replay started nothing');
});

t.test('a replay after the window completed says COMPLETED, and starts nothing', async (t) => {
  const ns = h.newNamespace();
  const body = { namespace: ns, trus: 4, duration: 'PT1S' };
  const created = await post(`completed-${ns}`, body);
  const { id } = created.json() as { id: string };
  await h.waitForWindow(id, 'COMPLETED', (s) => s.status === 'COMPLETED', 20_000);
  t.equal((await assertReplayTells(t, `completed-${ns}`, body, id, 'COMPLETED')).status, 'COMPLETED');
  t.equal(h.emulator.state.snapshot(ns).updates.length, 2, 'one apply, one revert: the replay started nothing');
});

t.test('a replay of a window terminated by hand says TERMINATED and FAILED', async (t) => {
  const ns = h.newNamespace();
  const body = { namespace: ns, trus: 4, startAt: new Date(Date.now() + 600_000).toISOString(), duration: 'PT1H' };
  const created = await post(`terminated-${ns}`, body);
  const { id } = created.json() as { id: string };
  const [workflowId] = id.split('~');
  await h.client.workflow.getHandle(`${WINDOW_PREFIX}${workflowId}`).terminate('by hand');
  t.equal((await assertReplayTells(t, `terminated-${ns}`, body, id, 'FAILED')).status, 'TERMINATED');
});
