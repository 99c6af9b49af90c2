// Property-based bad input: at least 10,000 generated malformed or hostile requests to every endpoint, through
// app.inject (no network) against the real app, a real Temporal dev server and the Cloud Ops emulator.
// Zero 5xx, zero windows or schedules created, zero Cloud Ops changes. The emulator holds NO namespace, so even
// a well-formed request cannot start anything: every namespace it names is unknown.
import fc from 'fast-check';
import t from 'tap';
import { startHarness, type Harness } from '../helpers/harness.js';
import { CLOUD_OPS_READ_WORKFLOW } from '../../src/shared/index.js';

let h: Harness;
t.before(async () => {
  h = await startHarness({});
});
t.teardown(() => h?.close());

const INJECTIONS = [
  "' OR 1=1 --",
  '" OR ""="',
  "TaskQueue = 'x' OR WorkflowId != ''",
  '`ExecutionStatus` = "Running"',
  '${jndi:ldap://x/a}',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '%00',
  '\u0000',
  '\r\nX-Injected: 1',
  '{{7*7}}',
  '$(rm -rf /)',
  '; DROP TABLE windows;',
  'payments.a1b2c~',
  '~',
  'a~b~c',
  '__proto__',
  'constructor',
  'prototype',
  'payments.a1b2c@sched-2025~x',
  '\u202e\u200b\ufeff',
  '😀'.repeat(50),
  'ﬀ\u0301\u0308',
  'a'.repeat(5000),
  ' ',
  '',
];
const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...INJECTIONS) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.constantFrom('\u0000', '\u0007', '\u001b', '\u007f', '\u2028', '\ud800', '~', '.', '/', '%'),
      maxLength: 30,
    }),
  },
);
/** encodeURIComponent throws on a lone surrogate: send U+FFFD there, as a browser would. */
const encode = (s: string) =>
  encodeURIComponent(s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));
/** A path segment: encoded (a hostile id) or, sometimes, raw. */
const segment = fc.oneof(
  { weight: 5, arbitrary: hostileString.map(encode) },
  { weight: 1, arbitrary: fc.constantFrom('..', '.', '%', '%zz', '%2e%2e', '%00', '') },
);

const deep = (depth: number): unknown => (depth === 0 ? 1 : { a: deep(depth - 1) });
const jsonish = fc.oneof(
  { weight: 6, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 2, arbitrary: fc.object({ maxDepth: 3, values: [fc.jsonValue({ maxDepth: 1 }), hostileString] }) },
  { weight: 1, arbitrary: fc.integer({ min: 50, max: 3000 }).map((n) => deep(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 300_000 }).map((n) => ({ reason: 'x'.repeat(n) })) },
);
/** Bodies shaped like the real ones, with one or more fields wrong (types, values, extra keys). */
const nearlyValid = fc.record(
  {
    namespace: fc.oneof(hostileString, fc.constant('unknown.acct'), fc.integer(), fc.constant(null)),
    trus: fc.oneof(fc.constantFrom(0, -1, 1.5, 4, 1e308, Number.MAX_SAFE_INTEGER + 2), hostileString, fc.constant('4')),
    duration: fc.oneof(hostileString, fc.constantFrom('PT2H', 'P1Y', 'PT0S', '-PT1H', 'PT99999999999H')),
    endAt: fc.oneof(hostileString, fc.constantFrom('2020-01-01T00:00:00Z', '2999-01-01T00:00:00', 'not a date')),
    startAt: hostileString,
    reason: hostileString,
    requestedBy: hostileString,
    cron: hostileString,
    timeZone: hostileString,
    at: hostileString,
    cancelRunning: fc.oneof(hostileString, fc.boolean()),
    dryRun: fc.oneof(fc.boolean(), hostileString),
    __proto__: fc.jsonValue({ maxDepth: 1 }),
  },
  { requiredKeys: [] },
);
const body = fc.oneof({ weight: 3, arbitrary: jsonish }, { weight: 3, arbitrary: nearlyValid });

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=utf-16',
      'application/xml',
      '*/*',
      '',
      'application/json\r\nX: y',
    ),
  },
);
const badHeaders = fc.dictionary(
  fc.constantFrom(
    'idempotency-key',
    'authorization',
    'accept',
    'x-forwarded-for',
    'accept-encoding',
    'if-match',
    'x-request-id',
  ),
  fc.oneof(
    hostileString.map((s) => s.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?')),
    fc.constant('Bearer '),
    fc.constant('a'.repeat(8000)),
  ),
  { maxKeys: 3 },
);
const query = fc
  .dictionary(
    fc.oneof(
      fc.constantFrom(
        'namespace',
        'status',
        'phase',
        'requestedBy',
        'scheduleId',
        'from',
        'to',
        'pageSize',
        'pageToken',
        'cancelRunning',
      ),
      hostileString,
    ),
    hostileString,
    { maxKeys: 4 },
  )
  .map((q) => new URLSearchParams(q).toString());

type Route = { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; path: (id: string) => string; body: boolean };
const ROUTES: Route[] = [
  { method: 'POST', path: () => '/v1/capacity-changes', body: true },
  { method: 'GET', path: () => '/v1/capacity-changes', body: false },
  { method: 'GET', path: (id) => `/v1/capacity-changes/${id}`, body: false },
  { method: 'POST', path: (id) => `/v1/capacity-changes/${id}/cancel`, body: true },
  { method: 'PATCH', path: (id) => `/v1/capacity-changes/${id}`, body: true },
  { method: 'POST', path: () => '/v1/capacity-schedules', body: true },
  { method: 'GET', path: () => '/v1/capacity-schedules', body: false },
  { method: 'GET', path: (id) => `/v1/capacity-schedules/${id}`, body: false },
  { method: 'PATCH', path: (id) => `/v1/capacity-schedules/${id}`, body: true },
  { method: 'POST', path: (id) => `/v1/capacity-schedules/${id}/pause`, body: true },
  { method: 'POST', path: (id) => `/v1/capacity-schedules/${id}/unpause`, body: true },
  { method: 'POST', path: (id) => `/v1/capacity-schedules/${id}/trigger`, body: true },
  { method: 'DELETE', path: (id) => `/v1/capacity-schedules/${id}`, body: false },
  { method: 'GET', path: (id) => `/v1/namespaces/${id}/capacity`, body: false },
];

const request = fc.record({
  route: fc.constantFrom(...ROUTES),
  id: segment,
  query: fc.option(query, { nil: undefined, freq: 3 }),
  body: fc.option(body, { nil: undefined, freq: 6 }),
  rawBody: fc.option(
    fc.oneof(hostileString, fc.constantFrom('{', '{"a":', 'null', '[]', '\u0000', '{"namespace":"x"}}')),
    { nil: undefined, freq: 2 },
  ),
  contentType,
  headers: badHeaders,
});

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);

