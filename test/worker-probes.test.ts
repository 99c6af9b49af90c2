// The worker role's probes: /readyz follows whether the worker polls, /healthz only that the process answers.
import t from 'tap';
import { startWorkerProbes } from '../src/health/worker-probes.js';

t.test('/readyz is 200 only while the worker polls; /healthz always; nothing else is served', async (t) => {
  let polling = false;
  const probes = await startWorkerProbes({ host: '127.0.0.1', port: 0, polling: () => polling });
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
});
