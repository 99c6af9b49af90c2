// Guardrails from config and dry runs, against the real stack.
import t from 'tap';
import { startHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
const denied = 'denied.acct1';
t.before(async () => {
  h = await startHarness({
    applyDelayMs: 200,
    env: {
      GUARDRAIL_NAMESPACE_DENYLIST: denied,
      GUARDRAIL_MAX_TRUS: '8',
      GUARDRAIL_MAX_TRUS_PER_NAMESPACE: 'small.acct1=3',
      GUARDRAIL_MAX_WINDOW_DURATION: 'PT4H',
      GUARDRAIL_MIN_WINDOW_DURATION: 'PT1H',
    },
    // The worker's config has changed since: it now denies late.acct1.
    workerGuardrailEnv: { GUARDRAIL_NAMESPACE_DENYLIST: `${denied},late.acct1` },
  });
  for (const ns of [denied, 'small.acct1', 'late.acct1']) h.emulator.state.addNamespace(ns);
});
t.teardown(() => h.close());

const post = (payload: Record<string, unknown>, query = '') =>
  h.app.inject({ method: 'POST', url: `/v1/capacity-changes${query}`, payload });
const updateCalls = () => h.emulator.state.callLog.filter((c) => c.method === 'UpdateNamespace').length;

t.test('each guardrail refuses with its code, and nothing starts', async (t) => {
  const ns = h.newNamespace();
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ namespace: denied, trus: 4, duration: 'PT2H' }, 'NAMESPACE_DENIED'],
    [{ namespace: ns, trus: 10, duration: 'PT2H' }, 'TRUS_ABOVE_LIMIT'],
    [{ namespace: 'small.acct1', trus: 4, duration: 'PT2H' }, 'TRUS_ABOVE_LIMIT'],
    [{ namespace: ns, trus: 4, duration: 'PT5H' }, 'WINDOW_TOO_LONG'],
    [{ namespace: ns, trus: 4 }, 'WINDOW_TOO_LONG'],
    [{ namespace: ns, trus: 4, duration: 'PT10M' }, 'WINDOW_TOO_SHORT'],
  ];
  const before = updateCalls();
  for (const [body, code] of cases) {
    const res = await post(body);
    t.equal(res.statusCode, 422, `${code}: ${res.body}`);
    t.equal(res.json().code, code);
  }
  const schedule = await h.app.inject({
    method: 'POST',
    url: '/v1/capacity-schedules',
    payload: { namespace: denied, trus: 4, duration: 'PT2H', cron: '0 8 * * 1-5' },
  });
  t.equal(schedule.statusCode, 422);
  t.equal(schedule.json().code, 'NAMESPACE_DENIED', 'schedules obey the guardrails too');
  t.equal(updateCalls(), before, 'no Cloud Ops change');

  const acknowledged = await post({ namespace: ns, trus: 4, duration: 'PT2S', acknowledgeShortWindow: true });
  t.equal(acknowledged.statusCode, 202, 'a short window goes ahead when acknowledged');
  await h.waitForWindow(acknowledged.json().id, 'COMPLETED', (s) => s.status === 'COMPLETED');

  const extended = await h.app.inject({
    method: 'PATCH',
    url: `/v1/capacity-changes/${acknowledged.json().id}`,
    payload: { duration: 'PT5H' },
  });
  t.equal(extended.statusCode, 409, 'a closed window cannot be extended');
});

t.test('an extension past the longest window is refused by the window itself', async (t) => {
  const ns = h.newNamespace();
  const res = await post({ namespace: ns, trus: 4, duration: 'PT1H' });
  const id = res.json().id;
  await h.waitForWindow(id, 'ACTIVE', (s) => s.phase === 'ACTIVE');
  const tooLong = await h.app.inject({
    method: 'PATCH',
    url: `/v1/capacity-changes/${id}`,
    payload: { duration: 'PT5H' },
  });
  t.equal(tooLong.statusCode, 422);
  t.equal(tooLong.json().code, 'END_REJECTED');
  t.match(tooLong.json().message, /longest window/);
  await h.app.inject({ method: 'POST', url: `/v1/capacity-changes/${id}/cancel`, payload: {} });
  await h.waitForWindow(id, 'COMPLETED', (s) => s.status === 'COMPLETED');
});

