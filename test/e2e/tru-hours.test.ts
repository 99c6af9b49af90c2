// TRU-hours against the real stack: a scripted set of windows (refused, failed, cancelled, overlapping, a
// schedule's runs) on two namespaces; the report must equal what the emulator's own record of each namespace's
// capacity over time gives, computed here apart from the service's code.
import { randomBytes } from 'node:crypto';
import t, { type Test } from 'tap';
import { createMetrics } from '../../src/metrics.js';
import { TruHoursMeter } from '../../src/reports/meter.js';
import { ReportsService, type TruHoursReport } from '../../src/reports/service.js';
import type { CapacityStep } from '../../src/emulator/state.js';
import { deleteSchedules, startHarness, waitFor, type Harness } from '../helpers/harness.js';

const H = 3_600_000;
/**
 * The report rounds to 6 decimals (a group of n windows is off by at most (n + 1) x 5e-7): 3e-6 TRU-hours, i.e. under
 * 3 ms at 4 TRUs. A hold counted from when the window heard of its change rather than when Cloud Ops finished it
 * is off by tens of ms.
 */
const TOLERANCE = 3e-6;
const TOKENS = {
  alice: `alice-${randomBytes(8).toString('hex')}`,
  bob: `bob-${randomBytes(8).toString('hex')}`,
  reader: `reader-${randomBytes(8).toString('hex')}`,
};
const prefix = `tru${randomBytes(3).toString('hex')}`;
const NS_A = `${prefix}-a.acct1`;
const NS_B = `${prefix}-b.acct1`;
const ALL_SCOPES = ['capacity:read', 'windows:create', 'windows:cancel', 'schedules:write'];

let h: Harness;
const schedules = new Set<string>();
t.before(async () => {
  h = await startHarness({
    applyDelayMs: 300,
    env: { EMULATOR_CHECK_DURATION: '200ms' },
    tokens: [
      { name: 'alice', scopes: ALL_SCOPES, token: TOKENS.alice },
      { name: 'bob', scopes: ALL_SCOPES, token: TOKENS.bob },
      // Limited to this test's namespaces: other test files share the dev server's visibility.
      { name: 'reader', scopes: ['capacity:read'], token: TOKENS.reader, namespaces: [`${prefix}-*`] },
    ],
  });
  h.emulator.state.addNamespace(NS_A);
  h.emulator.state.addNamespace(NS_B);
});
t.teardown(async () => {
  await deleteSchedules(h, schedules);
  await h.close();
});

const auth = (who: keyof typeof TOKENS) => ({ authorization: `Bearer ${TOKENS[who]}` });
const inject = (who: keyof typeof TOKENS, method: 'GET' | 'POST', url: string, payload?: object) =>
  h.app.inject({ method, url, headers: { ...auth(who), accept: 'application/json' }, ...(payload && { payload }) });

async function start(who: keyof typeof TOKENS, body: object): Promise<string> {
  const res = await inject(who, 'POST', '/v1/capacity-changes', body);
  if (res.statusCode !== 202) throw new Error(`POST failed: ${res.statusCode} ${res.body}`);
  return res.json().id;
}
const closed = (id: string) => h.waitForWindow(id, 'closed', (s) => s.status !== 'RUNNING', 40_000);

/** The emulator's record as a step function: used TRU-hours and the clock-hour peak bill over [from, to). */
function fromHistory(history: CapacityStep[], fromMs: number, toMs: number): { used: number; billed: number } {
  let used = 0;
  const peaks = new Map<number, number>();
  history.forEach((step, i) => {
    const a = Math.max(fromMs, Date.parse(step.at));
    const b = Math.min(toMs, i + 1 < history.length ? Date.parse(history[i + 1]!.at) : toMs);
    if (b <= a || step.trus === 0) return;
    used += (step.trus * (b - a)) / H;
    for (let hour = Math.floor(a / H) * H; hour < b; hour += H)
      peaks.set(hour, Math.max(peaks.get(hour) ?? 0, step.trus));
  });
  return { used, billed: [...peaks.values()].reduce((x, y) => x + y, 0) };
}

async function report(range: { from: string; to: string }, groupBy: string, accept = 'application/json') {
  const url = `/v1/reports/tru-hours?from=${range.from}&to=${range.to}&groupBy=${groupBy}`;
  return h.app.inject({ method: 'GET', url, headers: { ...auth('reader'), accept } });
}

interface Script {
  startedMs: number;
  refused: string;
  failed: string;
  future: string;
  w4: string;
  w8: string;
  scheduleId: string;
  runs: string[];
}

