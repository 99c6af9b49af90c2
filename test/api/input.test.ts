import t, { type Test } from 'tap';
import { ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { toApiError } from '../../src/api/plugins/errors.js';
import { CloudOpsError } from '../../src/cloud-ops/errors.js';
import { buildTestApp, RUN_ID } from '../helpers/app.js';

const valid = { namespace: 'payments.a1b2c', trus: 4, duration: 'PT2H', reason: 'Black Friday peak' };
const future = () => new Date(Date.now() + 3_600_000).toISOString();

function assertErrorShape(t: Test, res: { statusCode: number; body: string }, status: number, code: string) {
  const body = JSON.parse(res.body) as Record<string, unknown>;
  t.equal(res.statusCode, status, `status ${status}`);
  t.equal(body.code, code, `code ${code}`);
  t.same(Object.keys(body).sort(), ['code', 'error', 'message', 'statusCode'], 'the one error shape');
  t.equal(body.statusCode, status);
  t.notMatch(res.body, /\bat .*\.(ts|js):\d+/, 'no stack trace');
  t.notOk('stack' in body);
  return body;
}

// Each case must be refused before anything is read from Cloud Ops or started on Temporal.
const rejected: { name: string; payload: unknown; status: number; code: string; mentions?: string }[] = [
  {
    name: 'namespace of the wrong type',
    payload: { ...valid, namespace: 5 },
    status: 400,
    code: 'VALIDATION_FAILED',
    mentions: 'namespace',
  },
  { name: 'unknown field', payload: { ...valid, extra: 1 }, status: 400, code: 'VALIDATION_FAILED', mentions: 'extra' },
  {
    name: 'trus as a string',
    payload: { ...valid, trus: '4' },
    status: 400,
    code: 'VALIDATION_FAILED',
    mentions: 'trus',
  },
  {
    name: 'missing trus',
    payload: { namespace: 'payments.a1b2c' },
    status: 400,
    code: 'VALIDATION_FAILED',
    mentions: 'trus',
  },
  { name: 'trus 0', payload: { ...valid, trus: 0 }, status: 400, code: 'VALIDATION_FAILED', mentions: 'trus' },
  { name: 'trus -1', payload: { ...valid, trus: -1 }, status: 400, code: 'VALIDATION_FAILED', mentions: 'trus' },
  { name: 'trus 1.5', payload: { ...valid, trus: 1.5 }, status: 400, code: 'VALIDATION_FAILED', mentions: 'trus' },
  { name: 'trus huge', payload: { ...valid, trus: 1e12 }, status: 400, code: 'VALIDATION_FAILED', mentions: 'trus' },
  {
    name: 'malformed namespace',
    payload: { ...valid, namespace: 'Payments' },
    status: 400,
    code: 'VALIDATION_FAILED',
    mentions: 'namespace',
  },
  {
    name: 'reason of 501 chars',
    payload: { ...valid, reason: 'x'.repeat(501) },
    status: 400,
    code: 'VALIDATION_FAILED',
    mentions: 'reason',
  },
  {
    name: 'requestedBy of 201 chars',
    payload: { ...valid, requestedBy: 'x'.repeat(201) },
    status: 400,
    code: 'VALIDATION_FAILED',
    mentions: 'requestedBy',
  },
  {
    name: 'endAt not a date',
    payload: { namespace: 'payments.a1b2c', trus: 4, endAt: 'tomorrow' },
    status: 400,
    code: 'VALIDATION_FAILED',
    mentions: 'endAt',
  },
  {
    name: 'endAt without a time zone',
    payload: { namespace: 'payments.a1b2c', trus: 4, endAt: '2099-01-01T00:00:00' },
    status: 400,
    code: 'VALIDATION_FAILED',
    mentions: 'endAt',
  },
  { name: 'both duration and endAt', payload: { ...valid, endAt: future() }, status: 400, code: 'CONFLICTING_END' },
  {
    name: 'unparseable duration',
    payload: { ...valid, duration: '2 hours' },
    status: 400,
    code: 'INVALID_DURATION',
    mentions: '2 hours',
  },
  { name: 'calendar duration', payload: { ...valid, duration: 'P1M' }, status: 400, code: 'INVALID_DURATION' },
  { name: 'zero duration', payload: { ...valid, duration: 'PT0S' }, status: 400, code: 'INVALID_DURATION' },
  {
    name: 'endAt in the past',
    payload: { namespace: 'payments.a1b2c', trus: 4, endAt: '2020-01-01T00:00:00Z' },
    status: 422,
    code: 'END_NOT_IN_FUTURE',
  },
  { name: 'body not an object', payload: [valid], status: 400, code: 'VALIDATION_FAILED' },
];

for (const c of rejected) {
  t.test(`POST refuses ${c.name}`, async (t) => {
    const { app, starts, reads } = await buildTestApp(t);
    const res = await app.inject({ method: 'POST', url: '/v1/capacity-changes', payload: c.payload as object });
    const body = assertErrorShape(t, res, c.status, c.code);
    if (c.mentions) t.match(body.message, c.mentions, 'the message names the field');
    t.equal(reads.length, 0, 'Cloud Ops not read');
    t.equal(starts.length, 0, 'nothing started');
  });
}

const raw: { name: string; headers: Record<string, string>; payload: string; status: number; code: string }[] = [
  {
    name: 'invalid JSON',
    headers: { 'content-type': 'application/json' },
    payload: '{"namespace": ',
    status: 400,
    code: 'INVALID_JSON',
  },
  {
    name: 'an empty JSON body',
    headers: { 'content-type': 'application/json' },
    payload: '',
    status: 400,
    code: 'INVALID_JSON',
  },
  {
    name: 'text/plain',
    headers: { 'content-type': 'text/plain' },
    payload: JSON.stringify(valid),
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'form data',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'trus=4',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'a body over 64 KiB',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ ...valid, reason: 'x'.repeat(70 * 1024) }),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
];

