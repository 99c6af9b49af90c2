// The metrics plugin on the real app: requests become counters labelled by route pattern and status, and
// GET /metrics answers Prometheus text. The Temporal client is never called by these routes.
import t from 'tap';
import { createMetrics } from '../../src/metrics.js';
import { buildTestApp } from '../helpers/app.js';
import { sample } from '../helpers/prometheus.js';

t.test('requests are counted by route pattern and status; /metrics answers Prometheus text', async (t) => {
  const { app } = await buildTestApp(t, { metrics: createMetrics() });

  for (const ns of ['payments.a1b2c', 'batch.a1b2c', 'search.a1b2c']) {
    t.equal((await app.inject({ method: 'GET', url: `/v1/namespaces/${ns}/capacity` })).statusCode, 200);
  }
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  t.equal((await app.inject({ method: 'GET', url: '/no/such/route/abc123' })).statusCode, 404);
  t.equal((await app.inject({ method: 'GET', url: '/no/such/route/def456' })).statusCode, 404);
  t.equal((await app.inject({ method: 'POST', url: '/v1/capacity-changes', payload: { trus: 'x' } })).statusCode, 400);

  const res = await app.inject({ method: 'GET', url: '/metrics' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  const text = res.body;

  t.match(text, '# TYPE capacity_scheduler_http_requests_total counter');
  t.match(text, '# TYPE capacity_scheduler_http_request_duration_seconds histogram');
  t.equal(
    sample(text, 'capacity_scheduler_http_requests_total', {
      method: 'GET',
      route: '/v1/namespaces/:namespace/capacity',
      status_code: '200',
    }),
    3,
    'three namespaces, one route label: the pattern',
  );
  t.equal(
    sample(text, 'capacity_scheduler_http_requests_total', { method: 'GET', route: '/healthz', status_code: '200' }),
    1,
  );
  t.equal(
    sample(text, 'capacity_scheduler_http_requests_total', { method: 'GET', route: 'unmatched', status_code: '404' }),
    2,
    'unknown URLs share one label value',
  );
  t.equal(
    sample(text, 'capacity_scheduler_http_requests_total', {
      method: 'POST',
      route: '/v1/capacity-changes',
      status_code: '400',
    }),
    1,
  );
  t.equal(
    sample(text, 'capacity_scheduler_http_request_duration_seconds_count', {
      method: 'GET',
      route: '/v1/namespaces/:namespace/capacity',
      status_code: '200',
    }),
    3,
  );
  t.notMatch(text, 'payments.a1b2c', 'no raw URL in any label');
  t.notMatch(text, 'abc123');
  t.match(text, /^process_cpu_seconds_total /m, 'default process metrics are included');
  t.match(text, /^nodejs_heap_size_used_bytes /m);
  // Every metric of ours is declared with HELP and TYPE (the exposition format's contract).
  for (const name of ['cloud_ops_calls_total', 'verifications_total', 'revert_retries_total', 'slack_sends_total']) {
    t.match(text, `# TYPE capacity_scheduler_${name} counter`);
  }

  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
  t.notOk('/metrics' in doc.paths, '/metrics is hidden from the OpenAPI document');
});

t.test('without metrics in the deps there is no /metrics route', async (t) => {
  const { app } = await buildTestApp(t);
  t.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 404);
});
