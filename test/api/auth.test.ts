// Bearer-token authentication, scopes, requestedBy from the token, the per-token rate limit and the start-up
// rules, against the real app with stub dependencies (no Temporal, no Cloud Ops).
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { ConfigError, loadConfig } from '../../src/config.js';
import { buildTestApp, RUN_ID } from '../helpers/app.js';

const WINDOW_ID = `payments.a1b2c_0123456789abcdef~${RUN_ID}`;
const TOKENS = {
  alice: 'alice-token-7f3c1e0a9b8d6c5e4f3a2b1c0d9e8f7a',
  reader: 'reader-token-1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d',
  writer: 'writer-token-9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b',
};
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

const dir = mkdtempSync(path.join(tmpdir(), 'auth-test-'));
function writeTokensFile(name: string, content: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}
const tokensFile = writeTokensFile('tokens.json', [
  { name: 'alice', scopes: ['capacity:read', 'capacity:write'], sha256: sha256(TOKENS.alice) },
  { name: 'reader', scopes: ['capacity:read'], sha256: sha256(TOKENS.reader) },
  { name: 'writer', scopes: ['capacity:write'], sha256: sha256(TOKENS.writer) },
]);

const TOKENS_ENV = { API_TOKENS_FILE: tokensFile, RATE_LIMIT_PER_MINUTE: '0' };
const running = {
  status: 'RUNNING',
  memo: {
    window: { namespace: 'payments.a1b2c', trus: 4, requestedBy: 'alice', reason: null },
    progress: {
      phase: 'ACTIVE',
      startAt: '2030-01-01T00:00:00.000Z',
      endAt: '2030-01-01T02:00:00.000Z',
      steps: [],
      revertBlocked: null,
    },
  },
};

/** The app with a running window; `env` is the configuration (default: tokens from the file above, no rate limit). */
const stubbedApp = (t: Test, env: Record<string, string> = TOKENS_ENV) => buildTestApp(t, { env, execution: running });

function assertError(t: Test, res: { statusCode: number; body: string }, status: number, code: string) {
  t.equal(res.statusCode, status, `status ${status}`);
  const body = JSON.parse(res.body) as Record<string, unknown>;
  t.equal(body.code, code, `code ${code}`);
  t.same(Object.keys(body).sort(), ['code', 'error', 'message', 'statusCode'], 'the one error shape');
  for (const token of Object.values(TOKENS)) {
    t.notOk(res.body.includes(token) || res.body.includes(sha256(token)), 'no token nor hash in the response');
  }
}

const create = { namespace: 'payments.a1b2c', trus: 4, duration: 'PT2H', reason: 'peak' };

t.test('401 UNAUTHENTICATED without a valid bearer token, with WWW-Authenticate', async (t) => {
  const { app, starts } = await stubbedApp(t);
  const cases: Array<[string, Record<string, string>]> = [
    ['no header', {}],
    ['unknown token', bearer('not-a-token-of-anyone')],
    ['empty bearer', { authorization: 'Bearer ' }],
    ['basic scheme', { authorization: `Basic ${Buffer.from(`alice:${TOKENS.alice}`).toString('base64')}` }],
    ['no scheme', { authorization: TOKENS.alice }],
    ['token with a space', { authorization: `Bearer ${TOKENS.alice} extra` }],
    ['the hash instead of the token', bearer(sha256(TOKENS.alice))],
  ];
  for (const [what, headers] of cases) {
    for (const req of [
      { method: 'GET' as const, url: `/v1/capacity-changes/${WINDOW_ID}` },
      { method: 'POST' as const, url: '/v1/capacity-changes', payload: create },
    ]) {
      const res = await app.inject({ ...req, headers });
      t.test(`${what}: ${req.method} ${req.url}`, async (t) => {
        assertError(t, res, 401, 'UNAUTHENTICATED');
        t.match(res.headers['www-authenticate'], /^Bearer /, 'WWW-Authenticate: Bearer');
      });
    }
  }
  // Unknown /v1 paths too: an unauthenticated client learns nothing about which routes exist.
  assertError(t, await app.inject({ method: 'GET', url: '/v1/nothing-here' }), 401, 'UNAUTHENTICATED');
  t.equal(starts.length, 0, 'nothing was started');
});