for (const c of raw) {
  t.test(`POST refuses ${c.name}`, async (t) => {
    const { app, starts } = await buildTestApp(t);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/capacity-changes',
      headers: c.headers,
      payload: c.payload,
    });
    assertErrorShape(t, res, c.status, c.code);
    t.equal(starts.length, 0, 'nothing started');
  });
}

t.test('POST refuses a TRU value the namespace does not accept, listing the valid ones', async (t) => {
  const { app, starts, reads } = await buildTestApp(t);
  const res = await app.inject({ method: 'POST', url: '/v1/capacity-changes', payload: { ...valid, trus: 3 } });
  const body = assertErrorShape(t, res, 422, 'TRU_VALUE_NOT_ALLOWED');
  t.match(body.message, '2, 4, 8');
  t.same(reads, ['TRU options payments.a1b2c'], 'one read of the TRU options, not the whole namespace');
  t.equal(starts.length, 0);
});

t.test('POST maps Cloud Ops failures and starts nothing', async (t) => {
  const cases: [CloudOpsError['kind'], number, string][] = [
    ['NOT_FOUND', 404, 'NAMESPACE_NOT_FOUND'],
    ['UNAVAILABLE', 503, 'CLOUD_OPS_UNAVAILABLE'],
    ['PERMISSION_DENIED', 502, 'CLOUD_OPS_REFUSED'],
    ['UNAUTHENTICATED', 502, 'CLOUD_OPS_REFUSED'],
    ['FAILED_PRECONDITION', 502, 'CLOUD_OPS_ERROR'],
    ['OTHER', 502, 'CLOUD_OPS_ERROR'],
  ];
  for (const [kind, status, code] of cases) {
    const secret = 'apikey-SECRET-123';
    const { app, starts } = await buildTestApp(t, {
      capacity: {
        readTruOptions: async () => Promise.reject(new CloudOpsError(kind, `${kind}: bad key ${secret}`, null)),
      },
    });
    const res = await app.inject({ method: 'POST', url: '/v1/capacity-changes', payload: valid });
    assertErrorShape(t, res, status, code);
    t.notMatch(res.body, secret, 'the server text is not echoed');
    t.equal(starts.length, 0);
  }
});

t.test('an unexpected failure is a 500 that hides its text', async (t) => {
  const { app } = await buildTestApp(t, {
    capacity: { readTruOptions: async () => Promise.reject(new Error('db password is hunter2')) },
  });
  const res = await app.inject({ method: 'POST', url: '/v1/capacity-changes', payload: valid });
  const body = assertErrorShape(t, res, 500, 'INTERNAL_ERROR');
  t.equal(body.message, 'Internal server error');
  t.notMatch(res.body, 'hunter2');
});

