// Each run of a schedule has its capacity in place at the run time the user asked for: the Temporal Schedule fires
// PROVISIONING_LEAD early, and the run's window keeps the user's start and end.
import t, { type Test } from 'tap';
import type { CapacitySchedule } from '../../src/api/routes/capacity-schedules/schema.js';
import { scheduleTemporalId } from '../../src/shared/index.js';
import { deleteSchedules, startHarness, waitFor, type Harness } from '../helpers/harness.js';

const LEAD_MS = 6_000;
// Slower than nothing, so that a change begun at the run time would be in place only after it.
const APPLY_DELAY_MS = 1_500;
let h: Harness;
const created = new Set<string>();
t.before(async () => {
  h = await startHarness({ applyDelayMs: APPLY_DELAY_MS, env: { PROVISIONING_LEAD: `${LEAD_MS}ms` } });
});
t.teardown(async () => {
  await deleteSchedules(h, created);
  await h.close();
});

const BASE = '/v1/capacity-schedules';

async function create(body: Record<string, unknown>) {
  const res = await h.app.inject({ method: 'POST', url: BASE, payload: body });
  if (res.statusCode !== 201) throw new Error(`POST ${BASE} failed: ${res.statusCode} ${res.body}`);
  created.add(res.json().id);
  return res.json() as { id: string; nextActionTimes: string[]; leadApplied: boolean; leadNotAppliedReason: string };
}

async function show(id: string): Promise<CapacitySchedule> {
  return (await h.app.inject({ method: 'GET', url: `${BASE}/${id}` })).json();
}

/** The first run: its capacity verified by the user's run time, its window starting and ending where the user said. */
async function checkFirstRun(t: Test, ns: string, id: string, duration: number) {
  const s = await waitFor(
    `schedule ${id}: a run`,
    async () => {
      const s = await show(id);
      return s.recentActions.length ? s : undefined;
    },
    40_000,
  );
  const run = s.recentActions[0];
  const runAt = Date.parse(run.scheduledAt);
  t.ok(
    Math.abs(Date.parse(run.startedAt) - (runAt - LEAD_MS)) < 3_000,
    `the schedule fired (${run.startedAt}) the lead before the run time the user asked for (${run.scheduledAt})`,
  );
  const active = await h.waitForWindow(run.changeId, 'ACTIVE', (w) => w.phase === 'ACTIVE', 20_000);
  t.match(
    active,
    { startAt: run.scheduledAt, endAt: new Date(runAt + duration).toISOString() },
    "the window's start and end are the user's",
  );
  const verified = active.steps.find((step) => step.step === 'VERIFY' && step.outcome === 'SUCCEEDED');
  t.ok(
    verified && Date.parse(verified.at) <= runAt,
    `capacity verified at ${verified?.at}, by the run time ${run.scheduledAt}`,
  );
  const applied = h.emulator.state.snapshot(ns).updates[0];
  t.ok(applied.at.getTime() < runAt, `the change reached Cloud Ops (${applied.at.toISOString()}) before the run time`);

  const done = await h.waitForWindow(run.changeId, 'COMPLETED', (w) => w.status === 'COMPLETED', 30_000);
  const revert = h.emulator.state
    .snapshot(ns)
    .updates.find((u) => u.asyncOperationId === done.result?.revertOperationId);
  t.ok(
    revert && revert.at.getTime() >= runAt + duration,
    "the revert waited for the user's end, not the early fire time + duration",
  );
}

t.test('an `at` schedule fires the lead early; its window starts at `at` with the capacity in place', async (t) => {
  const ns = h.newNamespace();
  const at = new Date(Math.ceil((Date.now() + LEAD_MS + 6_000) / 1000) * 1000).toISOString();
  const out = await create({ namespace: ns, trus: 4, duration: 'PT4S', at });
  t.match(out, { leadApplied: true, leadNotAppliedReason: null });
  t.same(out.nextActionTimes, [at], "the upcoming run shows the user's time, not the fire time");
  await checkFirstRun(t, ns, out.id, 4_000);
});

t.test('an `interval` schedule: every run is in place at its interval time', async (t) => {
  const ns = h.newNamespace();
  const out = await create({ namespace: ns, trus: 4, duration: 'PT4S', interval: { every: 'PT20S' } });
  t.equal(out.leadApplied, true);
  t.ok(
    out.nextActionTimes.every((time) => Date.parse(time) % 20_000 === 0),
    `user times: ${out.nextActionTimes}`,
  );
  await checkFirstRun(t, ns, out.id, 4_000);
  await h.app.inject({ method: 'POST', url: `${BASE}/${out.id}/pause`, headers: { 'x-requested-with': 'test' } });
});

t.test('a cron: shifted a (rounded-up) minute early, or run without a lead when cron cannot say it', async (t) => {
  const ns = h.newNamespace();
  const out = await create({ namespace: ns, trus: 4, duration: 'PT1H', cron: '0 0 1 * *', paused: true });
  t.match(out, { leadApplied: false, leadNotAppliedReason: /day before the 1st/ }, 'said, and why');
  const temporal = () => h.client.schedule.getHandle(scheduleTemporalId(out.id)).describe();
  t.equal((await temporal()).info.nextActionTimes[0].toISOString(), out.nextActionTimes[0], "fires at the user's time");

  const patched = await h.app.inject({ method: 'PATCH', url: `${BASE}/${out.id}`, payload: { cron: '0 8 * * *' } });
  t.match(patched.json(), { leadApplied: true, leadNotAppliedReason: null });
  const next = patched.json().nextActionTimes as string[];
  t.ok(
    next.every((time) => time.endsWith('T08:00:00.000Z')),
    `the view shows the user's 08:00: ${next}`,
  );
  const fires = (await temporal()).info.nextActionTimes.map((d) => d.toISOString());
  t.ok(
    fires.every((time) => time.endsWith('T07:59:00.000Z')),
    `Temporal fires a minute early: ${fires}`,
  );

  // A manual trigger fires now: its window counts from now + the schedule's (rounded-up) lead, and its change
  // begins PROVISIONING_LEAD before that, like any run's.
  const triggeredAt = Date.now();
  await h.app.inject({ method: 'POST', url: `${BASE}/${out.id}/trigger`, headers: { 'x-requested-with': 'test' } });
  const s = await waitFor(`schedule ${out.id}: the triggered run`, async () => {
    const s = await show(out.id);
    return s.recentActions.length ? s : undefined;
  });
  const w = await h.waitForWindow(s.recentActions[0].changeId, 'SCHEDULED', (w) => w.phase === 'SCHEDULED');
  const startMs = Date.parse(w.startAt);
  t.ok(startMs - triggeredAt >= 55_000 && startMs - triggeredAt < 65_000, `the window starts at ${w.startAt}`);
  await h.app.inject({
    method: 'DELETE',
    url: `${BASE}/${out.id}?cancelRunning=true`,
    headers: { 'x-requested-with': 'test' },
  });
});
