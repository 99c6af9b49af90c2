// A Temporal server that has never heard of our search attributes: the service's API and worker, started side by
// side against it as two processes (the Kubernetes split), add them themselves at start, and a window goes from
// creation to a verified revert; the worker's /metrics shows what its activities counted. This test runs its OWN bare dev server: the shared one of `npm test` has them.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { Connection } from '@temporalio/client';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { resolveTemporalCli, startDevServer, type RunningDevServer } from '../../src/local/dev-server.js';
import {
  addSearchAttributesCommand,
  missingSearchAttributes,
  searchAttributesAcceptedByQuery,
} from '../../src/temporal/search-attributes.js';
import { requireEnv, waitFor } from '../helpers/harness.js';
import { httpRequest, waitForWindowOverHttp } from '../helpers/http.js';
import { freePort, spawnService, type ServiceProcess } from '../helpers/process.js';
import { sample } from '../helpers/prometheus.js';

const cli = resolveTemporalCli(process.env.TEMPORAL_CLI_PATH ?? null);
const cloudApiKey = `test-cloud-key-${randomBytes(12).toString('hex')}`;
let server: RunningDevServer;
let emulator: RunningEmulator;
const services: ServiceProcess[] = [];

async function registered(namespace: string): Promise<Record<string, unknown>> {
  const connection = await Connection.connect({ address: server.address });
  try {
    return (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
  } finally {
    await connection.close();
  }
}

async function acceptedByQuery(namespace: string): Promise<string[]> {
  const connection = await Connection.connect({ address: server.address });
  try {
    return await searchAttributesAcceptedByQuery(connection, namespace);
  } finally {
    await connection.close();
  }
}

t.before(async () => {
  server = await startDevServer({ cli, port: await freePort(), uiPort: await freePort() });
  emulator = await startEmulator({
    apiKey: cloudApiKey,
    namespaces: [],
    applyDelayMs: 300,
    tlsDir: requireEnv('EMULATOR_TLS_DIR'),
  });
});

t.teardown(async () => {
  await Promise.all(services.map((s) => s.kill()));
  await server?.stop();
  await emulator?.close();
});

t.test('the API and the worker add the missing search attributes at start, and a window completes', async (t) => {
  t.equal(missingSearchAttributes(await registered('default')).length, 7, 'the bare server has none of ours');
  const env = {
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: `sa-${randomBytes(6).toString('hex')}`,
    TEMPORAL_CLOUD_API_KEY: cloudApiKey,
    CLOUD_OPS_ADDRESS: emulator.grpcAddress,
    VERIFY_TIMEOUT: '30s',
    GUARDRAIL_MIN_WINDOW_DURATION: '0s',
    RATE_LIMIT_PER_MINUTE: '0',
  };
  const [apiPort, probePort] = [await freePort(), await freePort()];
  const api = spawnService({ ...env, ROLE: 'api', PORT: String(apiPort) });
  const worker = spawnService({ ...env, ROLE: 'worker', PORT: String(probePort) });
  services.push(api, worker);
  await Promise.all([api, worker].map((s) => s.waitForLine(/"capacity scheduler started"/, 90_000)));

  const added = [...api.lines, ...worker.lines].filter((l) => /added the missing custom search attributes/.test(l));
  t.ok(added.length >= 1, `a role logged what it added: ${added.join('\n')}`);
  t.same(missingSearchAttributes(await registered('default')), [], 'all of ours are registered now');

  const probes = `http://127.0.0.1:${probePort}`;
  const ready = await httpRequest(probes, 'GET', '/readyz');
  t.equal(ready.status, 200, `the worker role answers /readyz while it polls: ${ready.body}`);
  t.equal((await httpRequest(probes, 'GET', '/healthz')).status, 200, 'and /healthz');

  const baseUrl = `http://127.0.0.1:${apiPort}`;
  const ns = `sa${randomBytes(5).toString('hex')}.acct1`;
  emulator.state.addNamespace(ns);
  const created = await httpRequest(baseUrl, 'POST', '/v1/capacity-changes', {
    body: { namespace: ns, trus: 4, duration: 'PT3S', reason: 'bare server', requestedBy: 'sa-test' },
  });
  t.equal(created.status, 202, created.body);
  const id = (JSON.parse(created.body) as { id: string }).id;
  const done = await waitForWindowOverHttp(baseUrl, id, 'COMPLETED', (s) => s.status === 'COMPLETED', 60_000);
  t.equal(done.phase, 'COMPLETED', JSON.stringify(done.result?.errors));
  t.match(done.result, { verificationSuccess: true, reverted: true, revertVerificationSuccess: true, errors: [] });
  t.same(done.result?.revertedTo, { mode: 'ON_DEMAND' }, 'back to its baseline');
  t.same(
    emulator.state.snapshot(ns).updates.map((u) => u.spec.capacitySpec),
    [{ provisioned: { value: 4 } }, { onDemand: {} }],
    'Cloud Ops saw the apply and the revert',
  );
  // The activities ran in the worker process: their counters are in its registry, served on its probes port.
  const workerMetrics = await httpRequest(probes, 'GET', '/metrics');
  const apiMetrics = await httpRequest(baseUrl, 'GET', '/metrics');
  t.equal(workerMetrics.status, 200, 'the worker role serves /metrics without a token, as the API does');
  t.match(workerMetrics.headers['content-type'], /^text\/plain; version=0\.0\.4/, 'Prometheus text');
  t.equal(workerMetrics.headers['content-type'], apiMetrics.headers['content-type'], "the API's format");
  const attempts = (text: string, change: string) =>
    sample(text, 'capacity_scheduler_capacity_change_attempts_total', { change, outcome: 'ok' });
  t.equal(attempts(workerMetrics.body, 'apply'), 1, "the worker's applyCapacity counted the apply");
  t.equal(attempts(workerMetrics.body, 'revert'), 1, 'and the revert');
  t.equal(
    sample(workerMetrics.body, 'capacity_scheduler_cloud_ops_calls_total', {
      method: 'UpdateNamespace',
      outcome: 'ok',
    }),
    2,
    'its Cloud Ops client counted both UpdateNamespace calls',
  );
  t.equal(attempts(apiMetrics.body, 'apply'), undefined, "the API's /metrics never sees them: another process");

  // The listing filters through the search attributes the service added.
  const listed = await waitFor(
    'the window listed by its namespace',
    async () => {
      const res = await httpRequest(baseUrl, 'GET', `/v1/capacity-changes?namespace=${ns}`);
      const items = (JSON.parse(res.body) as { items?: Array<{ id: string }> }).items ?? [];
      return items.some((i) => i.id === id) ? items : undefined;
    },
    15_000,
  );
  t.equal(listed.length, 1, 'GET /v1/capacity-changes?namespace= finds it');

  worker.child.kill('SIGTERM');
  t.equal((await worker.exited).code, 0, 'the worker role stops cleanly on SIGTERM');
});

t.test(
  'the command printed for a server that refuses us adds exactly what is missing; queries see the difference',
  async (t) => {
    const namespace = `sa-cmd-${randomBytes(4).toString('hex')}`;
    const run = (args: string[]) => spawnSync(cli, args, { encoding: 'utf8' });
    const createNs = run(['operator', 'namespace', 'create', '--namespace', namespace, '--address', server.address]);
    t.equal(createNs.status, 0, createNs.stderr);
    const found = await waitFor(
      'the new namespace answers',
      () => registered(namespace).catch(() => undefined),
      15_000,
    );
    const missing = missingSearchAttributes(found);
    t.equal(missing.length, 7, 'it has none of ours');
    t.same(await acceptedByQuery(namespace), [], 'and a visibility query accepts none of them (the fallback sees so)');
    const command = addSearchAttributesCommand({ address: server.address }, namespace, missing);
    const [bin, ...args] = command.split(' ');
    t.equal(bin, 'temporal', command);
    const ran = run(args);
    t.equal(ran.status, 0, `${command}: ${ran.stderr}`);
    t.same(missingSearchAttributes(await registered(namespace)), [], 'nothing is missing after it ran');
    const all = missing.map((a) => a.name).sort();
    t.same(
      await waitFor(
        'queries accept them',
        async () => {
          const accepted = (await acceptedByQuery(namespace)).sort();
          return accepted.length === all.length ? accepted : undefined;
        },
        15_000,
      ),
      all,
      'and the fallback finds all of them through visibility queries',
    );
  },
);