t.test('403 FORBIDDEN_SCOPE: capacity:read for GET, capacity:write for the rest', async (t) => {
  const { app, starts, signals } = await stubbedApp(t);
  const post = await app.inject({
    method: 'POST',
    url: '/v1/capacity-changes',
    payload: create,
    headers: bearer(TOKENS.reader),
  });
  assertError(t, post, 403, 'FORBIDDEN_SCOPE');
  t.match(JSON.parse(post.body).message, /capacity:write/);
  const cancel = await app.inject({
    method: 'POST',
    url: `/v1/capacity-changes/${WINDOW_ID}/cancel`,
    headers: bearer(TOKENS.reader),
  });
  assertError(t, cancel, 403, 'FORBIDDEN_SCOPE');
  const patch = await app.inject({
    method: 'PATCH',
    url: `/v1/capacity-changes/${WINDOW_ID}`,
    payload: { duration: 'PT3H' },
    headers: bearer(TOKENS.reader),
  });
  assertError(t, patch, 403, 'FORBIDDEN_SCOPE');
  const del = await app.inject({
    method: 'DELETE',
    url: '/v1/capacity-schedules/payments-abcdef',
    headers: bearer(TOKENS.reader),
  });
  assertError(t, del, 403, 'FORBIDDEN_SCOPE');
  const get = await app.inject({
    method: 'GET',
    url: `/v1/capacity-changes/${WINDOW_ID}`,
    headers: bearer(TOKENS.writer),
  });
  assertError(t, get, 403, 'FORBIDDEN_SCOPE');
  t.match(JSON.parse(get.body).message, /capacity:read/);
  t.equal(starts.length + signals.length, 0, 'nothing was started or signalled');
});

t.test('the right scope passes: 200 for a GET, 202 for a POST', async (t) => {
  const { app, starts } = await stubbedApp(t);
  const get = await app.inject({
    method: 'GET',
    url: `/v1/capacity-changes/${WINDOW_ID}`,
    headers: bearer(TOKENS.reader),
  });
  t.equal(get.statusCode, 200, get.body);
  t.equal(get.json().requestedBy, 'alice');
  const post = await app.inject({
    method: 'POST',
    url: '/v1/capacity-changes',
    payload: create,
    headers: bearer(TOKENS.writer),
  });
  t.equal(post.statusCode, 202, post.body);
  t.equal(starts.length, 1);
  // "bearer" in any case, as RFC 7235 allows.
  const lower = await app.inject({
    method: 'GET',
    url: `/v1/capacity-changes/${WINDOW_ID}`,
    headers: { authorization: `bearer ${TOKENS.alice}` },
  });
  t.equal(lower.statusCode, 200, 'the scheme is case-insensitive');
});

t.test('/healthz, /readyz, /docs, /openapi.json stay open; /readyz says auth: tokens', async (t) => {
  const { app } = await stubbedApp(t);
  for (const url of ['/healthz', '/readyz', '/openapi.json', '/docs/json', '/docs/static/swagger-ui.css']) {
    const res = await app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 200, `${url}: 200 without a token`);
  }
  t.equal((await app.inject({ method: 'GET', url: '/docs' })).statusCode < 400, true, '/docs');
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).json().auth, 'tokens');
});

t.test(
  'the OpenAPI document: a bearer security scheme, required by every /v1 operation, with 401/403/429',
  async (t) => {
    const { app } = await stubbedApp(t);
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    t.same(doc.components.securitySchemes.bearerAuth, {
      type: 'http',
      scheme: 'bearer',
      description: doc.components.securitySchemes.bearerAuth.description,
    });
    for (const [p, ops] of Object.entries(
      doc.paths as Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>,
    )) {
      for (const [method, op] of Object.entries(ops)) {
        if (p.startsWith('/v1/')) {
          t.same(op.security, [{ bearerAuth: [] }], `${method} ${p} needs the bearer token`);
          t.ok(
            op.responses['401'] && op.responses['403'] && op.responses['429'],
            `${method} ${p} documents 401, 403, 429`,
          );
        } else {
          t.equal(op.security, undefined, `${method} ${p} is open`);
        }
      }
    }
  },
);

