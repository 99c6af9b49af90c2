// Budget-safe probes (issue 23) and a /readyz that means something (issue 18), against the real dev server and
// the emulator over real gRPC: probes answer from a background check, and only an authenticated call counts.
import t from 'tap';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';

const ALLOWED = 'probes.acct1';

t.test('a flood of /readyz and /metrics adds no Cloud Ops call; reads stay within the allowlist', async (t) => {
  // An hour between refreshes: any Cloud Ops call during the flood would come from the requests themselves.
  const h = await startHarness({
    env: { HEALTH_REFRESH_INTERVAL: '1h', GUARDRAIL_NAMESPACE_ALLOWLIST: ALLOWED },
    startWorker: false,
  });
  t.teardown(() => h.close());
  h.emulator.state.addNamespace(ALLOWED);

  const ready = await h.app.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.statusCode, 200, ready.body);
  t.match(ready.json(), { status: 'ready', checks: { temporal: 'ok', cloudOps: 'ok' }, problems: [] });
  t.ok(
    h.emulator.state.callLog.some((c) => c.method === 'GetCurrentIdentity'),
    'the check was an authenticated GetCurrentIdentity',
  );

  await waitFor('the first window count', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/metrics' });
    return /^capacity_scheduler_windows\{/m.test(r.body) ? true : undefined;
  });
  const before = h.emulator.state.callCount;
  const flood = await Promise.all([
    ...Array.from({ length: 300 }, () => h.app.inject({ method: 'GET', url: '/readyz' })),
    ...Array.from({ length: 100 }, () => h.app.inject({ method: 'GET', url: '/metrics' })),
  ]);
  t.ok(
    flood.every((r) => r.statusCode === 200),
    'every probe and scrape answered 200',
  );
  t.equal(h.emulator.state.callCount, before, 'the emulator received no Cloud Ops call during the flood');
  const last = flood[0].json();
  t.ok(typeof last.ageSeconds === 'number' && last.ageSeconds >= 0, `/readyz shows its age (${last.ageSeconds} s)`);
  const scrape = flood[flood.length - 1].body;
  t.match(scrape, /^capacity_scheduler_windows\{phase="ACTIVE"\} \d+$/m, 'window counts are served');
  t.match(scrape, /^capacity_scheduler_windows_count_age_seconds [0-9.e-]+$/m, 'with their age');

  const outside = await h.app.inject({ method: 'GET', url: '/v1/namespaces/other.acct1/capacity' });
  t.equal(outside.statusCode, 403, outside.body);
  t.equal(outside.json().code, 'NAMESPACE_NOT_ALLOWED');
  t.equal(h.emulator.state.callCount, before, 'a read outside the allowlist calls no Cloud Ops');
  // The API's reads run on the worker's rate-limited task queue (budgeted-reads.test.ts): a worker runs them.
  await h.startWorker();
  const inside = await h.app.inject({ method: 'GET', url: `/v1/namespaces/${ALLOWED}/capacity` });
  t.equal(inside.statusCode, 200, inside.body);
  t.equal(h.emulator.state.callCount, before + 2, 'a read inside it does (GetNamespace + capacity info)');
});

t.test(
  'the background check runs every HEALTH_REFRESH_INTERVAL; a refused call is "unavailable", with why',
  async (t) => {
    const h: Harness = await startHarness({ env: { HEALTH_REFRESH_INTERVAL: '200ms' }, startWorker: false });
    t.teardown(() => h.close());
    const identityCalls = () => h.emulator.state.callLog.filter((c) => c.method === 'GetCurrentIdentity').length;
    const first = identityCalls();
    await waitFor('three more background checks', () => (identityCalls() >= first + 3 ? true : undefined), 10_000);

    // A refused version header used to count as "up" (any answer but UNAVAILABLE did).
    h.emulator.state.injectFault({ rpc: 'GetCurrentIdentity', code: 'INVALID_ARGUMENT', count: 1_000 });
    const refused = await waitFor('/readyz unavailable', async () => {
      const r = await h.app.inject({ method: 'GET', url: '/readyz' });
      return r.statusCode === 503 ? r : undefined;
    });
    t.match(refused.json(), {
      status: 'unavailable',
      checks: { temporal: 'ok', cloudOps: 'unavailable' },
      problems: [/INVALID_ARGUMENT, check CLOUD_OPS_API_VERSION/],
    });

    h.emulator.state.injectFault({ rpc: 'GetCurrentIdentity', code: 'UNAUTHENTICATED', count: 1_000 });
    await waitFor('/readyz names the refused key', async () => {
      const r = await h.app.inject({ method: 'GET', url: '/readyz' });
      return /refused TEMPORAL_CLOUD_API_KEY/.test(r.body) ? r : undefined;
    });
    t.pass('a refused key is named');

    h.emulator.state.clearFaults();
    const back = await waitFor('/readyz ready again', async () => {
      const r = await h.app.inject({ method: 'GET', url: '/readyz' });
      return r.statusCode === 200 ? r : undefined;
    });
    t.match(back.json(), { status: 'ready', problems: [] });
    t.ok(back.json().ageSeconds < 5, 'a fresh check');
  },
);
