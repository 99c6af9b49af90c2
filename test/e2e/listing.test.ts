// History and listing through Temporal visibility (custom search attributes on the real dev server), and the TRU
// recommendation from the emulator's APS statistics. Visibility is eventually consistent: every check polls.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import type { CapacityChangeList, CapacityChangeSummary } from '../../src/api/routes/capacity-changes/list-schema.js';
import { buildListQuery } from '../../src/windows/listing.js';
import { parseWindowId } from '../../src/shared/index.js';
import { deleteSchedules, startHarness, waitFor, type Harness } from '../helpers/harness.js';

let h: Harness;
const schedules: string[] = [];
t.before(async () => {
  h = await startHarness({ applyDelayMs: 200 });
});
t.teardown(async () => {
  await deleteSchedules(h, schedules);
  await h.close();
});

async function list(params: Record<string, string>): Promise<CapacityChangeList> {
  const res = await h.app.inject({ method: 'GET', url: '/v1/capacity-changes', query: params });
  if (res.statusCode !== 200)
    throw new Error(`GET /v1/capacity-changes?${new URLSearchParams(params)}: ${res.statusCode} ${res.body}`);
  return res.json();
}

const ids = (items: CapacityChangeSummary[]) => items.map((i) => i.id).sort();

/** Polls the listing until it holds exactly `expected` (ids, in any order), and every item passes `ok`. */
function listUntil(
  params: Record<string, string>,
  expected: string[],
  ok: (i: CapacityChangeSummary) => boolean = () => true,
) {
  const want = [...expected].sort();
  let last: CapacityChangeSummary[] = [];
  return waitFor(
    `listing ${new URLSearchParams(params)} = [${want.join(', ')}]`,
    async () => {
      last = (await list({ pageSize: '100', ...params })).items;
      return JSON.stringify(ids(last)) === JSON.stringify(want) && last.every(ok) ? last : undefined;
    },
    20_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last answer: ${JSON.stringify(last)}`);
  });
}

const tag = randomBytes(4).toString('hex');
const alice = `alice-${tag}`;
const bob = `bob-${tag}`;
let nsA: string;
let nsB: string;
let w1: string; // nsA, alice, short: COMPLETED
let w2: string; // nsA, bob, starts in an hour: RUNNING, SCHEDULED
let w3: string; // nsB, alice, active for an hour (terminated later)

t.test('setup: windows over two fresh namespaces', async (t) => {
  nsA = h.newNamespace();
  nsB = h.newNamespace();
  w1 = await h.startWindow({ namespace: nsA, trus: 4, duration: 'PT1S', requestedBy: alice, reason: 'listing' });
  await h.waitForWindow(w1, 'COMPLETED', (s) => s.status === 'COMPLETED');
  w2 = await h.startWindow({
    namespace: nsA,
    trus: 2,
    startAt: new Date(Date.now() + 3_600_000).toISOString(),
    duration: 'PT1H',
    requestedBy: bob,
  });
  w3 = await h.startWindow({ namespace: nsB, trus: 6, duration: 'PT1H', requestedBy: alice });
  await h.waitForWindow(w3, 'ACTIVE', (s) => s.phase === 'ACTIVE');
  t.pass('three windows');
});

t.test('listing by namespace returns exactly the windows of that namespace, as summaries', async (t) => {
  const a = await listUntil({ namespace: nsA }, [w1, w2], (i) => i.phase === (i.id === w1 ? 'COMPLETED' : 'SCHEDULED'));
  const item1 = a.find((i) => i.id === w1)!;
  const full1 = await h.windowStatus(w1);
  t.same(
    item1,
    {
      id: w1,
      namespace: nsA,
      trus: 4,
      status: 'COMPLETED',
      phase: 'COMPLETED',
      startAt: full1.startAt,
      endAt: full1.endAt,
      requestedBy: alice,
      scheduleId: null,
      truHours: full1.truHours,
      usedTruHours: full1.usedTruHours,
      links: { self: `/v1/capacity-changes/${encodeURIComponent(w1)}` },
    },
    'the summary agrees with GET by id',
  );
  t.match(
    a.find((i) => i.id === w2),
    { namespace: nsA, trus: 2, status: 'RUNNING', phase: 'SCHEDULED', requestedBy: bob, scheduleId: null },
  );
  await listUntil({ namespace: nsB }, [w3], (i) => i.phase === 'ACTIVE');
});

t.test('filters: status, phase, requestedBy, start range, and their combinations', async (t) => {
  t.same(ids(await listUntil({ namespace: nsA, status: 'RUNNING' }, [w2])), [w2]);
  t.same(ids(await listUntil({ namespace: nsA, status: 'COMPLETED' }, [w1])), [w1]);
  t.same(ids(await listUntil({ namespace: nsA, phase: 'SCHEDULED' }, [w2])), [w2]);
  t.same(ids(await listUntil({ namespace: nsA, phase: 'COMPLETED' }, [w1])), [w1]);
  t.same(ids(await listUntil({ namespace: nsB, phase: 'ACTIVE', status: 'RUNNING' }, [w3])), [w3]);
  t.same(ids(await listUntil({ requestedBy: alice }, [w1, w3])), [w1, w3].sort(), 'across namespaces');
  t.same(ids(await listUntil({ requestedBy: alice, namespace: nsB }, [w3])), [w3]);
  t.same(
    ids(await listUntil({ namespace: nsA, from: new Date(Date.now() + 30 * 60_000).toISOString() }, [w2])),
    [w2],
    'from',
  );
  t.same(
    ids(await listUntil({ namespace: nsA, to: new Date(Date.now() + 30 * 60_000).toISOString() }, [w1])),
    [w1],
    'to',
  );
  t.same((await list({ namespace: nsA, status: 'FAILED' })).items, [], 'nothing failed');
});

t.test('endAfter with to: windows that overlap a span, including one that started before it', async (t) => {
  const { startAt, endAt } = await h.windowStatus(w1);
  const during = new Date((Date.parse(startAt) + Date.parse(endAt!)) / 2).toISOString();
  const to = new Date(Date.now() + 30 * 60_000).toISOString();
  t.same(ids(await listUntil({ namespace: nsA, from: during, to }, [])), [], 'from filters on the start: w1 is missed');
  t.same(ids(await listUntil({ namespace: nsA, endAfter: during, to }, [w1])), [w1], 'endAfter finds it');
  const after = new Date(Date.parse(endAt!) + 1_000).toISOString();
  t.same(ids(await listUntil({ namespace: nsA, endAfter: after }, [w2])), [w2], 'not once it has ended');
  t.same(ids(await listUntil({ namespace: nsB, endAfter: during, to }, [w3])), [w3], 'a running window');
});

t.test('paging with pageSize=1 walks every item once via nextPageToken', async (t) => {
  await listUntil({ requestedBy: alice }, [w1, w3]);
  for (const params of [{ namespace: nsA }, { requestedBy: alice }] as Record<string, string>[]) {
    const seen: string[] = [];
    let pageToken: string | null = null;
    let pages = 0;
    do {
      const page: CapacityChangeList = await list({
        ...params,
        pageSize: '1',
        ...(pageToken !== null && { pageToken }),
      });
      t.ok(page.items.length <= 1, 'at most pageSize items');
      seen.push(...page.items.map((i) => i.id));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken !== null && pages < 10);
    t.equal(pageToken, null, 'the walk ends');
    t.same(
      [...seen].sort(),
      params.namespace !== undefined ? [w1, w2].sort() : [w1, w3].sort(),
      `every item once (${JSON.stringify(params)})`,
    );
    t.ok(pages >= 2, `${pages} pages`);
  }
  const first = await list({ namespace: nsA, pageSize: '1' });
  t.type(first.nextPageToken, 'string');
  const other = await h.app.inject({
    method: 'GET',
    url: '/v1/capacity-changes',
    query: { namespace: nsB, pageSize: '1', pageToken: first.nextPageToken! },
  });
  t.equal(other.statusCode, 422);
  t.equal(other.json().code, 'INVALID_PAGE_TOKEN', "a token of another listing's filters");
  const bad = await h.app.inject({
    method: 'GET',
    url: '/v1/capacity-changes',
    query: { pageToken: 'AAAAAAAAAAAAAAAAAAAA' },
  });
  t.equal(bad.json().code, 'INVALID_PAGE_TOKEN');
});

t.test('query syntax in a filter is refused or matched literally, never executed', async (t) => {
  const injections: Record<string, string>[] = [
    { requestedBy: "x' OR CapacityNamespace != '" },
    { requestedBy: `${alice}' OR '1' = '1` },
    { requestedBy: 'x\\' },
    { namespace: `${nsA}' OR WorkflowType = 'capacityWindowWorkflow` },
    { scheduleId: "a' OR 'b" },
    { status: "RUNNING' OR 'x" },
    { from: "2020-01-01T00:00:00Z' OR '" },
  ];
  for (const q of injections) {
    const res = await h.app.inject({ method: 'GET', url: '/v1/capacity-changes', query: q });
    t.equal(res.statusCode, 400, `refused: ${JSON.stringify(q)}`);
    t.equal(res.json().code, 'VALIDATION_FAILED');
  }
  // Keywords pass the charset: they are a literal value, matching nobody.
  t.same((await list({ requestedBy: `${alice} OR CapacityTrus` })).items, [], 'matched literally');
  t.same((await list({ requestedBy: `${alice} OR CapacityTrus`, namespace: nsB })).items, []);

  // The escaping on its own, against the real visibility parser: quotes and backslashes the schema would refuse
  // stay inside one literal (no error, no match), where unescaped they would have matched every window.
  for (const requestedBy of [
    "x' OR CapacityNamespace != '",
    "x\\' OR CapacityNamespace != '",
    `${alice}' OR CapacityRequestedBy = '${bob}`,
  ]) {
    const query = buildListQuery({ requestedBy, namespace: nsA });
    const res = await h.client.workflowService.listWorkflowExecutions({
      namespace: h.config.temporal.namespace,
      query,
      pageSize: 100,
    });
    t.same(res.executions, [], `literal: ${requestedBy}`);
  }
  const control = buildListQuery({ requestedBy: bob, namespace: nsA });
  const found = await waitFor('control query', async () => {
    const res = await h.client.workflowService.listWorkflowExecutions({
      namespace: h.config.temporal.namespace,
      query: control,
      pageSize: 100,
    });
    return res.executions.length > 0 ? res.executions : undefined;
  });
  t.equal(found.length, 1, 'the same query shape with a plain value does match');
});

t.test('a workflow that died shows phase FAILED, and the phase filters agree', async (t) => {
  await h.client.workflow.getHandle(parseWindowId(w3)!.workflowId, parseWindowId(w3)!.runId).terminate('listing test');
  const [item] = await listUntil({ namespace: nsB, status: 'TERMINATED' }, [w3]);
  t.match(item, { status: 'TERMINATED', phase: 'FAILED' });
  await listUntil({ namespace: nsB, phase: 'FAILED' }, [w3]);
  t.same((await list({ namespace: nsB, phase: 'ACTIVE' })).items, [], 'no longer ACTIVE, whatever it published last');
  t.equal((await h.windowStatus(w3)).phase, 'FAILED', 'as GET by id says');
});

t.test('a window started by a schedule appears with its scheduleId', async (t) => {
  const nsC = h.newNamespace();
  const scheduleId = `listing-${tag}`;
  const created = await h.app.inject({
    method: 'POST',
    url: '/v1/capacity-schedules',
    payload: { id: scheduleId, namespace: nsC, trus: 4, duration: 'PT1H', interval: { every: 'PT2H' }, paused: true },
  });
  t.equal(created.statusCode, 201, created.body);
  schedules.push(scheduleId);
  const trig = await h.app.inject({ method: 'POST', url: `/v1/capacity-schedules/${scheduleId}/trigger`, payload: {} });
  t.equal(trig.statusCode, 202, trig.body);
  const changeId = await waitFor('the triggered run', async () => {
    const s = (await h.app.inject({ method: 'GET', url: `/v1/capacity-schedules/${scheduleId}` })).json();
    return s.recentActions?.[0]?.changeId as string | undefined;
  });
  const [item] = await listUntil({ scheduleId }, [changeId]);
  t.match(item, { id: changeId, namespace: nsC, trus: 4, status: 'RUNNING', scheduleId, requestedBy: null });
  t.same(ids(await listUntil({ namespace: nsC }, [changeId])), [changeId], 'by namespace too');
  t.same((await list({ scheduleId: `other-${tag}` })).items, [], 'another schedule has none');

  const del = await h.app.inject({
    method: 'DELETE',
    url: `/v1/capacity-schedules/${scheduleId}?cancelRunning=true`,
    headers: { 'x-requested-with': 'test' },
  });
  t.equal(del.statusCode, 204, del.body);
  await h.waitForWindow(changeId, 'ended', (w) => w.status !== 'RUNNING');
});

t.test('the namespace capacity recommends TRUs from the APS statistics, capped by what is available', async (t) => {
  // The emulator reports p99 480 APS: 0.96 TRUs of load, rounded up to its smallest value, 2.
  const res = await h.app.inject({ method: 'GET', url: `/v1/namespaces/${nsA}/capacity` });
  t.equal(res.statusCode, 200, res.body);
  t.same(res.json().recommendation, { trus: 2, basis: { apsP99: 480, apsPerTru: 500, rawTrus: 0.96 }, cappedAt: null });
  t.equal(res.json().apsStats.p99, 480, 'the numbers it used are the ones shown');

  h.emulator.state.injectFault({ maxAvailableTruValue: 1 });
  t.teardown(() => h.emulator.state.clearFaults());
  const capped = await h.app.inject({ method: 'GET', url: `/v1/namespaces/${nsA}/capacity` });
  t.same(
    capped.json().recommendation,
    { trus: null, basis: { apsP99: 480, apsPerTru: 500, rawTrus: 0.96 }, cappedAt: 1 },
    'nothing available',
  );
});
