// The HTTP contract against the real stack: a real Temporal server, the emulator, a real worker.
import t from 'tap';
import { CLOUD_OPS_READ_WORKFLOW } from '../../src/shared/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
t.before(async () => {
  h = await startHarness({ applyDelayMs: 300 });
});
t.teardown(() => h.close());

const post = (payload: unknown, headers: Record<string, string> = {}) =>
  h.app.inject({
    method: 'POST',
    url: '/v1/capacity-changes',
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });

/** Windows, controllers and budgets: the API's Cloud Ops reads (a TRU check) are workflows on the queue too. */
async function workflowsOnQueue(): Promise<number> {
  const query = `TaskQueue = '${h.config.temporal.taskQueue}' AND WorkflowType != '${CLOUD_OPS_READ_WORKFLOW}'`;
  let n = 0;
  for await (const _ of h.client.workflow.list({ query })) n++;
  return n;
}

t.test('bad input: a 4xx with a stable code, nothing started, nothing changed in the emulator', async (t) => {
  const ns = h.newNamespace();
  const past = new Date(Date.now() - 60_000).toISOString();
  const cases: Array<[string, unknown, number, string]> = [
    ['trus as a string', { namespace: ns, trus: '4', duration: 'PT1H' }, 400, 'VALIDATION_FAILED'],
    ['namespace as a number', { namespace: 42, trus: 4 }, 400, 'VALIDATION_FAILED'],
    ['an unknown field', { namespace: ns, trus: 4, duration: 'PT1H', extra: 1 }, 400, 'VALIDATION_FAILED'],
    [
      'both duration and endAt',
      { namespace: ns, trus: 4, duration: 'PT1H', endAt: new Date(Date.now() + 3_600_000).toISOString() },
      400,
      'CONFLICTING_END',
    ],
    ['endAt in the past', { namespace: ns, trus: 4, endAt: past }, 422, 'END_NOT_IN_FUTURE'],
    ['a malformed duration', { namespace: ns, trus: 4, duration: 'two hours' }, 400, 'INVALID_DURATION'],
    ['an empty namespace', { namespace: '', trus: 4 }, 400, 'VALIDATION_FAILED'],
    ['a malformed namespace', { namespace: 'Not A Namespace', trus: 4 }, 400, 'VALIDATION_FAILED'],
    ['TRU 0', { namespace: ns, trus: 0 }, 400, 'VALIDATION_FAILED'],
    ['TRU -2', { namespace: ns, trus: -2 }, 400, 'VALIDATION_FAILED'],
    ['TRU 5 (not a valid tier)', { namespace: ns, trus: 5, duration: 'PT1H' }, 422, 'TRU_VALUE_NOT_ALLOWED'],
    ['TRU huge', { namespace: ns, trus: 1e9 }, 400, 'VALIDATION_FAILED'],
    ['an oversized reason', { namespace: ns, trus: 4, reason: 'x'.repeat(501) }, 400, 'VALIDATION_FAILED'],
    ['invalid JSON', '{"namespace":', 400, 'INVALID_JSON'],
    ['an unknown namespace', { namespace: 'nosuch.acct1', trus: 4, duration: 'PT1H' }, 404, 'NAMESPACE_NOT_FOUND'],
  ];
  for (const [name, body, statusCode, code] of cases) {
    const res = await post(body);
    t.equal(res.statusCode, statusCode, `${name}: status`);
    t.match(res.json(), { statusCode, code, error: String, message: String }, `${name}: error shape and code`);
  }
  const trus5 = (await post({ namespace: ns, trus: 5, duration: 'PT1H' })).json();
  t.match(trus5.message, /2, 3, 4, 6, 8, 10, 12/, 'the message lists the valid values');
  t.equal(h.emulator.state.snapshot(ns).updates.length, 0, 'the emulator saw no change');
  t.equal(
    h.emulator.state.callLog.filter((c) => c.method === 'UpdateNamespace').length,
    0,
    'no UpdateNamespace call at all',
  );
  t.equal(await workflowsOnQueue(), 0, 'no workflow was started');
});

t.test('a second window on a busy namespace is accepted as an overlap; unknown ids are 404', async (t) => {
  const ns = h.newNamespace();
  const first = await post({ namespace: ns, trus: 4, duration: 'PT1S' });
  t.equal(first.statusCode, 202);
  const second = await post({ namespace: ns, trus: 6, duration: 'PT1H' });
  t.equal(second.statusCode, 202, second.body);
  t.not(second.json().id, first.json().id, 'a new window has a new id');

  const { id } = first.json();
  await h.waitForWindow(id, 'COMPLETED', (s) => s.status === 'COMPLETED');
  await h.app.inject({
    method: 'POST',
    url: `/v1/capacity-changes/${encodeURIComponent(second.json().id)}/cancel`,
    payload: {},
  });
  await h.waitForWindow(second.json().id, 'COMPLETED', (s) => s.status === 'COMPLETED');
  t.equal((await h.windowStatus(id)).status, 'COMPLETED', 'the first window stays readable by its id');

  const unknownRun = `${ns}_0123456789abcdef~00000000-0000-4000-8000-000000000000`;
  for (const bad of [unknownRun, 'nope', encodeURIComponent('../../etc')]) {
    const res = await h.app.inject({ method: 'GET', url: `/v1/capacity-changes/${bad}` });
    t.equal(res.statusCode, 404, `GET ${bad}`);
    t.equal(res.json().code, 'WINDOW_NOT_FOUND');
  }
  const unknownNs = await h.app.inject({ method: 'GET', url: '/v1/namespaces/nosuch.acct1/capacity' });
  t.equal(unknownNs.statusCode, 404);
  t.equal(unknownNs.json().code, 'NAMESPACE_NOT_FOUND');
});

t.test('Swagger UI, the OpenAPI document and the probes', async (t) => {
  const docs = await h.app.inject({ method: 'GET', url: '/docs' });
  t.ok([200, 302].includes(docs.statusCode), `/docs answers (${docs.statusCode})`);
  const page = await h.app.inject({ method: 'GET', url: '/docs/' });
  t.equal(page.statusCode, 200);
  t.match(page.body, /swagger/i);
  const spec = await h.app.inject({ method: 'GET', url: '/openapi.json' });
  t.equal(spec.statusCode, 200);
  t.ok(spec.json().paths['/v1/capacity-changes'], 'the document lists the routes');
  t.equal((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  const ready = await h.app.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.statusCode, 200, ready.body);
  t.match(ready.json(), { checks: { temporal: 'ok', cloudOps: 'ok' } });
});
