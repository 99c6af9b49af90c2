// GET /v1/capacity-changes without a server: the filters' validation, the visibility query they make (escaped),
// page tokens, and summaries from what visibility returns. test/e2e/listing.test.ts runs it against the dev server.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { defaultPayloadConverter } from '@temporalio/common';
import { holdsQuery } from '../../src/reports/visibility.js';
import { buildListQuery, decodePageToken, encodePageToken, visibilityString } from '../../src/windows/listing.js';
import { searchAttributeRegistrations } from '../../src/shared/search-attributes.js';
import { buildTestApp, RUN_ID } from '../helpers/app.js';

const p = (v: unknown) => defaultPayloadConverter.toPayload(v);

t.test('visibilityString escapes backslashes and both quotes, and nothing else', async (t) => {
  t.equal(visibilityString('alice'), "'alice'");
  t.equal(visibilityString("x' OR CapacityNamespace != '"), "'x\\' OR CapacityNamespace != \\''");
  t.equal(visibilityString('a\\b"c'), "'a\\\\b\\\"c'");
  t.equal(visibilityString("\\'"), "'\\\\\\''", 'an escaped quote cannot be unescaped by a preceding backslash');
});

t.test('buildListQuery: every filter, each value a quoted literal', async (t) => {
  t.equal(buildListQuery({}), "WorkflowType = 'capacityWindowWorkflow' AND ExecutionStatus != 'ContinuedAsNew'");
  t.equal(
    buildListQuery({
      namespace: 'payments.a1b2c',
      requestedBy: 'alice',
      scheduleId: 'office-hours',
      from: '2027-03-02T14:00:00+01:00',
      to: '2027-03-03T00:00:00Z',
      status: 'CANCELLED',
    }),
    "WorkflowType = 'capacityWindowWorkflow' AND CapacityNamespace = 'payments.a1b2c' AND CapacityRequestedBy = 'alice' AND " +
      "CapacityScheduleId = 'office-hours' AND CapacityStartAt >= '2027-03-02T13:00:00.000Z' AND " +
      "CapacityStartAt <= '2027-03-03T00:00:00.000Z' AND ExecutionStatus = 'Canceled'",
  );
  t.match(
    buildListQuery({ phase: 'ACTIVE' }),
    "CapacityPhase = 'ACTIVE' AND ExecutionStatus NOT IN ('Failed', 'Canceled', 'Terminated', 'TimedOut')",
  );
  t.match(buildListQuery({ phase: 'FAILED' }), "(CapacityPhase = 'FAILED' OR (ExecutionStatus IN (");
  t.match(
    buildListQuery({ requestedBy: "o'brien\\" }),
    "CapacityRequestedBy = 'o\\'brien\\\\'",
    'even text the schema would refuse is escaped',
  );
});

t.test('endAfter with to: the windows that overlap a span, whenever they started', async (t) => {
  const query = buildListQuery({ endAfter: '2027-03-02T14:00:00+01:00', to: '2027-03-03T00:00:00Z' });
  t.equal(
    query,
    "WorkflowType = 'capacityWindowWorkflow' AND CapacityStartAt <= '2027-03-03T00:00:00.000Z' AND " +
      "(ExecutionStatus = 'Running' OR CapacityEndAt > '2027-03-02T13:00:00.000Z' OR CapacityEndAt IS NULL) AND " +
      "ExecutionStatus != 'ContinuedAsNew'",
    'ended after the instant, running, or permanent; no bound on the start but to',
  );
  t.ok(
    holdsQuery({ fromMs: Date.parse('2027-03-02T13:00:00Z'), toMs: Date.parse('2027-03-03T00:00:00Z') }, 0).includes(
      "(ExecutionStatus = 'Running' OR CloseTime > '2027-03-02T13:00:00.000Z' OR CapacityEndAt IS NULL)",
    ),
    "the report's holds use the same clause, ending at the close of the workflow",
  );
});

t.test('page tokens belong to one query', async (t) => {
  const token = encodePageToken('q1', Buffer.from('{"a":1}'));
  t.match(token, /^[A-Za-z0-9_-]+$/, 'base64url');
  t.same(decodePageToken('q1', token), Buffer.from('{"a":1}'));
  t.equal(decodePageToken('q2', token), undefined, 'another query');
  t.equal(decodePageToken('q1', token + '='), undefined, 'padding');
  t.equal(decodePageToken('q1', 'not a token'), undefined);
  t.equal(decodePageToken('q1', 'AAAA'), undefined, 'too short');
});