t.test(`${RUNS} malformed or hostile requests: no 5xx, nothing started, nothing changed`, async (t) => {
  const queue = h.config.temporal.taskQueue;
  const schedulesBefore = new Set<string>();
  for await (const s of h.client.schedule.list()) schedulesBefore.add(s.scheduleId);
  const statuses = new Map<number, number>();
  const fiveXx: string[] = [];
  let sent = 0;
  const started = Date.now();

  await fc
    .assert(
      fc.asyncProperty(request, async (r) => {
        const url = r.route.path(r.id) + (r.query ? `?${r.query}` : '');
        const payload = r.rawBody !== undefined ? r.rawBody : r.body === undefined ? undefined : JSON.stringify(r.body);
        const headers: Record<string, string> = { ...r.headers };
        if (payload !== undefined || r.route.body) headers['content-type'] = r.contentType;
        let status: number;
        try {
          const res = await h.app.inject({ method: r.route.method, url, payload, headers });
          status = res.statusCode;
          if (status >= 500)
            fiveXx.push(
              `${status} ${r.route.method} ${url.slice(0, 200)} ${String(payload).slice(0, 200)} → ${res.body.slice(0, 300)}`,
            );
        } catch (err) {
          // light-my-request refuses some inputs itself (e.g. an invalid header value): not a server answer.
          if (!/Invalid character|invalid.*header|ERR_INVALID/i.test(String(err))) throw err;
          status = -1;
        }
        sent++;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        return status < 500;
      }),
      { numRuns: RUNS, endOnFailure: false, interruptAfterTimeLimit: 240_000 },
    )
    .catch((err) => {
      t.fail(String(err).slice(0, 2000));
    });

  t.equal(sent, RUNS, `sent ${sent} requests in ${Date.now() - started} ms`);
  t.comment(`statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
  t.same(fiveXx.slice(0, 10), [], `no 5xx (${fiveXx.length})`);

  let windows = 0;
  for await (const _wf of h.client.workflow.list({
    query: `TaskQueue = '${queue}' AND WorkflowType != '${CLOUD_OPS_READ_WORKFLOW}'`,
  }))
    windows++;
  t.equal(windows, 0, 'no workflow (window) was started on the harness task queue');
  const newSchedules: string[] = [];
  for await (const s of h.client.schedule.list()) {
    if (schedulesBefore.has(s.scheduleId)) continue;
    const d = await h.client.schedule
      .getHandle(s.scheduleId)
      .describe()
      .catch(() => null);
    if (d && d.action.type === 'startWorkflow' && d.action.taskQueue === queue) newSchedules.push(s.scheduleId);
  }
  t.same(newSchedules, [], 'no schedule was created for this service');
  t.equal(
    h.emulator.state.callLog.filter((c) => c.method === 'UpdateNamespace').length,
    0,
    'no UpdateNamespace reached Cloud Ops',
  );
  t.same(h.emulator.state.listNamespaces(), [], 'the emulator still has no namespace to change');
});
