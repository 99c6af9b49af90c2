// Load on the create path: 100 concurrent POSTs for 100 namespaces, and 100 concurrent POSTs with one
// Idempotency-Key. Windows start in the future (SCHEDULED), so nothing reaches Cloud Ops, and are cancelled at the end.
import t from 'tap';
import { startHarness, type Harness } from '../helpers/harness.js';
import { CLOUD_OPS_READ_WORKFLOW } from '../../src/shared/index.js';

let h: Harness;
t.before(async () => {
  // 100 TRU checks at once are more than the default account's 80 requests per second: at the default budget some
  // would answer 503 CLOUD_OPS_BUDGET_UNAVAILABLE (budgeted-reads.test.ts). This test is about the API's
  // concurrency, so it runs against an account whose limit (the emulator's) and budget (ours) are both 600/s.
  const account = { CLOUD_OPS_MAX_REQUESTS_PER_SECOND: '600', EMULATOR_MAX_REQUESTS_PER_SECOND: '600' };
  h = await startHarness({ env: account });
});
t.teardown(() => h?.close());

const N = 100;
const future = () => new Date(Date.now() + 3_600_000).toISOString();
const post = (body: object, headers: Record<string, string> = {}) =>
  h.app.inject({ method: 'POST', url: '/v1/capacity-changes', payload: body, headers });

async function windowsOnQueue(): Promise<Array<{ workflowId: string; runId: string; status: string }>> {
  const out = [];
  for await (const wf of h.client.workflow.list({
    query: `TaskQueue = '${h.config.temporal.taskQueue}' AND WorkflowType != '${CLOUD_OPS_READ_WORKFLOW}'`,
  })) {
    out.push({ workflowId: wf.workflowId, runId: wf.runId, status: wf.status.name });
  }
  return out;
}

t.test(`${N} concurrent POSTs for ${N} namespaces: ${N} windows, each answer names one of them`, async (t) => {
  const namespaces = Array.from({ length: N }, () => h.newNamespace());
  const startAt = future();
  const res = await Promise.all(
    namespaces.map((namespace) => post({ namespace, trus: 4, startAt, duration: 'PT1H', reason: 'load' })),
  );
  const statuses = res.map((r) => r.statusCode);
  t.same(
    [...new Set(statuses)],
    [202],
    `every POST answered 202 (${JSON.stringify(statuses.filter((s) => s !== 202))})`,
  );
  const ids = res.map((r) => r.json().id as string);
  t.equal(new Set(ids).size, N, 'distinct ids');
  for (const [i, id] of ids.entries()) t.ok(id.startsWith(`${namespaces[i]}_`), `id ${i} is its namespace's`);
  // Visibility is eventually consistent: wait for the listing to catch up.
  let seen: Awaited<ReturnType<typeof windowsOnQueue>> = [];
  for (let i = 0; i < 100 && seen.length < N; i++) {
    seen = await windowsOnQueue();
    if (seen.length < N) await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(seen.length, N, `${N} workflows on the task queue`);
  const statusesRead = await Promise.all(ids.map((id) => h.windowStatus(id)));
  t.ok(
    statusesRead.every((s) => s.phase === 'SCHEDULED' || s.phase === 'PENDING'),
    'every window is readable and waiting for its start',
  );
  const cancelled = await Promise.all(
    ids.map((id) =>
      h.app.inject({ method: 'POST', url: `/v1/capacity-changes/${encodeURIComponent(id)}/cancel`, payload: {} }),
    ),
  );
  t.ok(
    cancelled.every((r) => r.statusCode === 202),
    'all cancelled',
  );
  t.equal(
    h.emulator.state.callLog.filter((c) => c.method === 'UpdateNamespace').length,
    0,
    'no change reached Cloud Ops',
  );
});

t.test(`${N} concurrent POSTs with one Idempotency-Key: one window, every answer names it`, async (t) => {
  const before = (await windowsOnQueue()).length;
  const namespace = h.newNamespace();
  const body = { namespace, trus: 4, startAt: future(), duration: 'PT1H', reason: 'idempotent' };
  const res = await Promise.all(Array.from({ length: N }, () => post(body, { 'idempotency-key': 'load-test-key-1' })));
  const byStatus: Record<number, number> = {};
  for (const r of res) byStatus[r.statusCode] = (byStatus[r.statusCode] ?? 0) + 1;
  t.comment(`statuses: ${JSON.stringify(byStatus)}`);
  t.equal(byStatus[202], 1, 'exactly one 202 (the creation)');
  t.equal(byStatus[200], N - 1, 'every other answer is a 200 replay');
  const ids = new Set(res.filter((r) => r.statusCode < 300).map((r) => r.json().id as string));
  t.equal(ids.size, 1, 'every answer names the same window');
  const [id] = [...ids];
  let seen: Awaited<ReturnType<typeof windowsOnQueue>> = [];
  for (let i = 0; i < 100 && seen.length < before + 1; i++) {
    seen = await windowsOnQueue();
    if (seen.length < before + 1) await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(seen.length, before + 1, 'one new workflow');
  const mine = seen.filter((w) => `${w.workflowId.replace(/^capacity-window-/, '')}~${w.runId}` === id);
  t.equal(mine.length, 1, 'and it is the one every answer named');
  const c = await h.app.inject({
    method: 'POST',
    url: `/v1/capacity-changes/${encodeURIComponent(id!)}/cancel`,
    payload: {},
  });
  t.equal(c.statusCode, 202);
});