const refused: [string, string, string][] = [
  ['an unknown parameter', 'nmespace=payments.a1b2c', 'nmespace'],
  ['a malformed namespace', 'namespace=Payments', 'namespace'],
  ['a namespace with query syntax', `namespace=${encodeURIComponent("a.b' OR 1=1 --")}`, 'namespace'],
  ['an unknown status', 'status=Running', 'status'],
  ['an unknown phase', 'phase=DONE', 'phase'],
  ['requestedBy with a quote', `requestedBy=${encodeURIComponent("x' OR CapacityNamespace != '")}`, 'requestedBy'],
  ['requestedBy with a backslash', `requestedBy=${encodeURIComponent('x\\')}`, 'requestedBy'],
  ['requestedBy with a double quote', `requestedBy=${encodeURIComponent('x"')}`, 'requestedBy'],
  ['an empty requestedBy', 'requestedBy=', 'requestedBy'],
  ['a malformed scheduleId', `scheduleId=${encodeURIComponent('Office Hours')}`, 'scheduleId'],
  ['from not a date', 'from=yesterday', 'from'],
  ['to without a time zone', 'to=2027-03-02T14:00:00', 'to'],
  ['endAfter not a date', 'endAfter=now', 'endAfter'],
  ['pageSize 0', 'pageSize=0', 'pageSize'],
  ['pageSize 101', 'pageSize=101', 'pageSize'],
  ['pageSize not a number', 'pageSize=ten', 'pageSize'],
  ['pageSize 05', 'pageSize=05', 'pageSize'],
  ['a filter given twice', 'status=RUNNING&status=COMPLETED', 'status'],
];
for (const [name, qs, mentions] of refused) {
  t.test(`GET /v1/capacity-changes refuses ${name}: 400 VALIDATION_FAILED, nothing asked of Temporal`, async (t) => {
    const { app, lists: requests } = await buildTestApp(t);
    const res = await app.inject({ method: 'GET', url: `/v1/capacity-changes?${qs}` });
    t.equal(res.statusCode, 400, res.body);
    t.equal(res.json().code, 'VALIDATION_FAILED');
    t.match(res.json().message, mentions);
    t.equal(requests.length, 0);
  });
}

t.test(
  'from after to: 422 INVALID_TIME_RANGE (a valid query whose range is empty), nothing asked of Temporal',
  async (t) => {
    const { app, lists: requests } = await buildTestApp(t);
    const res = await app.inject({
      method: 'GET',
      url: '/v1/capacity-changes?from=2027-03-02T00:00:00Z&to=2027-03-01T00:00:00Z',
    });
    t.equal(res.statusCode, 422, res.body);
    t.equal(res.json().code, 'INVALID_TIME_RANGE');
    t.equal(requests.length, 0);
  },
);

t.test('a request with no filters: every window, 20 a page', async (t) => {
  const { app, lists: requests } = await buildTestApp(t);
  const res = await app.inject({ method: 'GET', url: '/v1/capacity-changes' });
  t.equal(res.statusCode, 200, res.body);
  t.same(res.json(), { items: [], nextPageToken: null });
  t.same(
    requests.map((r) => [r.namespace, r.query, r.pageSize]),
    [['default', buildListQuery({}), 20]],
  );
});