/** Refused, failed and cancelled windows on A; then two overlapping ones on A while a schedule runs on B. */
async function runScript(t: Test): Promise<Script> {
  const startedMs = Date.now();
  // Refused for good, then a raise whose operation ends FAILED: neither changes the namespace.
  h.emulator.state.injectFault({ rpc: 'UpdateNamespace', code: 'PERMISSION_DENIED', count: 1 });
  const refused = await start('alice', { namespace: NS_A, trus: 4, duration: 'PT3S' });
  t.equal((await closed(refused)).phase, 'FAILED');
  h.emulator.state.injectFault({ nextOperationOutcome: 'FAILED', count: 1 });
  const failed = await start('alice', { namespace: NS_A, trus: 6, duration: 'PT3S' });
  t.equal((await closed(failed)).phase, 'FAILED');
  const startAt = new Date(Date.now() + 600_000).toISOString();
  const future = await start('bob', { namespace: NS_A, trus: 4, startAt, duration: 'PT1M' });
  t.equal((await inject('bob', 'POST', `/v1/capacity-changes/${future}/cancel`, {})).statusCode, 202);
  await closed(future);

  const body = { namespace: NS_B, trus: 2, duration: 'PT2S', interval: { every: 'PT5S' } };
  const sched = await inject('alice', 'POST', '/v1/capacity-schedules', body);
  t.equal(sched.statusCode, 201, sched.body);
  const scheduleId: string = sched.json().id;
  schedules.add(scheduleId);
  const w4 = await start('alice', { namespace: NS_A, trus: 4, duration: 'PT8S' });
  await h.waitForWindow(w4, 'ACTIVE', (s) => s.phase === 'ACTIVE');
  const w8 = await start('bob', { namespace: NS_A, trus: 8, duration: 'PT3S' });
  t.equal((await closed(w4)).phase, 'COMPLETED');
  t.equal((await closed(w8)).phase, 'COMPLETED');
  const actions = async () =>
    (await inject('alice', 'GET', `/v1/capacity-schedules/${scheduleId}`)).json().recentActions as {
      changeId: string;
    }[];
  await waitFor('two runs of the schedule', async () => ((await actions()).length >= 2 ? true : undefined), 30_000);
  const pause = `/v1/capacity-schedules/${scheduleId}/pause`;
  await h.app.inject({ method: 'POST', url: pause, headers: { ...auth('alice'), 'x-requested-with': 'test' } });
  const runs = (await actions()).map((a) => a.changeId);
  for (const run of runs) t.equal((await closed(run)).phase, 'COMPLETED', `run ${run}`);
  return { startedMs, refused, failed, future, w4, w8, scheduleId, runs };
}

/** requestedBy and scheduleId groups add up to the namespaces' totals. */
async function checkGroupings(t: Test, range: { from: string; to: string }, whole: TruHoursReport, s: Script) {
  for (const groupBy of ['requestedBy', 'scheduleId']) {
    const r = (await report(range, groupBy)).json() as TruHoursReport;
    const sum = (k: 'truHours' | 'usedTruHours') => r.groups.reduce((x, g) => x + g[k], 0);
    t.ok(Math.abs(sum('usedTruHours') - whole.totals.usedTruHours) < TOLERANCE, `${groupBy}: used adds up`);
    t.ok(Math.abs(sum('truHours') - whole.totals.truHours) < TOLERANCE, `${groupBy}: billed adds up`);
    if (groupBy === 'scheduleId') t.equal(r.groups.find((g) => g.key === s.scheduleId)?.windows, s.runs.length);
    if (groupBy === 'requestedBy') t.same(r.groups.find((g) => g.key === 'bob')?.windows, 1, "bob's 8 TRUs");
  }
}

/** The CSV says what the JSON says. */
async function checkCsv(t: Test, range: { from: string; to: string }, whole: TruHoursReport) {
  const csv = await report(range, 'namespace', 'text/csv');
  t.match(csv.headers['content-type'], /^text\/csv/);
  const rows = csv.body
    .trim()
    .split('\r\n')
    .map((l) => l.split(','));
  t.same(rows[0], ['namespace', 'truHours', 'usedTruHours', 'windows']);
  const parsed = rows
    .slice(1)
    .map(([key, tru, used, n]) => ({ key, truHours: Number(tru), usedTruHours: Number(used), windows: Number(n) }));
  t.same(parsed, whole.groups, 'the CSV says the same');
}

/** Each window's status: the overlapping two add up to A; the others never held the namespace. */
async function checkWindows(t: Test, a: TruHoursReport['groups'][number], s: Script) {
  const [s4, s8] = [await h.windowStatus(s.w4), await h.windowStatus(s.w8)];
  t.ok(Math.abs(s4.usedTruHours + s8.usedTruHours - a.usedTruHours) < TOLERANCE, 'A used = its two windows');
  t.ok(Math.abs(s4.truHours + s8.truHours - a.truHours) < TOLERANCE, 'A billed = its two windows');
  t.ok(s8.usedTruHours > 0, 'the 8 TRU window used some');
  t.equal(s4.result?.truHours, s4.truHours, 'the result carries it too');
  for (const id of [s.refused, s.failed, s.future]) {
    t.match(await h.windowStatus(id), { truHours: 0, usedTruHours: 0 }, `${id} never took effect`);
  }
  const list = await inject('alice', 'GET', `/v1/capacity-changes?namespace=${NS_A}`);
  const listed = list.json().items as { id: string; truHours: number }[];
  t.equal(listed.find((i) => i.id === s.w8)?.truHours, s8.truHours, 'list items carry the same figure');
}

