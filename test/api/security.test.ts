// Least privilege (scopes, namespace-limited tokens), trusted-proxy authentication, the throttle on failed
// authentications, Host/Origin and write-intent checks, and the token file's mode, against the real app with stub
// dependencies that record every start and signal. test/e2e/security.test.ts proves the same against Temporal.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { checkExposure, loadConfig, tokenSha256 } from '../../src/config.js';
import { buildTestApp, RUN_ID } from '../helpers/app.js';

const WINDOW_ID = `payments.a1b2c_0123456789abcdef~${RUN_ID}`;
const dir = mkdtempSync(path.join(tmpdir(), 'security-test-'));
function writeJson(name: string, content: unknown, mode = 0o600): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(content));
  chmodSync(file, mode);
  return file;
}

const TOKENS = {
  noCancel: 'no-cancel-token-0123456789abcdef0123456789',
  batchOnly: 'batch-only-token-0123456789abcdef012345678',
  paymentsOnly: 'payments-only-token-0123456789abcdef01234',
  legacy: 'legacy-write-token-0123456789abcdef0123456',
};
const tokensFile = writeJson('tokens.json', [
  { name: 'no-cancel', scopes: ['capacity:read', 'windows:create'], sha256: tokenSha256(TOKENS.noCancel) },
  {
    name: 'batch-only',
    scopes: ['capacity:read', 'capacity:write'],
    namespaces: ['batch.a1b2c'],
    sha256: tokenSha256(TOKENS.batchOnly),
  },
  {
    name: 'payments-only',
    scopes: ['capacity:read', 'windows:create', 'windows:cancel'],
    namespaces: ['payments.*'],
    sha256: tokenSha256(TOKENS.paymentsOnly),
  },
  { name: 'legacy', scopes: ['capacity:read', 'capacity:write'], sha256: tokenSha256(TOKENS.legacy) },
]);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const running = {
  status: 'RUNNING',
  memo: {
    window: { namespace: 'payments.a1b2c', trus: 4, requestedBy: 'alice', reason: null },
    progress: { phase: 'ACTIVE', startAt: '2030-01-01T00:00:00.000Z', endAt: null, steps: [], revertBlocked: null },
  },
};
const create = (namespace: string) => ({ namespace, trus: 4, duration: 'PT2H', reason: 'peak' });
const app = (t: Test, env: Record<string, string>) =>
  buildTestApp(t, { env: { RATE_LIMIT_PER_MINUTE: '0', ...env }, execution: running });

function code(t: Test, res: { statusCode: number; body: string }, status: number, expected: string) {
  t.equal(res.statusCode, status, `${expected}: ${res.body}`);
  t.equal(JSON.parse(res.body).code, expected);
}

t.test('capacity:write of an older token file means every write scope', async (t) => {
  const tokens = loadConfig({ API_TOKENS_FILE: tokensFile }).auth.tokens;
  t.same(tokens.find((x) => x.name === 'legacy')?.scopes, [
    'capacity:read',
    'windows:create',
    'windows:cancel',
    'schedules:write',
  ]);
  const { app: a, starts, signals, schedules } = await app(t, { API_TOKENS_FILE: tokensFile });
  const auth = bearer(TOKENS.legacy);
  t.equal(
    (await a.inject({ method: 'POST', url: '/v1/capacity-changes', payload: create('payments.a1b2c'), headers: auth }))
      .statusCode,
    202,
  );
  t.equal(
    (await a.inject({ method: 'POST', url: `/v1/capacity-changes/${WINDOW_ID}/cancel`, payload: {}, headers: auth }))
      .statusCode,
    202,
  );
  const schedule = { ...create('payments.a1b2c'), cron: '0 8 * * 1-5' };
  t.equal(
    (await a.inject({ method: 'POST', url: '/v1/capacity-schedules', payload: schedule, headers: auth })).statusCode,
    201,
  );
  t.equal(starts.length + signals.length + schedules.length, 3, 'create, cancel and schedule all went through');
});