t.test('guardrails are checked again when a window starts', async (t) => {
  const res = await post({
    namespace: 'late.acct1',
    trus: 4,
    duration: 'PT2H',
    startAt: new Date(Date.now() + 1_500).toISOString(),
  });
  t.equal(res.statusCode, 202, 'the API still allowed it');
  const done = await h.waitForWindow(res.json().id, 'closed', (s) => s.status !== 'RUNNING');
  t.equal(done.phase, 'FAILED');
  t.match(done.result?.errors[0], /VALIDATE: NAMESPACE_DENIED/);
  t.equal(h.emulator.state.snapshot('late.acct1').updates.length, 0, 'nothing changed');
});

t.test('dry run: starts nothing, lists every problem, and its plan is what a real run then does', async (t) => {
  const ns = h.newNamespace();
  const before = updateCalls();
  const dry = await post({ namespace: ns, trus: 6, duration: 'PT2H', reason: 'plan' }, '?dryRun=true');
  t.equal(dry.statusCode, 200, dry.body);
  const plan = dry.json();
  t.match(plan, {
    dryRun: true,
    namespace: ns,
    current: { mode: 'ON_DEMAND' },
    validation: { ok: true, problems: [] },
    estimatedTruHours: 12,
  });
  t.same(
    plan.changes.map((c: { to: unknown }) => c.to),
    [{ mode: 'PROVISIONED', trus: 6 }, { mode: 'ON_DEMAND' }],
  );
  t.equal(Date.parse(plan.changes[1].at) - Date.parse(plan.changes[0].at), 2 * 3_600_000);
  t.equal(updateCalls(), before, 'no Cloud Ops change');
  t.equal((await h.capacity.readCapacity(ns)).current.mode, 'ON_DEMAND');
  const list = [];
  for await (const w of h.client.workflow.list({ query: `CapacityNamespace = '${ns}'` })) list.push(w);
  t.equal(list.length, 0, 'no workflow started');

  const bad = await post({ namespace: ns, trus: 5, duration: 'PT10M' }, '?dryRun=true');
  t.equal(bad.statusCode, 200);
  t.same(
    bad.json().validation.problems.map((p: { code: string }) => p.code),
    ['TRU_VALUE_NOT_ALLOWED', 'WINDOW_TOO_SHORT'],
  );

  const real = await post({ namespace: ns, trus: 6, duration: 'PT2H', reason: 'plan' });
  t.equal(real.statusCode, 202);
  const id = real.json().id;
  const active = await h.waitForWindow(id, 'ACTIVE', (s) => s.phase === 'ACTIVE');
  const overlapping = (await post({ namespace: ns, trus: 4, duration: 'PT1H' }, '?dryRun=true')).json();
  t.equal(overlapping.validation.ok, true, 'an overlapping window is no problem');
  t.same(
    overlapping.changes.map((c: { to: unknown }) => c.to),
    [
      { mode: 'PROVISIONED', trus: 6 },
      { mode: 'PROVISIONED', trus: 6 },
    ],
    'the running 6 covers it, start to end',
  );
  t.match(overlapping.changes[0].why, `held by ${id}`, 'the plan names the window that holds the namespace');
  await h.app.inject({ method: 'POST', url: `/v1/capacity-changes/${id}/cancel`, payload: {} });
  const done = await h.waitForWindow(id, 'COMPLETED', (s) => s.status === 'COMPLETED');
  t.same(done.result?.baseline, plan.current, 'the baseline the plan showed');
  t.same(done.result?.revertedTo, plan.changes[1].to, 'the revert the plan showed');
  t.ok(
    active.steps.some((s) => s.step === 'APPLY' && s.detail === '6 TRUs'),
    'the raise the plan showed',
  );
});