/** The /metrics counters, once the test's hours are over (a clock moved past them): what the report says. */
async function checkMeter(t: Test, s: Script, whole: TruHoursReport) {
  const metrics = createMetrics();
  const settleMs = 60_000;
  const meter = new TruHoursMeter(
    new ReportsService({ temporal: h.client, config: h.config }),
    metrics,
    settleMs,
    s.startedMs,
  );
  await meter.tick(Math.ceil(Date.now() / H) * H + settleMs);
  for (const [name, key] of [
    ['capacity_scheduler_tru_hours_total', 'truHours'],
    ['capacity_scheduler_used_tru_hours_total', 'usedTruHours'],
  ] as const) {
    const values = (await metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
    for (const g of whole.groups) {
      const counted = values.find((v) => v.labels.namespace === g.key)?.value ?? 0;
      t.ok(Math.abs(counted - g[key]) < TOLERANCE, `${name}{namespace="${g.key}"} ${counted} = ${g[key]}`);
    }
  }
}

t.test('TRU-hours of a scripted set of windows equal the emulator’s record of each namespace', async (t) => {
  const script = await runScript(t);
  const range = {
    from: new Date(Math.floor(script.startedMs / H) * H - H).toISOString(),
    to: new Date(Math.ceil(Date.now() / H) * H + H).toISOString(),
  };
  const [fromMs, toMs] = [Date.parse(range.from), Date.parse(range.to)];
  const expected = {
    [NS_A]: fromHistory(h.emulator.state.snapshot(NS_A).capacityHistory, fromMs, toMs),
    [NS_B]: fromHistory(h.emulator.state.snapshot(NS_B).capacityHistory, fromMs, toMs),
  };
  t.ok(expected[NS_A].used > 0 && expected[NS_B].used > 0, 'both namespaces were provisioned');
  // Visibility is eventually consistent: wait until every window with a hold shows in it.
  const whole: TruHoursReport = await waitFor(
    'the report counts every window',
    async () => {
      const r = (await report(range, 'namespace')).json() as TruHoursReport;
      const windows = Object.fromEntries(r.groups.map((g) => [g.key, g.windows]));
      return windows[NS_A] === 2 && windows[NS_B] === script.runs.length ? r : undefined;
    },
    20_000,
  );
  for (const ns of [NS_A, NS_B]) {
    const g = whole.groups.find((x) => x.key === ns)!;
    t.ok(
      Math.abs(g.usedTruHours - expected[ns]!.used) < TOLERANCE,
      `${ns} used ${g.usedTruHours} = ${expected[ns]!.used}`,
    );
    t.ok(
      Math.abs(g.truHours - expected[ns]!.billed) < TOLERANCE,
      `${ns} billed ${g.truHours} = ${expected[ns]!.billed}`,
    );
  }
  t.same(
    whole.groups.map((g) => g.key),
    [NS_A, NS_B],
    'the reader sees only its namespaces',
  );
  t.match(whole, { billingRule: /clock hour/, attributionRule: /layer/ });
  await checkGroupings(t, range, whole, script);
  await checkCsv(t, range, whole);
  // Every page walked, two windows at a time (four or more windows held: two pages or more): the same figures.
  const small = new ReportsService({ temporal: h.client, config: { ...h.config, reports: { pageSize: 2 } } });
  const paged = await small.truHours({ fromMs, toMs }, 'namespace', (ns) => ns === NS_A || ns === NS_B);
  t.same(paged.groups, whole.groups, 'pagination gives the same totals');
  await checkWindows(
    t,
    whole.groups.find((g) => g.key === NS_A)!,
    script,
  );
  await checkMeter(t, script, whole);
});

t.test('the range is checked: 422 with a stable code, nothing read', async (t) => {
  const bad = await report({ from: '2026-12-07T10:00:00Z', to: '2026-12-07T10:00:00Z' }, 'namespace');
  t.equal(bad.statusCode, 422);
  t.equal(bad.json().code, 'INVALID_TIME_RANGE');
  const long = await report({ from: '2025-01-01T00:00:00Z', to: '2026-12-07T10:00:00Z' }, 'namespace');
  t.equal(long.json().code, 'TIME_RANGE_TOO_LONG');
  const missing = await h.app.inject({
    method: 'GET',
    url: '/v1/reports/tru-hours?from=2026-12-07T10:00:00Z',
    headers: auth('reader'),
  });
  t.equal(missing.statusCode, 400);
});