t.test("requestedBy is the token's name; a different body value is refused", async (t) => {
  const { app, starts, signals, schedules } = await stubbedApp(t);
  const auth = bearer(TOKENS.alice);

  const post = await app.inject({ method: 'POST', url: '/v1/capacity-changes', payload: create, headers: auth });
  t.equal(post.statusCode, 202, post.body);
  t.equal(starts[0].options.args[0].requestedBy, 'alice', 'the workflow input says alice');
  t.equal(starts[0].options.memo.window.requestedBy, 'alice', 'the memo (status, listings) says alice');
  t.match(
    JSON.stringify(starts[0].options.typedSearchAttributes),
    /"alice"/,
    'the search attribute (listing filter) says alice',
  );

  const same = await app.inject({
    method: 'POST',
    url: '/v1/capacity-changes',
    payload: { ...create, requestedBy: 'alice' },
    headers: auth,
  });
  t.equal(same.statusCode, 202, 'the same name in the body is accepted');

  const other = await app.inject({
    method: 'POST',
    url: '/v1/capacity-changes',
    payload: { ...create, requestedBy: 'mallory' },
    headers: auth,
  });
  assertError(t, other, 422, 'REQUESTED_BY_FROM_TOKEN');
  t.equal(starts.length, 2, 'the refused request started nothing');

  const cancel = await app.inject({
    method: 'POST',
    url: `/v1/capacity-changes/${WINDOW_ID}/cancel`,
    payload: { reason: 'done' },
    headers: auth,
  });
  t.equal(cancel.statusCode, 202, cancel.body);
  t.match(signals[0], { by: 'alice', reason: 'done' }, 'the cancel is by alice');
  const cancelOther = await app.inject({
    method: 'POST',
    url: `/v1/capacity-changes/${WINDOW_ID}/cancel`,
    payload: { requestedBy: 'bob' },
    headers: auth,
  });
  assertError(t, cancelOther, 422, 'REQUESTED_BY_FROM_TOKEN');

  const schedule = await app.inject({
    method: 'POST',
    url: '/v1/capacity-schedules',
    payload: { namespace: 'payments.a1b2c', trus: 4, duration: 'PT2H', cron: '0 8 * * 1-5' },
    headers: auth,
  });
  t.equal(schedule.statusCode, 201, schedule.body);
  t.equal(schedules[0].action.args[0].requestedBy, 'alice', "every run's window input says alice");
  t.equal(schedules[0].action.memo.window.requestedBy, 'alice', "and every run's memo");
});

t.test(
  'open mode (local, no tokens file): no token needed, the body requestedBy is kept, /readyz says open',
  async (t) => {
    const { app, starts } = await stubbedApp(t, { RATE_LIMIT_PER_MINUTE: '0' });
    const post = await app.inject({
      method: 'POST',
      url: '/v1/capacity-changes',
      payload: { ...create, requestedBy: 'carol' },
    });
    t.equal(post.statusCode, 202, post.body);
    t.equal(starts[0].options.memo.window.requestedBy, 'carol');
    t.equal((await app.inject({ method: 'GET', url: '/readyz' })).json().auth, 'open');
    const disabled = await stubbedApp(t, { TEMPORAL_ADDRESS: 'temporal:7233', AUTH_DISABLED: 'true' });
    t.equal((await disabled.app.inject({ method: 'GET', url: '/readyz' })).json().auth, 'disabled');
  },
);

t.test('429 RATE_LIMITED per token after RATE_LIMIT_PER_MINUTE, with Retry-After', async (t) => {
  const { app } = await stubbedApp(t, { API_TOKENS_FILE: tokensFile, RATE_LIMIT_PER_MINUTE: '3' });
  const get = (token: string) =>
    app.inject({ method: 'GET', url: `/v1/capacity-changes/${WINDOW_ID}`, headers: bearer(token) });
  for (let i = 0; i < 3; i++) t.equal((await get(TOKENS.alice)).statusCode, 200, `request ${i + 1} passes`);
  const limited = await get(TOKENS.alice);
  assertError(t, limited, 429, 'RATE_LIMITED');
  t.ok(Number(limited.headers['retry-after']) > 0, `Retry-After: ${limited.headers['retry-after']}`);
  t.equal((await get(TOKENS.reader)).statusCode, 200, 'another token has its own budget (same IP)');
  for (let i = 0; i < 5; i++)
    t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'probes are not limited');

  // Without authentication, per client IP.
  const open = await stubbedApp(t, { RATE_LIMIT_PER_MINUTE: '2' });
  const anon = (ip: string) =>
    open.app.inject({ method: 'GET', url: `/v1/capacity-changes/${WINDOW_ID}`, remoteAddress: ip });
  t.equal((await anon('10.0.0.1')).statusCode, 200);
  t.equal((await anon('10.0.0.1')).statusCode, 200);
  assertError(t, await anon('10.0.0.1'), 429, 'RATE_LIMITED');
  t.equal((await anon('10.0.0.2')).statusCode, 200, 'another IP has its own budget');
});