t.test('a token without windows:cancel cannot cancel, and the window gets no signal', async (t) => {
  const { app: a, signals } = await app(t, { API_TOKENS_FILE: tokensFile });
  const res = await a.inject({
    method: 'POST',
    url: `/v1/capacity-changes/${WINDOW_ID}/cancel`,
    payload: { reason: 'x' },
    headers: bearer(TOKENS.noCancel),
  });
  code(t, res, 403, 'FORBIDDEN_SCOPE');
  t.match(JSON.parse(res.body).message, /windows:cancel/);
  t.equal(signals.length, 0, 'no cancel signal was sent');
  code(
    t,
    await a.inject({
      method: 'POST',
      url: '/v1/capacity-schedules',
      payload: { ...create('payments.a1b2c'), cron: '0 8 * * *' },
      headers: bearer(TOKENS.noCancel),
    }),
    403,
    'FORBIDDEN_SCOPE',
  );
});

t.test('a token limited to one namespace can neither read nor change another', async (t) => {
  const { app: a, starts, signals, reads } = await app(t, { API_TOKENS_FILE: tokensFile });
  const auth = bearer(TOKENS.batchOnly);
  // The stub's window is on payments.a1b2c.
  code(
    t,
    await a.inject({ method: 'GET', url: `/v1/capacity-changes/${WINDOW_ID}`, headers: auth }),
    403,
    'FORBIDDEN_NAMESPACE',
  );
  code(
    t,
    await a.inject({ method: 'POST', url: `/v1/capacity-changes/${WINDOW_ID}/cancel`, payload: {}, headers: auth }),
    403,
    'FORBIDDEN_NAMESPACE',
  );
  code(
    t,
    await a.inject({
      method: 'PATCH',
      url: `/v1/capacity-changes/${WINDOW_ID}`,
      payload: { duration: 'PT9H' },
      headers: auth,
    }),
    403,
    'FORBIDDEN_NAMESPACE',
  );
  code(
    t,
    await a.inject({ method: 'POST', url: '/v1/capacity-changes', payload: create('payments.a1b2c'), headers: auth }),
    403,
    'FORBIDDEN_NAMESPACE',
  );
  code(
    t,
    await a.inject({
      method: 'POST',
      url: '/v1/capacity-changes?dryRun=true',
      payload: create('payments.a1b2c'),
      headers: auth,
    }),
    403,
    'FORBIDDEN_NAMESPACE',
  );
  code(
    t,
    await a.inject({ method: 'GET', url: '/v1/namespaces/payments.a1b2c/capacity', headers: auth }),
    403,
    'FORBIDDEN_NAMESPACE',
  );
  code(t, await a.inject({ method: 'GET', url: '/v1/capacity-changes', headers: auth }), 403, 'FORBIDDEN_NAMESPACE');
  code(
    t,
    await a.inject({ method: 'GET', url: '/v1/capacity-changes?namespace=payments.a1b2c', headers: auth }),
    403,
    'FORBIDDEN_NAMESPACE',
  );
  t.equal(starts.length + signals.length, 0, 'nothing was started or signalled');
  t.same(reads, [], 'no Cloud Ops read was made for the other namespace');

  t.equal(
    (await a.inject({ method: 'GET', url: '/v1/capacity-changes?namespace=batch.a1b2c', headers: auth })).statusCode,
    200,
  );
  t.equal(
    (await a.inject({ method: 'POST', url: '/v1/capacity-changes', payload: create('batch.a1b2c'), headers: auth }))
      .statusCode,
    202,
    'its own namespace works',
  );
  const globbed = bearer(TOKENS.paymentsOnly);
  t.equal(
    (await a.inject({ method: 'GET', url: `/v1/capacity-changes/${WINDOW_ID}`, headers: globbed })).statusCode,
    200,
    'payments.* matches',
  );
  t.equal(
    (await a.inject({ method: 'POST', url: `/v1/capacity-changes/${WINDOW_ID}/cancel`, payload: {}, headers: globbed }))
      .statusCode,
    202,
  );
});