t.test('POST starts one window with the workflow input and memo', async (t) => {
  const { app, starts } = await buildTestApp(t);
  const res = await app.inject({ method: 'POST', url: '/v1/capacity-changes', payload: valid });
  t.equal(res.statusCode, 202);
  const { id } = JSON.parse(res.body);
  t.match(id, new RegExp(`^payments\\.a1b2c_[0-9a-f]{16}~${RUN_ID}$`), 'the namespace, a random nonce and the run');
  t.same(JSON.parse(res.body), {
    id,
    status: 'RUNNING',
    phase: 'PENDING',
    links: { self: `/v1/capacity-changes/${id}` },
  });
  t.equal(res.headers.location, `/v1/capacity-changes/${id}`);
  t.equal(starts.length, 1);
  const { workflowType, options } = starts[0];
  t.equal(workflowType, 'capacityWindowWorkflow');
  t.match(options, {
    taskQueue: 'capacity-scheduler',
    workflowId: `capacity-window-${id.split('~')[0]}`,
    args: [
      {
        namespace: 'payments.a1b2c',
        trus: 4,
        duration: 'PT2H',
        reason: 'Black Friday peak',
        policy: { verifyTimeoutMs: 900_000 },
      },
    ],
    memo: {
      window: { namespace: 'payments.a1b2c', trus: 4, requestedBy: null },
      progress: { phase: 'PENDING', steps: [], revertBlocked: null },
    },
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    workflowIdConflictPolicy: 'FAIL',
  });
  const progress = options.memo.progress!;
  t.equal(Date.parse(progress.endAt!) - Date.parse(progress.startAt), 2 * 3_600_000, 'endAt = start + duration');
});

t.test('POST without an end is a permanent change', async (t) => {
  const { app, starts } = await buildTestApp(t);
  const res = await app.inject({
    method: 'POST',
    url: '/v1/capacity-changes',
    payload: { namespace: 'payments.a1b2c', trus: 8 },
  });
  t.equal(res.statusCode, 202);
  t.equal(starts[0].options.memo.progress?.endAt, null);
});

t.test('Temporal failures on start are mapped centrally', async (t) => {
  const unavailable = Object.assign(new Error('14 UNAVAILABLE: connect ECONNREFUSED 127.0.0.1:7233'), {
    code: 14,
    details: 'connect ECONNREFUSED',
    metadata: {},
  });
  const cases: [Error, number, string, string?][] = [
    [new ServiceError('Failed to start Workflow', { cause: unavailable }), 503, 'TEMPORAL_UNAVAILABLE'],
  ];
  for (const [startError, status, code, mentions] of cases) {
    const { app } = await buildTestApp(t, { startError });
    const res = await app.inject({ method: 'POST', url: '/v1/capacity-changes', payload: valid });
    const body = assertErrorShape(t, res, status, code);
    if (mentions) t.match(body.message, mentions);
    t.notMatch(res.body, 'ECONNREFUSED');
  }
});

t.test('an Update no worker took in time is a 503 to retry, not a 500', async (t) => {
  const grpcCancelled = Object.assign(new Error('1 CANCELLED: the deadline passed'), {
    code: 1,
    details: 'cancelled',
    metadata: {},
  });
  const err = toApiError(
    new WorkflowUpdateRPCTimeoutOrCancelledError('Timeout or cancellation waiting for update', {
      cause: grpcCancelled,
    }),
  );
  t.match(err, { statusCode: 503, code: 'WINDOW_NOT_ANSWERING' });
});

