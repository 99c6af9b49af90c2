// The worker role's probes: /readyz follows whether the worker polls, /healthz only that the process answers,
// /metrics serves the registry it was given.
import t from 'tap';
import { startWorkerProbes } from '../src/health/worker-probes.js';
import { createMetrics } from '../src/metrics.js';
import { sample } from './helpers/prometheus.js';

t.test('/readyz is 200 only while the worker polls; /healthz always; nothing else is served', async (t) => {
  let polling = false;
  const probes = await startWorkerProbes({
    host: '127.0.0.1',
    port: 0,
    polling: () => polling,
    metrics: createMetrics(),
  });
  t.teardown(() => probes.close());
  const get = async (path: string, method = 'GET') => {
    const res = await fetch(`${probes.url}${path}`, { method });
    return { status: res.status, body: await res.text() };
  };
  t.same(await get('/readyz'), { status: 503, body: '{"status":"unavailable"}' }, 'starting: not ready');
  t.same(await get('/healthz'), { status: 200, body: '{"status":"ok"}' }, 'but alive');
  polling = true;
  t.same(await get('/readyz'), { status: 200, body: '{"status":"ready"}' }, 'polling: ready');
  polling = false;
  t.equal((await get('/readyz')).status, 503, 'draining: not ready again');
  t.equal((await get('/v1/capacity-changes')).status, 404, 'no API on the worker');
  t.equal((await get('/healthz', 'POST')).status, 405);
  t.equal((await get('/metrics', 'POST')).status, 405);
});

t.test('/metrics serves the registry it was given, as Prometheus text, without a token', async (t) => {
  const metrics = createMetrics();
  const probes = await startWorkerProbes({ host: '127.0.0.1', port: 0, polling: () => true, metrics });
  t.teardown(() => probes.close());
  metrics.slackSends.inc({ outcome: 'sent' }, 2);
  metrics.driftDetected.inc({ namespace: 'prod.acct1', policy: 'enforce' });
  const res = await fetch(`${probes.url}/metrics`);
  t.equal(res.status, 200);
  t.equal(res.headers.get('content-type'), metrics.registry.contentType, "Prometheus text, the API's content type");
  const text = await res.text();
  t.equal(
    sample(text, 'capacity_scheduler_slack_sends_total', { outcome: 'sent' }),
    2,
    'the counters of this registry',
  );
  t.equal(sample(text, 'capacity_scheduler_drift_detected_total', { namespace: 'prod.acct1', policy: 'enforce' }), 1);
  t.ok(sample(text, 'process_cpu_user_seconds_total')! >= 0, "and the process's default metrics");
  t.equal(sample(text, 'capacity_scheduler_windows', { phase: 'ACTIVE' }), undefined);
  metrics.slackSends.inc({ outcome: 'sent' });
  const again = await (await fetch(`${probes.url}/metrics`)).text();
  t.equal(sample(again, 'capacity_scheduler_slack_sends_total', { outcome: 'sent' }), 3, 'read at each scrape');
});
