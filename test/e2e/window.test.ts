import t from 'tap';
import { parseWindowId, progressQuery } from '../../src/shared/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';

const LEAD_MS = 8_000;
let h: Harness;
t.before(async () => {
  h = await startHarness({ applyDelayMs: 300, env: { PROVISIONING_LEAD: `${LEAD_MS}ms` } });
});
t.teardown(() => h.close());

t.test('happy path: provisioned, verified, held, reverted to On-Demand and verified again', async (t) => {
  const ns = h.newNamespace();
  const before = h.emulator.state.snapshot(ns);
  const res = await h.app.inject({
    method: 'POST',
    url: '/v1/capacity-changes',
    payload: { namespace: ns, trus: 4, duration: 'PT4S', reason: 'load test' },
  });
  t.equal(res.statusCode, 202, res.body);
  const { id } = res.json();
  t.match(id, ns);

  const active = await h.waitForWindow(id, 'ACTIVE', (s) => s.phase === 'ACTIVE');
  const snap = h.emulator.state.snapshot(ns);
  t.same(
    (snap.capacity as { provisioned?: unknown }).provisioned,
    { currentValue: 4 },
    'the namespace is provisioned with 4 TRUs',
  );
  const op = snap.capacity.latestRequest!;
  const fulfilledAt = Date.parse(String(op.endTime));
  const verified = active.steps.find((s) => s.step === 'VERIFY' && s.outcome === 'SUCCEEDED');
  if (!verified) throw new Error('verification did not succeed');
  const verifiedLate = Date.parse(verified.at) - fulfilledAt;
  // Never before the emulator fulfilled; the upper bound is what a busy machine adds (timing.test.ts measures punctuality).
  t.ok(verifiedLate >= 0 && verifiedLate < 5_000, `verified ${verifiedLate} ms after the emulator fulfilled`);

  const { workflowId, runId } = parseWindowId(id)!;
  const queried = await h.client.workflow.getHandle(workflowId, runId).query(progressQuery);
  t.equal(queried.phase, 'ACTIVE', 'the progress query answers the phase');
  t.same(
    queried.steps.map((s) => s.step),
    active.steps.map((s) => s.step),
    'and the step history',
  );

  const capRes = await h.app.inject({ method: 'GET', url: `/v1/namespaces/${ns}/capacity` });
  t.equal(capRes.statusCode, 200);
  t.match(capRes.json(), { namespace: ns, mode: 'PROVISIONED', trus: 4 });

  const done = await h.waitForWindow(id, 'COMPLETED', (s) => s.status === 'COMPLETED');
  t.equal(done.phase, 'COMPLETED');
  t.match(done.result, {
    initialChangeSuccess: true,
    verificationSuccess: true,
    revertedToOnDemand: true,
    revertVerificationSuccess: true,
    errors: [],
  });
  const after = h.emulator.state.snapshot(ns);
  t.ok(
    after.updates[1].at.getTime() >= Date.parse(String(done.endAt)),
    'the revert reached Cloud Ops after the window end',
  );
  t.ok('onDemand' in after.capacity, 'back to On-Demand');
  const { capacitySpec: _a, ...otherBefore } = before.spec as Record<string, unknown>;
  const { capacitySpec: _b, ...otherAfter } = after.spec as Record<string, unknown>;
  t.same(otherAfter, otherBefore, 'every other spec field was kept');
  t.equal(after.updates.length, 2, 'exactly two Cloud Ops changes: apply and revert');
  const versions = new Set(h.emulator.state.callLog.map((c) => c.apiVersion));
  t.same([...versions], [h.config.cloudOps.apiVersion], 'every Cloud Ops call carried temporal-cloud-api-version');
});

t.test(
  'a future one-off window: SCHEDULED, then provisioned PROVISIONING_LEAD early so it is in place at its start; start and end stay',
  async (t) => {
    const ns = h.newNamespace();
    const startAt = new Date(Date.now() + LEAD_MS + 4_000).toISOString();
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/capacity-changes',
      payload: { namespace: ns, trus: 6, startAt, duration: 'PT2S' },
    });
    t.equal(res.statusCode, 202, res.body);
    t.equal(res.json().phase, 'SCHEDULED');
    const id: string = res.json().id;
    const endAt = new Date(Date.parse(startAt) + 2_000).toISOString();

    const waiting = await h.windowStatus(id);
    t.match(waiting, { status: 'RUNNING', phase: 'SCHEDULED', startAt, endAt });
    t.equal(h.emulator.state.snapshot(ns).updates.length, 0, 'nothing changes before the lead');

    const active = await h.waitForWindow(id, 'ACTIVE', (s) => s.phase === 'ACTIVE');
    t.match(active, { startAt, endAt }, "the window's own start and end stay where the user put them");
    const validated = active.steps.find((s) => s.step === 'VALIDATE' && s.outcome === 'SUCCEEDED');
    t.ok(
      validated && Date.parse(validated.at) >= Date.parse(startAt) - LEAD_MS,
      'capacity info is checked again when the change begins',
    );
    const applied = h.emulator.state.snapshot(ns).updates[0];
    t.ok(
      applied.at.getTime() >= Date.parse(startAt) - LEAD_MS && applied.at.getTime() < Date.parse(startAt),
      `applied at ${applied.at.toISOString()}, in the lead before the start ${startAt}`,
    );
    const verified = active.steps.find((s) => s.step === 'VERIFY' && s.outcome === 'SUCCEEDED');
    t.ok(
      verified && Date.parse(verified.at) <= Date.parse(startAt),
      `the capacity was in place (verified at ${verified?.at}) by the start`,
    );

    const done = await h.waitForWindow(id, 'COMPLETED', (s) => s.status === 'COMPLETED');
    t.equal(done.phase, 'COMPLETED');
    const late = h.emulator.state.snapshot(ns).updates[1].at.getTime() - Date.parse(endAt);
    // Never early; late by at most what a busy machine adds (timing.test.ts measures punctuality).
    t.ok(late >= 0 && late < 5_000, `the revert reached Cloud Ops ${late} ms after startAt + duration`);
    t.ok('onDemand' in h.emulator.state.snapshot(ns).capacity);
  },
);

