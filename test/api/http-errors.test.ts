// Every answer Fastify produces itself (long ids, bad URLs, content types, sizes, malformed JSON, unknown methods)
// comes in our error shape with a stable code, and only after authentication; rules between fields come from the
// schema, with our codes.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { buildTestApp } from '../helpers/app.js';

const TOKEN = 'contract-token-5d1e0c9b8a7f6e5d4c3b2a19f8e7d6c5';
const tokensFile = path.join(mkdtempSync(path.join(tmpdir(), 'http-errors-')), 'tokens.json');
writeFileSync(
  tokensFile,
  JSON.stringify([
    {
      name: 'ops',
      scopes: ['capacity:read', 'capacity:write'],
      sha256: createHash('sha256').update(TOKEN).digest('hex'),
    },
  ]),
);
const withTokens = { env: { API_TOKENS_FILE: tokensFile, RATE_LIMIT_PER_MINUTE: '0' } };
const auth = { authorization: `Bearer ${TOKEN}` };
const longId = 'x'.repeat(600);

function assertError(t: Test, res: { statusCode: number; body: string }, status: number, code: string) {
  t.equal(res.statusCode, status, `status ${status}`);
  const body = JSON.parse(res.body) as Record<string, unknown>;
  t.equal(body.code, code, `code ${code}`);
  t.same(Object.keys(body).sort(), ['code', 'error', 'message', 'statusCode'], 'the one error shape');
  t.equal(body.statusCode, status);
  return body;
}

t.test("Fastify's own refusals answer in our shape with stable codes", async (t) => {
  const { app } = await buildTestApp(t, withTokens);
  assertError(t, await app.inject({ url: `/v1/capacity-schedules/${longId}`, headers: auth }), 414, 'URI_TOO_LONG');
  assertError(t, await app.inject({ url: '/v1/capacity-changes/%zz', headers: auth }), 400, 'INVALID_URL');
  const post = (payload: string, contentType: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/capacity-changes',
      headers: { ...auth, 'content-type': contentType },
      payload,
    });
  assertError(t, await post('namespace=x', 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE');
  assertError(t, await post('{"namespace":', 'application/json'), 400, 'INVALID_JSON');
  assertError(
    t,
    await post(JSON.stringify({ reason: 'x'.repeat(70_000) }), 'application/json'),
    413,
    'PAYLOAD_TOO_LARGE',
  );
});

t.test('a known path with a method it lacks: 405 with Allow, whatever the method', async (t) => {
  const { app } = await buildTestApp(t, withTokens);
  for (const method of ['PUT', 'DELETE', 'OPTIONS', 'TRACE', 'QUERY'] as const) {
    const res = await app.inject({ method: method as 'PUT', url: '/v1/capacity-changes/some-id', headers: auth });
    assertError(t, res, 405, 'METHOD_NOT_ALLOWED');
    t.equal(res.headers.allow, 'GET, HEAD, PATCH', `${method}: Allow names the path's methods`);
  }
  const health = await app.inject({ method: 'POST', url: '/healthz' });
  assertError(t, health, 405, 'METHOD_NOT_ALLOWED');
  t.equal(health.headers.allow, 'GET, HEAD');
  assertError(t, await app.inject({ url: '/v1/nothing-here', headers: auth }), 404, 'ROUTE_NOT_FOUND');
});

t.test('without a valid token, /v1 answers 401 before anything that reveals how a path is handled', async (t) => {
  const { app } = await buildTestApp(t, withTokens);
  const probes = [
    { method: 'GET', url: `/v1/capacity-schedules/${longId}` },
    { method: 'GET', url: '/v1/capacity-changes/%zz' },
    { method: 'DELETE', url: '/v1/capacity-changes' },
    { method: 'GET', url: '/v1/nothing-here' },
  ] as const;
  for (const probe of probes) {
    for (const headers of [{}, { authorization: 'Bearer not-a-known-token' }]) {
      const res = await app.inject({ ...probe, headers });
      assertError(t, res, 401, 'UNAUTHENTICATED');
      t.notOk(res.headers.allow, `${probe.method} ${probe.url.slice(0, 40)}: no Allow header`);
    }
  }
});

t.test('rules between fields are refused by the schema, with our codes, and stated in the document', async (t) => {
  const { app } = await buildTestApp(t);
  const both = await app.inject({
    method: 'POST',
    url: '/v1/capacity-changes',
    payload: { namespace: 'payments.a1b2c', trus: 4, duration: 'PT2H', endAt: '2030-01-01T00:00:00Z' },
  });
  assertError(t, both, 400, 'CONFLICTING_END');
  const twoKinds = await app.inject({
    method: 'POST',
    url: '/v1/capacity-schedules',
    payload: { namespace: 'payments.a1b2c', trus: 4, duration: 'PT1H', cron: '0 8 * * *', at: '2030-01-01T00:00:00Z' },
  });
  assertError(t, twoKinds, 400, 'INVALID_SCHEDULE_SPEC');
  const neither = await app.inject({ method: 'PATCH', url: '/v1/capacity-changes/some-id', payload: {} });
  assertError(t, neither, 400, 'CONFLICTING_END');

  const doc = (await app.inject({ url: '/openapi.json' })).json();
  const bodyOf = (p: string, m: string) => doc.paths[p][m].requestBody.content['application/json'].schema;
  t.same(bodyOf('/v1/capacity-changes', 'post').allOf[0].not, { required: ['duration', 'endAt'] });
  t.same(bodyOf('/v1/capacity-changes/{id}', 'patch').allOf[0].oneOf, [
    { required: ['endAt'] },
    { required: ['duration'] },
  ]);
  t.same(bodyOf('/v1/capacity-schedules', 'post').allOf[0].oneOf, [
    { required: ['cron'] },
    { required: ['interval'] },
    { required: ['at'] },
  ]);
});