t.test('trusted proxy: the user header counts only from the proxy addresses', async (t) => {
  const roles = writeJson('roles.json', [
    { user: 'alice@example.com', scopes: ['capacity:read'] },
    { group: 'sre', scopes: ['capacity:write'], namespaces: ['payments.*'] },
  ]);
  const env = { TRUSTED_PROXY_ADDRESSES: '127.0.0.1,10.20.0.0/16', TRUSTED_PROXY_ROLES_FILE: roles };
  const { app: a, starts, signals, logLines } = await app(t, env);
  const asAlice = { 'x-forwarded-user': 'alice@example.com', 'x-forwarded-groups': 'eng, sre' };

  const post = await a.inject({
    method: 'POST',
    url: '/v1/capacity-changes',
    payload: create('payments.a1b2c'),
    headers: asAlice,
  });
  t.equal(post.statusCode, 202, post.body);
  t.equal(starts[0].options.args[0].requestedBy, 'alice@example.com', 'requestedBy is the proxy user');
  t.match(starts[0].options.memo.created, { by: 'alice@example.com', requestId: post.headers['x-request-id'] });
  const audit = logLines.map((l) => JSON.parse(l)).find((l) => l.audit === true);
  t.match(
    audit,
    { action: 'create', by: 'alice@example.com', requestId: post.headers['x-request-id'] },
    'audit log line',
  );

  const fromCidr = await a.inject({
    method: 'GET',
    url: `/v1/capacity-changes/${WINDOW_ID}`,
    headers: asAlice,
    remoteAddress: '10.20.3.4',
  });
  t.equal(fromCidr.statusCode, 200, 'an address inside a proxy CIDR is the proxy');
  for (const remoteAddress of ['10.21.0.1', '192.168.1.9']) {
    const res = await a.inject({
      method: 'POST',
      url: '/v1/capacity-changes',
      payload: create('payments.a1b2c'),
      headers: asAlice,
      remoteAddress,
    });
    code(t, res, 401, 'UNAUTHENTICATED');
  }
  code(t, await a.inject({ method: 'GET', url: `/v1/capacity-changes/${WINDOW_ID}` }), 401, 'UNAUTHENTICATED');
  const noGroup = { 'x-forwarded-user': 'alice@example.com' };
  code(
    t,
    await a.inject({ method: 'POST', url: `/v1/capacity-changes/${WINDOW_ID}/cancel`, payload: {}, headers: noGroup }),
    403,
    'FORBIDDEN_SCOPE',
  );
  code(
    t,
    await a.inject({ method: 'POST', url: '/v1/capacity-changes', payload: create('batch.a1b2c'), headers: asAlice }),
    403,
    'FORBIDDEN_NAMESPACE',
  );
  t.equal(starts.length, 1, 'only the request through the proxy started a window');
  t.equal(signals.length, 0);

  // The same header, with the proxy list bound elsewhere: inject's own address (127.0.0.1) is not the proxy.
  const elsewhere = await app(t, { ...env, TRUSTED_PROXY_ADDRESSES: '10.9.0.0/16' });
  code(
    t,
    await elsewhere.app.inject({
      method: 'POST',
      url: '/v1/capacity-changes',
      payload: create('payments.a1b2c'),
      headers: asAlice,
    }),
    401,
    'UNAUTHENTICATED',
  );
  t.equal(elsewhere.starts.length, 0);
  t.throws(() => loadConfig({ TRUSTED_PROXY_ADDRESSES: '127.0.0.1' }), /TRUSTED_PROXY_ROLES_FILE must be set/);
  t.throws(
    () => loadConfig({ ...env, TRUSTED_PROXY_ADDRESSES: 'proxy.internal' }),
    /TRUSTED_PROXY_ADDRESSES holds "proxy.internal"/,
  );
  t.throws(() => loadConfig({ ...env, API_TOKENS_FILE: tokensFile }), /choose one/);
});

t.test('failed authentications are throttled per client address', async (t) => {
  const { app: a } = await app(t, { API_TOKENS_FILE: tokensFile, AUTH_FAILURES_PER_MINUTE: '3' });
  const get = (token: string, remoteAddress: string) =>
    a.inject({ method: 'GET', url: `/v1/capacity-changes/${WINDOW_ID}`, headers: bearer(token), remoteAddress });
  for (let i = 0; i < 3; i++) code(t, await get(`guess-${i}`, '10.0.0.7'), 401, 'UNAUTHENTICATED');
  const throttled = await get(TOKENS.legacy, '10.0.0.7');
  code(t, throttled, 429, 'AUTH_THROTTLED');
  t.ok(Number(throttled.headers['retry-after']) > 0, 'with Retry-After');
  t.equal((await get(TOKENS.legacy, '10.0.0.8')).statusCode, 200, 'another address is not throttled');
});