t.test('future windows: a start in the past or an end before the start is refused and starts nothing', async (t) => {
  const ns = h.newNamespace();
  const soon = Date.now() + 60_000;
  for (const [body, code] of [
    [
      { namespace: ns, trus: 4, startAt: new Date(Date.now() - 1_000).toISOString(), duration: 'PT1H' },
      'START_NOT_IN_FUTURE',
    ],
    [
      { namespace: ns, trus: 4, startAt: new Date(soon).toISOString(), endAt: new Date(soon - 1_000).toISOString() },
      'END_NOT_AFTER_START',
    ],
  ] as const) {
    const res = await h.app.inject({ method: 'POST', url: '/v1/capacity-changes', payload: body });
    t.equal(res.statusCode, 422);
    t.equal(res.json().code, code);
  }
  const after = await h.app.inject({
    method: 'POST',
    url: '/v1/capacity-changes',
    payload: { namespace: ns, trus: 4, duration: 'PT1S' },
  });
  t.equal(after.statusCode, 202, 'the refused requests left the namespace free');
});

t.test(
  "a window's history stays lean: one memo write per workflow task, search attributes only on a change, timers not restarted, no wait for reports",
  async (t) => {
    const ns = h.newNamespace();
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/capacity-changes',
      payload: { namespace: ns, trus: 4, duration: 'PT2S' },
    });
    t.equal(res.statusCode, 202, res.body);
    const { id } = res.json();
    const done = await h.waitForWindow(id, 'COMPLETED', (s) => s.status === 'COMPLETED');
    t.equal(done.phase, 'COMPLETED');

    const { workflowId, runId } = parseWindowId(id)!;
    const events = (await h.client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    // Between two WorkflowTaskCompleted events lie the commands of one task.
    const perTask: string[][] = [];
    for (const e of events) {
      if (e.workflowTaskCompletedEventAttributes) perTask.push([]);
      else if (e.workflowPropertiesModifiedEventAttributes) perTask.at(-1)?.push('memo');
      else if (e.upsertWorkflowSearchAttributesEventAttributes) perTask.at(-1)?.push('search attributes');
    }
    const memoWrites = perTask.map((c) => c.filter((x) => x === 'memo').length);
    const saWrites = perTask.map((c) => c.filter((x) => x === 'search attributes').length);
    t.ok(memoWrites.length >= 4, `${memoWrites.length} workflow tasks`);
    // Even when a report and the phase it leads to (ACTIVE, COMPLETED) are recorded in one task.
    t.ok(
      memoWrites.every((n) => n <= 1),
      `memo writes per task: ${memoWrites.join(', ')}`,
    );
    t.ok(
      saWrites.every((n) => n <= 1),
      `search attribute writes per task: ${saWrites.join(', ')}`,
    );
    const total = memoWrites.reduce((a, b) => a + b, 0);
    t.ok(total < done.steps.length, `${total} memo writes for ${done.steps.length} recorded steps`);
    const upserts = events.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes).length;
    // APPLYING, VERIFYING, ACTIVE, REVERTING, REVERT_VERIFYING, COMPLETED, and the start the workflow itself resolves.
    t.ok(upserts <= 7, `${upserts} search attribute upserts, one per phase change`);
    // The repeat timers of the claim and of the release end when answered; the reports before (APPLY, REVERT
    // SUCCEEDED) leave them running.
    const cancelled = events.filter((e) => e.timerCanceledEventAttributes).length;
    t.equal(cancelled, 2, 'two timers cancelled: none restarted by a report');

    // The controller starts verifying in the same task that tells the window its change was applied.
    const controller = (await h.client.workflow.getHandle(`capacity-namespace-${ns}`).fetchHistory()).events ?? [];
    const verifies = controller
      .map((e, i) => ({ e, i }))
      .filter(({ e }) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'verifyCapacity');
    t.equal(verifies.length, 2, 'the raise and the revert were verified');
    for (const { i } of verifies) {
      const taskStart = controller.slice(0, i).findLastIndex((e) => e.workflowTaskCompletedEventAttributes);
      const sameTask = controller.slice(taskStart, i);
      t.ok(
        sameTask.some((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes),
        'the report signal and the verify activity leave in one workflow task',
      );
    }
    // Its wake-up timer (a claim's expiry) stays set across the messages that wake it.
    t.equal(controller.filter((e) => e.timerCanceledEventAttributes).length, 0, 'the controller cancelled no timer');
  },
);
