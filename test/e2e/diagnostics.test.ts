// The preflight end to end: GET /v1/diagnostics and `capacityctl doctor` (the package's bin) against the real
// app, the Temporal dev server and the Cloud Ops emulator over real gRPC. It passes on `npm start`'s local stack and
// fails, naming the problem and its fix, with a wrong Cloud Ops key and on a namespace without our search attributes.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import t, { type Test } from 'tap';
import { buildApp } from '../../src/api/app.js';
import { CapacityService } from '../../src/cloud-ops/capacity.js';
import { CloudOps } from '../../src/cloud-ops/client.js';
import type { Config } from '../../src/config.js';
import type { CapacityReader } from '../../src/cloud-ops/types.js';
import { resolveTemporalCli } from '../../src/local/dev-server.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { freePort, spawnService } from '../helpers/process.js';

const ALLOWED = 'diag.acct1';
const run = promisify(execFile);

let h: Harness;
t.before(async () => {
  h = await startHarness({ env: { GUARDRAIL_NAMESPACE_ALLOWLIST: ALLOWED } });
  h.emulator.state.addNamespace(ALLOWED);
});
t.teardown(() => h.close());

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function doctor(url: string, args: string[] = []): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/capacityctl.js', 'doctor', ...args], {
      env: { ...process.env, CAPACITY_SCHEDULER_URL: url },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Another API in front of the same dev server and emulator, built from other parts (a key, a namespace). */
async function otherApi(t: Test, parts: { config?: Config; temporal?: Client; capacity?: CapacityReader }) {
  const app = await buildApp({
    config: parts.config ?? h.config,
    logger: h.logger,
    temporal: parts.temporal ?? h.client,
    capacity: parts.capacity ?? h.capacity,
  });
  t.teardown(() => app.close());
  return app.listen({ port: 0, host: '127.0.0.1' });
}

t.test('GET /v1/diagnostics: every check passes on a sound setup, and says what it saw', async (t) => {
  const res = await h.app.inject({ method: 'GET', url: '/v1/diagnostics' });
  t.equal(res.statusCode, 200, res.body);
  const body = res.json();
  t.equal(body.ok, true, JSON.stringify(body.checks, null, 1));
  t.same(
    body.checks.map((c: { name: string }) => c.name),
    ['temporal', 'searchAttributes', 'cloudOpsKey', 'cloudOpsApiVersion', `namespace ${ALLOWED}`, 'slack'],
  );
  t.match(body.checks[4].detail, /changeable \(account role admin\)/);
  t.notMatch(res.body, h.secrets.slackWebhookUrl.split('/').pop()!, 'the webhook URL is never shown');
  t.notMatch(res.body, h.secrets.cloudApiKey, 'nor the key');
  t.same(h.slack.messages, [{}], 'Slack was asked with an empty message, which shows nothing');

  const other = await h.app.inject({ method: 'GET', url: '/v1/diagnostics?namespace=other.acct1&slackTest=true' });
  t.match(other.json(), {
    ok: false,
    checks: [{}, {}, {}, {}, { name: 'namespace other.acct1', ok: false, fix: /GUARDRAIL_NAMESPACE_ALLOWLIST/ }, {}],
  });
  t.match(h.slack.messages[1], { text: /preflight: a test message/ }, 'slackTest=true posts a visible message');
  const bad = await h.app.inject({ method: 'GET', url: '/v1/diagnostics?namespace=NOT_A_NAMESPACE' });
  t.equal(bad.statusCode, 400, 'a malformed namespace is refused');
});

t.test('capacityctl doctor fails with a wrong Cloud Ops key, naming it and the fix', async (t) => {
  const wrongKey = `wrong-${randomBytes(8).toString('hex')}`;
  const ops = CloudOps.create({ address: h.emulator.grpcAddress, apiKey: wrongKey, apiVersion: 'v0.19.1' });
  t.teardown(() => ops.close());
  const url = await otherApi(t, { capacity: new CapacityService(ops) });
  const r = await doctor(url);
  t.equal(r.code, 1, 'exits 1');
  t.match(r.stdout, /\[FAIL\] cloudOpsKey: Cloud Ops API: UNAUTHENTICATED, the API refused TEMPORAL_CLOUD_API_KEY/);
  t.match(r.stdout, /fix: set TEMPORAL_CLOUD_API_KEY to a valid, unexpired Cloud Ops API key/);
  t.match(r.stdout, /\[ok\] temporal:/, 'the other checks still run');
  t.match(r.stdout, /checks failed$/m);
  t.notMatch(r.stdout, wrongKey, 'the key is never printed');
});

t.test('capacityctl doctor fails on a namespace without our search attributes; its fix command works', async (t) => {
  const bare = `diag-bare-${randomBytes(4).toString('hex')}`;
  const temporalCli = resolveTemporalCli(process.env.TEMPORAL_CLI_PATH ?? null);
  await run(temporalCli, [
    'operator',
    'namespace',
    'create',
    '--address',
    h.config.temporal.address!,
    '--namespace',
    bare,
  ]);
  const config: Config = { ...h.config, temporal: { ...h.config.temporal, namespace: bare } };
  const temporal = new Client({ connection: h.client.connection, namespace: bare });
  const url = await otherApi(t, { config, temporal });
  const r = await waitFor('the new namespace described', async () => {
    const run = await doctor(url);
    return /\[ok\] temporal:/.test(run.stdout) ? run : undefined;
  });
  t.equal(r.code, 1, 'exits 1');
  t.match(r.stdout, new RegExp(`\\[FAIL\\] searchAttributes: missing on ${bare}: CapacityNamespace, CapacityTrus`));
  const fix = /fix: (temporal operator search-attribute create .*)$/m.exec(r.stdout)?.[1];
  t.ok(fix, 'the fix is a temporal CLI command');
  t.match(fix, `--address ${h.config.temporal.address} --namespace ${bare}`);

  // The exact command, run as printed, is the whole fix.
  await run(temporalCli, fix!.split(' ').slice(1));
  const fixed = await waitFor('the attributes visible', async () => {
    const run = await doctor(url);
    return run.code === 0 ? run : undefined;
  });
  t.match(fixed.stdout, /\[ok\] searchAttributes: all 7 custom search attributes exist/);
});

t.test("capacityctl doctor passes on npm start's local stack, which logs the same checklist", async (t) => {
  const port = await freePort();
  const service = spawnService(
    {
      TEMPORAL_ADDRESS: '',
      TEMPORAL_CLOUD_API_KEY: '',
      AUTH_DISABLED: '',
      PORT: String(port),
      TEMPORAL_DEV_SERVER_PORT: String(await freePort()),
      TEMPORAL_DEV_SERVER_UI_PORT: String(await freePort()),
      EMULATOR_CONTROL_PORT: String(await freePort()),
    },
    { ownGroup: true },
  );
  t.teardown(() => service.kill());
  const logged = await service.waitForLine(/preflight \(same as capacityctl doctor\)/, 90_000);
  t.match(logged, /all 8 checks passed/, 'the start-up log says every check passed');
  const r = await doctor(`http://127.0.0.1:${port}`);
  t.equal(r.code, 0, `exits 0\n${r.stdout}${r.stderr}`);
  t.match(r.stdout, /all 8 checks passed/);
  t.match(r.stdout, /\[ok\] namespace payments\.a1b2c: readable and changeable/);
  service.interrupt();
  t.equal((await service.exited).code, 0, 'stops cleanly');
});