t.test('summaries from search attributes and execution info; the page token goes round', async (t) => {
  const execution = {
    execution: { workflowId: 'capacity-window-payments.a1b2c_0123456789abcdef', runId: RUN_ID },
    type: { name: 'capacityWindowWorkflow' },
    status: 3, // FAILED: a window whose workflow died shows phase FAILED, whatever it published last
    startTime: { seconds: 1_900_000_000, nanos: 0 },
    searchAttributes: {
      indexedFields: {
        CapacityNamespace: p('payments.a1b2c'),
        CapacityTrus: p(4),
        CapacityPhase: p('ACTIVE'),
        CapacityRequestedBy: p('alice'),
        CapacityStartAt: p('2030-03-17T17:46:40Z'),
        CapacityEndAt: p('2030-03-17T19:46:40Z'),
      },
    },
  };
  const schedule = {
    execution: { workflowId: 'capacity-window-batch.a1b2c@nightly-2030-03-17T00:00:00Z', runId: RUN_ID },
    status: 1,
    startTime: { seconds: 1_900_000_000, nanos: 0 },
    searchAttributes: {
      indexedFields: {
        CapacityNamespace: p('batch.a1b2c'),
        CapacityTrus: p(2),
        CapacityPhase: p('PENDING'),
        CapacityScheduleId: p('nightly'),
      },
    },
  };
  const stranger = { execution: { workflowId: 'someone-else', runId: RUN_ID }, status: 1 };
  const { app, lists: requests } = await buildTestApp(t, {
    list: (req) =>
      req.nextPageToken.length === 0
        ? { executions: [execution, stranger], nextPageToken: Buffer.from('server-token') }
        : { executions: [schedule], nextPageToken: Buffer.alloc(0) },
  });
  const first = await app.inject({ method: 'GET', url: '/v1/capacity-changes?pageSize=1' });
  t.equal(first.statusCode, 200, first.body);
  t.same(first.json().items, [
    {
      id: `payments.a1b2c_0123456789abcdef~${RUN_ID}`,
      namespace: 'payments.a1b2c',
      trus: 4,
      status: 'FAILED',
      phase: 'FAILED',
      startAt: '2030-03-17T17:46:40.000Z',
      endAt: '2030-03-17T19:46:40.000Z',
      requestedBy: 'alice',
      scheduleId: null,
      truHours: 0,
      usedTruHours: 0,
      links: { self: `/v1/capacity-changes/payments.a1b2c_0123456789abcdef~${RUN_ID}` },
    },
  ]);
  const token = first.json().nextPageToken as string;
  t.match(token, /^[A-Za-z0-9_-]+$/);

  const second = await app.inject({ method: 'GET', url: `/v1/capacity-changes?pageSize=1&pageToken=${token}` });
  t.equal(second.statusCode, 200, second.body);
  t.match(second.json(), {
    items: [
      {
        namespace: 'batch.a1b2c',
        trus: 2,
        status: 'RUNNING',
        phase: 'PENDING',
        scheduleId: 'nightly',
        requestedBy: null,
        endAt: null,
        startAt: '2030-03-17T17:46:40.000Z',
      },
    ],
    nextPageToken: null,
  });
  t.equal(Buffer.from(requests[1]!.nextPageToken).toString(), 'server-token', "Temporal's own token went back to it");

  const otherFilters = await app.inject({
    method: 'GET',
    url: `/v1/capacity-changes?pageSize=1&status=RUNNING&pageToken=${token}`,
  });
  t.equal(otherFilters.statusCode, 422);
  t.equal(otherFilters.json().code, 'INVALID_PAGE_TOKEN', 'a token is only good for the filters that made it');
  const garbage = await app.inject({ method: 'GET', url: '/v1/capacity-changes?pageToken=%27%20OR%201%3D1' });
  t.equal(garbage.json().code, 'INVALID_PAGE_TOKEN');
  t.equal(requests.length, 2, 'bad tokens never reach Temporal');
});

t.test('a token Temporal cannot read: 422 INVALID_PAGE_TOKEN', async (t) => {
  const { app } = await buildTestApp(t, {
    list: () => {
      throw Object.assign(new Error('unable to deserialize page token'), {
        code: GrpcStatus.INVALID_ARGUMENT,
        details: 'bad token',
        metadata: {},
      });
    },
  });
  const token = encodePageToken(buildListQuery({}), Buffer.from('junk'));
  const res = await app.inject({ method: 'GET', url: `/v1/capacity-changes?pageToken=${token}` });
  t.equal(res.statusCode, 422, res.body);
  t.equal(res.json().code, 'INVALID_PAGE_TOKEN');
});

t.test(
  'docs/deployment.md: the tcld command for Temporal Cloud adds exactly the search attributes windows carry',
  async (t) => {
    const deployment = readFileSync(new URL('../../docs/deployment.md', import.meta.url), 'utf8');
    const command = /tcld namespace search-attributes add[\s\S]*?```/.exec(deployment)?.[0] ?? '';
    const documented = Object.fromEntries([...command.matchAll(/--sa "(\w+)=(\w+)"/g)].map((m) => [m[1], m[2]]));
    t.same(documented, searchAttributeRegistrations());
  },
);
