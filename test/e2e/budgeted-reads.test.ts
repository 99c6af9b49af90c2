// The API's Cloud Ops reads count against the account's request budget (issue 18): against the real dev server and
// the emulator over real gRPC, each read is an activity on the worker's task queue, which the Temporal server
// rate-limits for every worker and API process alike.
import proto from '@temporalio/proto';
import t from 'tap';
import { CLOUD_OPS_READ_WORKFLOW } from '../../src/shared/index.js';
import { startHarness, waitFor } from '../helpers/harness.js';

const { EventType } = proto.temporal.api.enums.v1;

// 12 requests per second: two activities per second on the task queue (src/worker, activitiesPerSecondFor). Slower
// would bring the last of four reads close to the API's 9 s read deadline on a loaded machine.
const h = await startHarness({ env: { CLOUD_OPS_MAX_REQUESTS_PER_SECOND: '12' } });
t.teardown(() => h.close());

// The readiness check's GetCurrentIdentity stays direct (docs/deployment.md): the namespace reads are counted apart.
const namespaceReads = () => h.emulator.state.callLog.filter((c) => c.method !== 'GetCurrentIdentity').length;

/** The read workflows of this harness's task queue, with when their activity started (epoch ms). */
async function reads(count: number): Promise<number[]> {
  const query = `WorkflowType = '${CLOUD_OPS_READ_WORKFLOW}' AND TaskQueue = '${h.config.temporal.taskQueue}'`;
  const ids = await waitFor(`${count} read workflows in visibility`, async () => {
    const found: string[] = [];
    for await (const wf of h.client.workflow.list({ query })) found.push(wf.workflowId);
    return found.length >= count ? found : undefined;
  });
  return Promise.all(
    ids.map(async (id) => {
      const { events } = await h.client.workflow.getHandle(id).fetchHistory();
      const scheduled = events!.find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
      const started = events!.find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED)!;
      t.equal(scheduled?.activityTaskScheduledEventAttributes?.activityType?.name, 'readCloudOps');
      t.equal(scheduled?.activityTaskScheduledEventAttributes?.taskQueue?.name, h.config.temporal.taskQueue);
      return Number(started.eventTime!.seconds) * 1000 + Math.floor((started.eventTime!.nanos ?? 0) / 1e6);
    }),
  );
}

t.test('a namespace view and a window create read Cloud Ops through activities on the task queue', async (t) => {
  const ns = h.newNamespace();
  const before = namespaceReads();
  const view = await h.app.inject({ method: 'GET', url: `/v1/namespaces/${ns}/capacity` });
  t.equal(view.statusCode, 200, view.body);
  t.match(view.json(), { namespace: ns, mode: 'ON_DEMAND', validTruValues: Array });
  const create = await h.app.inject({
    method: 'POST',
    url: '/v1/capacity-changes',
    payload: { namespace: ns, trus: 5, duration: 'PT1M' },
  });
  t.equal(create.statusCode, 422, create.body);
  t.equal(create.json().code, 'TRU_VALUE_NOT_ALLOWED', 'the TRU check answered from the read');
  t.equal(namespaceReads(), before + 3, 'GetNamespace + capacity info, then capacity info');
  t.equal((await reads(2)).length, 2, 'each read was a readCloudOps activity on the task queue');

  const unknown = await h.app.inject({ method: 'GET', url: '/v1/namespaces/nowhere.acct1/capacity' });
  t.equal(unknown.statusCode, 404, unknown.body);
  t.equal(unknown.json().code, 'NAMESPACE_NOT_FOUND', "Cloud Ops' answer keeps its meaning through the activity");
});

t.test("the task queue's rate holds for the API's reads too", async (t) => {
  const ns = h.newNamespace();
  const already = (await reads(3)).length;
  const views = await Promise.all(
    Array.from({ length: 4 }, () => h.app.inject({ method: 'GET', url: `/v1/namespaces/${ns}/capacity` })),
  );
  t.ok(
    views.every((r) => r.statusCode === 200),
    'every read answered',
  );
  const started = (await reads(already + 4)).sort((a, b) => a - b).slice(-4);
  // At two activities per second, four reads asked at once start over at least ~1.5 s (more under load, never
  // less); unthrottled they would all start within a fraction of a second.
  t.ok(started[3]! - started[0]! >= 1_200, `the last read started ${started[3]! - started[0]!} ms after the first`);
});

t.test('without a worker, a read answers 503 CLOUD_OPS_BUDGET_UNAVAILABLE and calls no Cloud Ops', async (t) => {
  const ns = h.newNamespace();
  await h.stopWorker();
  t.teardown(() => h.startWorker());
  const before = namespaceReads();
  const res = await h.app.inject({ method: 'GET', url: `/v1/namespaces/${ns}/capacity` });
  t.equal(res.statusCode, 503, res.body);
  t.equal(res.json().code, 'CLOUD_OPS_BUDGET_UNAVAILABLE');
  t.equal(namespaceReads(), before, 'nothing reached Cloud Ops around the budget');
});