t.test('without bearer tokens, a foreign Host or Origin and an intent-less write are refused', async (t) => {
  const { app: a, starts, signals } = await app(t, {});
  code(
    t,
    await a.inject({
      method: 'POST',
      url: '/v1/capacity-changes',
      payload: create('payments.a1b2c'),
      headers: { origin: 'https://evil.example' },
    }),
    403,
    'ORIGIN_NOT_ALLOWED',
  );
  code(
    t,
    await a.inject({
      method: 'GET',
      url: `/v1/capacity-changes/${WINDOW_ID}`,
      headers: { host: 'rebind.evil.example:8080' },
    }),
    403,
    'HOST_NOT_ALLOWED',
  );
  code(t, await a.inject({ method: 'POST', url: `/v1/capacity-changes/${WINDOW_ID}/cancel` }), 415, 'INTENT_REQUIRED');
  const form = await a.inject({
    method: 'POST',
    url: `/v1/capacity-changes/${WINDOW_ID}/cancel`,
    payload: 'reason=x',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  code(t, form, 415, 'UNSUPPORTED_MEDIA_TYPE');
  t.equal(starts.length + signals.length, 0, 'nothing was started or signalled');

  const same = await a.inject({
    method: 'POST',
    url: `/v1/capacity-changes/${WINDOW_ID}/cancel`,
    headers: { origin: 'http://127.0.0.1:8080', host: '127.0.0.1:8080', 'x-requested-with': 'capacityctl' },
  });
  t.equal(same.statusCode, 202, 'a same-site bodiless write with the intent header passes');
  const allowed = await app(t, { API_ALLOWED_HOSTS: 'capacity.internal' });
  t.equal(
    (await allowed.app.inject({ method: 'GET', url: '/v1/capacity-changes', headers: { host: 'capacity.internal' } }))
      .statusCode,
    200,
    'API_ALLOWED_HOSTS names the hosts',
  );
  t.equal(
    (await a.inject({ method: 'GET', url: '/healthz', headers: { host: '10.1.2.3:8080' } })).statusCode,
    200,
    'a probe by pod IP is answered',
  );
});

t.test('a tokens or roles file that others may write is refused', async (t) => {
  const good = [{ name: 'a', scopes: ['capacity:read'], sha256: tokenSha256('a') }];
  t.throws(
    () => loadConfig({ API_TOKENS_FILE: writeJson('open.json', good, 0o666) }),
    /API_TOKENS_FILE .* writable by others/,
  );
  t.equal(loadConfig({ API_TOKENS_FILE: writeJson('ok.json', good, 0o644) }).auth.mode, 'tokens', '0644 is fine');
  const roles = writeJson('open-roles.json', [{ group: 'sre', scopes: ['capacity:read'] }], 0o662);
  t.throws(
    () => loadConfig({ TRUSTED_PROXY_ADDRESSES: '127.0.0.1', TRUSTED_PROXY_ROLES_FILE: roles }),
    /TRUSTED_PROXY_ROLES_FILE .* writable by others/,
  );
});

t.test('checkExposure lets safe combinations start', async (t) => {
  t.doesNotThrow(() => checkExposure(loadConfig({})), 'local mode on loopback with the emulator');
  t.doesNotThrow(() =>
    checkExposure(loadConfig({ HOST: '0.0.0.0', API_TOKENS_FILE: tokensFile, TEMPORAL_CLOUD_API_KEY: 'k' })),
  );
  t.doesNotThrow(
    () =>
      checkExposure(
        loadConfig({ AUTH_DISABLED: 'true', TEMPORAL_CLOUD_API_KEY: 'k', CLOUD_OPS_ADDRESS: '127.0.0.1:4433' }),
      ),
    'a key for a local emulator is not a real one',
  );
  t.doesNotThrow(() =>
    checkExposure(
      loadConfig({ ROLE: 'worker', TEMPORAL_ADDRESS: 't:7233', TEMPORAL_CLOUD_API_KEY: 'k', HOST: '0.0.0.0' }),
    ),
  );
});