t.test('unknown routes and malformed ids', async (t) => {
  const { app } = await buildTestApp(t);
  assertErrorShape(t, await app.inject({ method: 'GET', url: '/nope' }), 404, 'ROUTE_NOT_FOUND');
  const notAllowed = await app.inject({ method: 'DELETE', url: '/v1/capacity-changes' });
  assertErrorShape(t, notAllowed, 405, 'METHOD_NOT_ALLOWED');
  t.equal(notAllowed.headers.allow, 'POST, GET, HEAD', 'a known path names the methods it has');
  assertErrorShape(
    t,
    await app.inject({ method: 'GET', url: '/v1/capacity-changes/not-an-id' }),
    404,
    'WINDOW_NOT_FOUND',
  );
  const bad = assertErrorShape(
    t,
    await app.inject({ method: 'GET', url: '/v1/namespaces/NOT_VALID/capacity' }),
    400,
    'VALIDATION_FAILED',
  );
  t.match(bad.message, 'namespace');
});

t.test('GET /v1/namespaces/:namespace/capacity shows the view', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject({ method: 'GET', url: '/v1/namespaces/payments.a1b2c/capacity' });
  t.equal(res.statusCode, 200);
  t.same(JSON.parse(res.body), {
    namespace: 'payments.a1b2c',
    mode: 'ON_DEMAND',
    trus: null,
    latestRequest: null,
    validTruValues: [2, 4, 8],
    maxAvailableTruValue: 8,
    apsStats: null,
    recommendation: { trus: null, basis: { apsP99: null, apsPerTru: 500, rawTrus: null }, cappedAt: null },
    drift: null,
  });
});

t.test('health probes: /readyz says which dependency failed and why, never the server text', async (t) => {
  const { app } = await buildTestApp(t, {
    temporalReachable: false,
    capacity: {
      identity: async () => Promise.reject(new CloudOpsError('UNAUTHENTICATED', 'UNAUTHENTICATED: key down-123', 16)),
    },
  });
  const live = await app.inject({ method: 'GET', url: '/healthz' });
  t.same([live.statusCode, JSON.parse(live.body)], [200, { status: 'ok' }]);
  const ready = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.statusCode, 503);
  t.match(JSON.parse(ready.body), {
    status: 'unavailable',
    mode: 'emulator',
    checks: { temporal: 'unavailable', cloudOps: 'unavailable' },
    problems: [/^Temporal: no answer/, /UNAUTHENTICATED, the API refused TEMPORAL_CLOUD_API_KEY/],
    checkedAt: String,
    ageSeconds: Number,
    auth: 'open',
  });
  t.notMatch(ready.body, 'down-123');
});

t.test('ready when both dependencies answer', async (t) => {
  const { app } = await buildTestApp(t);
  const ready = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.statusCode, 200);
  t.match(JSON.parse(ready.body), {
    status: 'ready',
    mode: 'emulator',
    checks: { temporal: 'ok', cloudOps: 'ok' },
    problems: [],
    auth: 'open',
  });
});

t.test('GET a window reads its memo, and a dead workflow reads FAILED', async (t) => {
  const memo = {
    window: { namespace: 'payments.a1b2c', trus: 4, requestedBy: 'oncall', reason: null },
    progress: {
      phase: 'APPLYING',
      startAt: '2025-11-28T10:00:00.000Z',
      endAt: '2025-11-28T12:00:00.000Z',
      steps: [],
      revertBlocked: null,
    },
  };
  const id = `payments.a1b2c_0123456789abcdef~${RUN_ID}`;
  const { app } = await buildTestApp(t, { execution: { status: 'TERMINATED', memo } });
  const res = await app.inject({ method: 'GET', url: `/v1/capacity-changes/${id}` });
  t.equal(res.statusCode, 200);
  t.same(JSON.parse(res.body), {
    id,
    namespace: 'payments.a1b2c',
    trus: 4,
    startAt: '2025-11-28T10:00:00.000Z',
    endAt: '2025-11-28T12:00:00.000Z',
    requestedBy: 'oncall',
    reason: null,
    scheduleId: null,
    status: 'TERMINATED',
    phase: 'FAILED',
    steps: [],
    audit: [],
    revertBlocked: null,
    waitingFor: null,
    namespaceCapacity: null,
    drift: null,
    result: null,
    truHours: 0,
    usedTruHours: 0,
    links: { self: `/v1/capacity-changes/${id}` },
  });
  const missing = await app.inject({
    method: 'GET',
    url: '/v1/capacity-changes/payments.a1b2c_0123456789abcdef~00000000-0000-0000-0000-000000000000',
  });
  assertErrorShape(t, missing, 404, 'WINDOW_NOT_FOUND');
});
