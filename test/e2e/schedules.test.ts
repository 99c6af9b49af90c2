// Capacity schedules against the real stack: Temporal Schedules on the dev server, a real worker, the emulator.
import t from 'tap';
import { ScheduleNotFoundError } from '@temporalio/client';
import type { CapacitySchedule } from '../../src/api/routes/capacity-schedules/schema.js';
import { scheduleTemporalId } from '../../src/shared/index.js';
import { deleteSchedules, sleep, startHarness, waitFor, type Harness } from '../helpers/harness.js';

let h: Harness;
const created = new Set<string>();
t.before(async () => {
  h = await startHarness({ applyDelayMs: 300 });
});
t.teardown(async () => {
  await deleteSchedules(h, created);
  await h.close();
});

const BASE = '/v1/capacity-schedules';
const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
  h.app.inject({ method, url, ...(payload !== undefined && { payload: payload as object }) });

async function createSchedule(body: Record<string, unknown>): Promise<{ id: string; nextActionTimes: string[] }> {
  const res = await call('POST', BASE, body);
  if (res.statusCode !== 201) throw new Error(`POST ${BASE} failed: ${res.statusCode} ${res.body}`);
  const out = res.json();
  created.add(out.id);
  return out;
}

async function show(id: string): Promise<CapacitySchedule> {
  const res = await call('GET', `${BASE}/${id}`);
  if (res.statusCode !== 200) throw new Error(`GET ${id} failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

async function exists(id: string): Promise<boolean> {
  try {
    await h.client.schedule.getHandle(scheduleTemporalId(id)).describe();
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}

const waitForSchedule = (id: string, what: string, done: (s: CapacitySchedule) => boolean, timeoutMs = 30_000) =>
  waitFor(
    `schedule ${id}: ${what}`,
    async () => {
      const s = await show(id);
      return done(s) ? s : undefined;
    },
    timeoutMs,
  );

t.test('bad input: a 4xx with a stable code, no schedule created, nothing changed', async (t) => {
  const ns = h.newNamespace();
  const base = { namespace: ns, trus: 4, duration: 'PT1H' };
  const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
  const cases: Array<[string, Record<string, unknown>, number, string]> = [
    ['a bad cron', { ...base, cron: '61 8 * * *' }, 422, 'INVALID_CRON'],
    ['a 6-field cron', { ...base, cron: '0 0 8 * * 1-5' }, 400, 'INVALID_CRON'],
    ['an unknown time zone', { ...base, cron: '0 8 * * 1-5', timezone: 'Mars/Olympus_Mons' }, 422, 'INVALID_TIME_ZONE'],
    ['a missing duration', { namespace: ns, trus: 4, cron: '0 8 * * *' }, 400, 'VALIDATION_FAILED'],
    ['a zero duration', { ...base, duration: 'PT0S', cron: '0 8 * * *' }, 400, 'INVALID_DURATION'],
    ['two spec kinds at once', { ...base, cron: '0 8 * * *', at: inAnHour }, 400, 'INVALID_SCHEDULE_SPEC'],
    ['no spec at all', { ...base }, 400, 'INVALID_SCHEDULE_SPEC'],
    ['a past at', { ...base, at: new Date(Date.now() - 60_000).toISOString() }, 422, 'AT_NOT_IN_FUTURE'],
    [
      'a duration as long as the interval',
      { ...base, duration: 'PT20S', interval: { every: 'PT10S' } },
      422,
      'DURATION_OVERLAPS_NEXT_RUN',
    ],
    [
      'a duration longer than the cron gap',
      { ...base, duration: 'PT6M', cron: '*/5 * * * *' },
      422,
      'DURATION_OVERLAPS_NEXT_RUN',
    ],
    [
      'endAt before startAt',
      { ...base, cron: '0 8 * * *', startAt: inAnHour, endAt: new Date().toISOString() },
      422,
      'INVALID_SCHEDULE_BOUNDS',
    ],
    ['an unknown namespace', { ...base, namespace: 'nosuch.acct1', cron: '0 8 * * *' }, 404, 'NAMESPACE_NOT_FOUND'],
    ['TRU 5 (not a valid tier)', { ...base, trus: 5, cron: '0 8 * * *' }, 422, 'TRU_VALUE_NOT_ALLOWED'],
  ];
  for (const [i, [name, body, statusCode, code]] of cases.entries()) {
    const id = `bad-input-${i}`;
    const res = await call('POST', BASE, { id, ...body });
    t.equal(res.statusCode, statusCode, `${name}: status`);
    t.match(res.json(), { statusCode, code, error: String, message: String }, `${name}: error shape and code`);
    t.notOk(await exists(id), `${name}: no schedule created`);
  }
  t.equal(h.emulator.state.snapshot(ns).updates.length, 0, 'the emulator saw no change');
});

t.test('an existing id is 409; an unknown one 404', async (t) => {
  const ns = h.newNamespace();
  const body = { id: 'dup-check', namespace: ns, trus: 4, duration: 'PT1H', cron: '0 8 * * *', paused: true };
  await createSchedule(body);
  const again = await call('POST', BASE, body);
  t.equal(again.statusCode, 409);
  t.equal(again.json().code, 'SCHEDULE_ALREADY_EXISTS');
  for (const [method, url] of [
    ['GET', `${BASE}/no-such-schedule`],
    ['DELETE', `${BASE}/no-such-schedule`],
    ['GET', `${BASE}/Not%20A%20Slug`],
  ] as const) {
    const res = await call(method, url);
    t.equal(res.statusCode, 404, `${method} ${url}`);
    t.equal(res.json().code, 'SCHEDULE_NOT_FOUND');
  }
});

t.test('cron + time zone: 08:00 Berlin on weekdays, across the daylight-saving change', async (t) => {
  const ns = h.newNamespace();
  const { id, nextActionTimes } = await createSchedule({
    namespace: ns,
    trus: 4,
    duration: 'PT10H',
    cron: '0 8 * * 1-5',
    timezone: 'Europe/Berlin',
    startAt: '2027-03-24T00:00:00Z',
    paused: true,
    note: 'office hours',
  });
  t.match(id, new RegExp(`^${ns.split('.')[0]}-[0-9a-f]{6}$`), 'a generated id');
  const expected = [
    '2027-03-24T07:00:00Z',
    '2027-03-25T07:00:00Z',
    '2027-03-26T07:00:00Z',
    '2027-03-29T06:00:00Z',
    '2027-03-30T06:00:00Z',
  ];
  t.same(
    nextActionTimes.map((d) => Date.parse(d)),
    expected.map((d) => Date.parse(d)),
    'CET before 28 March, CEST after',
  );

  const s = await show(id);
  t.match(s, {
    id,
    namespace: ns,
    trus: 4,
    duration: 'PT10H',
    cron: '0 8 * * 1-5',
    timezone: 'Europe/Berlin',
    startAt: '2027-03-24T00:00:00.000Z',
    endAt: null,
    paused: true,
    note: 'office hours',
    recentActions: [],
    runningChangeIds: [],
    actionsTaken: 0,
    links: { self: `${BASE}/${id}` },
  });
  t.equal(s.nextActionTimes.length, 5);

  const item = await waitFor('the schedule in the list', async () => {
    const items = (await call('GET', BASE)).json().items as Array<{ id: string }>;
    return items.find((i) => i.id === id);
  });
  t.same(item, { id, namespace: ns, trus: 4, duration: 'PT10H', paused: true, nextActionTime: s.nextActionTimes[0] });

  const patched = await call('PATCH', `${BASE}/${id}`, { trus: 6, cron: '0 7 * * 1-5', note: 'earlier' });
  t.equal(patched.statusCode, 200, patched.body);
  t.match(patched.json(), { trus: 6, cron: '0 7 * * 1-5', timezone: 'Europe/Berlin', paused: true, note: 'earlier' });
  t.equal(Date.parse(patched.json().nextActionTimes[0]), Date.parse('2027-03-24T06:00:00Z'));
  const refused = await call('PATCH', `${BASE}/${id}`, { duration: 'PT25H' });
  t.equal(refused.json().code, 'DURATION_OVERLAPS_NEXT_RUN', 'the merged schedule is validated');
});

t.test('pause stops new runs, unpause resumes them', async (t) => {
  const ns = h.newNamespace();
  const { id } = await createSchedule({ namespace: ns, trus: 4, duration: 'PT1S', interval: { every: 'PT3S' } });
  await waitForSchedule(id, 'a first run', (s) => s.actionsTaken >= 1, 15_000);

  const paused = await call('POST', `${BASE}/${id}/pause`, { note: 'holidays' });
  t.equal(paused.statusCode, 200, paused.body);
  t.match(paused.json(), { paused: true, note: 'holidays' });
  const taken = paused.json().actionsTaken;
  await sleep(7_000);
  t.equal((await show(id)).actionsTaken, taken, 'no run while paused');

  const resumed = await call('POST', `${BASE}/${id}/unpause`);
  t.match(resumed.json(), { paused: false, note: 'holidays' }, 'unpause without a note keeps the note');
  await waitForSchedule(id, 'a run after unpause', (s) => s.actionsTaken > taken, 15_000);
  t.equal((await call('DELETE', `${BASE}/${id}?cancelRunning=true`)).statusCode, 204);
});

t.test('trigger starts a window now; delete leaves it running, cancelRunning ends and reverts it', async (t) => {
  const ns = h.newNamespace();
  const { id } = await createSchedule({
    namespace: ns,
    trus: 4,
    duration: 'PT6S',
    interval: { every: 'PT1H' },
    paused: true,
  });

  const trig = await call('POST', `${BASE}/${id}/trigger`);
  t.equal(trig.statusCode, 202, trig.body);
  t.equal(trig.json().id, id);
  const s = await waitForSchedule(id, 'the triggered run', (s) => s.recentActions.length === 1);
  const changeId = s.recentActions[0].changeId;
  await h.waitForWindow(changeId, 'ACTIVE', (w) => w.phase === 'ACTIVE');
  t.same((await show(id)).runningChangeIds, [changeId]);
  t.equal(
    (await call('POST', `${BASE}/${id}/trigger`)).json().code,
    'WINDOW_ALREADY_RUNNING',
    'no manual run on top of a running one',
  );

  t.equal((await call('DELETE', `${BASE}/${id}`)).statusCode, 204);
  t.equal((await call('GET', `${BASE}/${id}`)).statusCode, 404, 'the schedule is gone');
  t.equal((await h.windowStatus(changeId)).phase, 'ACTIVE', 'its window still runs');
  const done = await h.waitForWindow(changeId, 'COMPLETED on its own', (w) => w.status === 'COMPLETED');
  t.equal(done.phase, 'COMPLETED');
  t.ok('onDemand' in h.emulator.state.snapshot(ns).capacity, 'reverted at its end');

  const second = await createSchedule({
    namespace: ns,
    trus: 6,
    duration: 'PT30M',
    interval: { every: 'PT1H' },
    paused: true,
  });
  await call('POST', `${BASE}/${second.id}/trigger`);
  const s2 = await waitForSchedule(second.id, 'the triggered run', (s) => s.recentActions.length === 1);
  const running = s2.recentActions[0].changeId;
  await h.waitForWindow(running, 'ACTIVE', (w) => w.phase === 'ACTIVE');
  t.equal((await call('DELETE', `${BASE}/${second.id}?cancelRunning=true`)).statusCode, 204);
  const ended = await h.waitForWindow(running, 'ended', (w) => w.status !== 'RUNNING');
  t.ok(ended.result === null || ended.result.revertedToOnDemand, 'the window ended early');
  t.ok('onDemand' in h.emulator.state.snapshot(ns).capacity, 'back to On-Demand long before its end');
  t.notOk(await exists(second.id), 'the schedule is gone');
});

t.test('a one-off `at` runs once, at that instant', async (t) => {
  const ns = h.newNamespace();
  const at = new Date(Math.ceil((Date.now() + 4_000) / 1000) * 1000).toISOString();
  const { id, nextActionTimes } = await createSchedule({ namespace: ns, trus: 4, duration: 'PT2S', at });
  t.same(nextActionTimes.map(Date.parse), [Date.parse(at)], 'exactly one start');
  const s = await waitForSchedule(id, 'its run', (s) => s.recentActions.length === 1, 20_000);
  t.equal(Date.parse(s.recentActions[0].scheduledAt), Date.parse(at));
  const w = await h.waitForWindow(s.recentActions[0].changeId, 'COMPLETED', (w) => w.status === 'COMPLETED', 20_000);
  t.equal(w.phase, 'COMPLETED');
  t.same((await show(id)).nextActionTimes, [], 'nothing more to run');
});

t.test('an interval schedule: each run reverts at ITS OWN start + duration', async (t) => {
  const ns = h.newNamespace();
  const { id } = await createSchedule({ namespace: ns, trus: 4, duration: 'PT3S', interval: { every: 'PT6S' } });
  const s = await waitForSchedule(id, 'two runs', (s) => s.recentActions.length >= 2, 30_000);
  await call('POST', `${BASE}/${id}/pause`);
  for (const run of s.recentActions.slice(0, 2)) {
    const w = await h.waitForWindow(run.changeId, 'COMPLETED', (w) => w.status === 'COMPLETED', 20_000);
    const revert = h.emulator.state
      .snapshot(ns)
      .updates.find((u) => u.asyncOperationId === w.result?.revertOperationId);
    t.ok(revert, `${run.changeId}: its revert reached Cloud Ops`);
    const heldMs = revert!.at.getTime() - Date.parse(run.scheduledAt);
    // Never before its own start + 3 s; late by at most what a busy machine adds (timing.test.ts measures punctuality).
    t.ok(
      heldMs >= 3_000 && heldMs < 8_000,
      `${run.changeId}: the revert reached Cloud Ops ${heldMs} ms after its own scheduled start`,
    );
  }
  t.equal((await call('DELETE', `${BASE}/${id}?cancelRunning=true`)).statusCode, 204);
});