t.test('start-up refusals: no tokens outside local mode, or a bad tokens file, is a ConfigError', async (t) => {
  const remote = { TEMPORAL_ADDRESS: 'temporal:7233' };
  t.throws(() => loadConfig(remote), ConfigError);
  t.throws(() => loadConfig(remote), /API_TOKENS_FILE must be set outside local mode/);
  t.equal(loadConfig({ ...remote, AUTH_DISABLED: 'true' }).auth.mode, 'disabled', 'unless AUTH_DISABLED=true');
  t.equal(
    loadConfig({ ...remote, ROLE: 'worker', TEMPORAL_CLOUD_API_KEY: 'k' }).auth.mode,
    'open',
    'a worker serves no API',
  );
  t.equal(loadConfig({ ...remote, API_TOKENS_FILE: tokensFile }).auth.mode, 'tokens');
  t.equal(loadConfig({}).auth.mode, 'open', 'local mode without tokens: open');
  t.equal(loadConfig({}).auth.rateLimitPerMinute, 600, 'default rate limit');
  t.equal(loadConfig({ RATE_LIMIT_PER_MINUTE: '0' }).auth.rateLimitPerMinute, null, '0 = no limit');
  t.throws(() => loadConfig({ RATE_LIMIT_PER_MINUTE: 'lots' }), /RATE_LIMIT_PER_MINUTE/);
  t.throws(() => loadConfig({ AUTH_DISABLED: 'yes' }), /AUTH_DISABLED must be one of: true, false/);
  t.throws(
    () => loadConfig({ API_TOKENS_FILE: tokensFile, AUTH_DISABLED: 'true' }),
    /AUTH_DISABLED/,
    'both: a contradiction',
  );

  const good = { name: 'ok', scopes: ['capacity:read'], sha256: sha256('x') };
  const bad: Array<[string, unknown]> = [
    ['missing file', null],
    ['not JSON', '{ nope'],
    ['not an array', { name: 'a' }],
    ['empty', []],
    ['a token in clear', [{ ...good, token: 'secret' }]],
    ['no name', [{ scopes: good.scopes, sha256: good.sha256 }]],
    ['unknown scope', [{ ...good, scopes: ['capacity:admin'] }]],
    ['no scopes', [{ ...good, scopes: [] }]],
    ['short hash', [{ ...good, sha256: 'abc123' }]],
    ['duplicate name', [good, { ...good, sha256: sha256('y') }]],
    ['duplicate hash', [good, { ...good, name: 'other' }]],
  ];
  for (const [what, content] of bad) {
    const file =
      content === null
        ? path.join(dir, 'does-not-exist.json')
        : writeTokensFile(`bad-${what.replace(/\W/g, '-')}.json`, content);
    t.throws(
      () => loadConfig({ API_TOKENS_FILE: file }),
      /^Invalid configuration: API_TOKENS_FILE /,
      `${what}: names API_TOKENS_FILE`,
    );
    try {
      loadConfig({ API_TOKENS_FILE: file });
    } catch (err) {
      t.type(err, ConfigError);
      t.notMatch((err as Error).message, new RegExp(good.sha256), `${what}: the message quotes no hash`);
    }
  }
});

t.test('the token never reaches a log line; the Authorization header is redacted', async (t) => {
  const { app, logLines } = await stubbedApp(t);
  await app.inject({ method: 'POST', url: '/v1/capacity-changes', payload: create, headers: bearer(TOKENS.alice) });
  await app.inject({ method: 'GET', url: `/v1/capacity-changes/${WINDOW_ID}`, headers: bearer(TOKENS.writer) });
  await app.inject({ method: 'GET', url: '/v1/capacity-changes/x', headers: bearer('an-unknown-token-value-123') });
  // A handler that logs the request's headers (as a careless debug line would) still leaks nothing.
  app.log.info(
    {
      req: { headers: { authorization: `Bearer ${TOKENS.alice}` } },
      headers: { authorization: `Bearer ${TOKENS.alice}` },
    },
    'headers',
  );
  app.log.info({ authorization: `Bearer ${TOKENS.reader}` }, 'header');
  t.ok(logLines.length > 3, `${logLines.length} log lines written`);
  const all = logLines.join('');
  for (const token of [...Object.values(TOKENS), 'an-unknown-token-value-123']) {
    t.notOk(all.includes(token), 'no token in the log');
    t.notOk(all.includes(sha256(token)), 'nor its hash');
  }
  t.match(all, /\[REDACTED\]/, 'the header was redacted');
});
