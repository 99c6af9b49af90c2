// The pure parts of starting a window, without a server: the dry-run plan against the claims a namespace's
// controller holds, and what makes an Idempotency-Key retry the same request. test/e2e/guardrails.test.ts
// checks a plan against what a real run then does.
import t from 'tap';
import type { WorkflowExecutionDescription } from '@temporalio/client';
import type { ControllerState, HeldClaim } from '../../src/shared/index.js';
import { bodyHash, replayOf } from '../../src/windows/idempotency.js';
import { dryRunPlan, type PlanInput } from '../../src/windows/plan.js';

const START = Date.parse('2027-03-02T10:00:00Z');
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

function claim(windowId: string, trus: number, endAt: string | null): HeldClaim {
  const who = { startAt: null, requestedBy: null, reason: null };
  return {
    workflowId: `capacity-window-${windowId}`,
    windowId,
    trus,
    revertTo: 'BASELINE',
    endAt,
    ...who,
    answered: true,
    since: iso(START),
  };
}

function controller(
  claims: HeldClaim[],
  baseline: ControllerState['baseline'] = { mode: 'ON_DEMAND' },
): ControllerState {
  return {
    claims,
    releasing: [],
    baseline,
    known: null,
    failedTarget: null,
    lastRevertTo: 'BASELINE',
    seq: 0,
    blocked: null,
  };
}

const twoHours = { start: START, endAt: iso(START + 2 * HOUR) };
const plan = (input: Partial<PlanInput> & Pick<PlanInput, 'body'>) =>
  dryRunPlan({
    window: twoHours,
    current: { mode: 'ON_DEMAND' },
    controller: null,
    problems: [],
    leadMs: 0,
    minIntervalMs: 0,
    nowMs: START - HOUR,
    ...input,
  });
const body = { namespace: 'payments.a1b2c', trus: 6, duration: 'PT2H' };

t.test('an idle namespace: raise at the start, back to what it has at the end', async (t) => {
  const p = plan({ body });
  t.same(p.changes, [
    { at: iso(START), to: { mode: 'PROVISIONED', trus: 6 }, why: 'raise to 6 TRUs' },
    { at: iso(START + 2 * HOUR), to: { mode: 'ON_DEMAND' }, why: 'revert to On-Demand' },
  ]);
  t.same(p.validation, { ok: true, problems: [] });
  t.equal(p.estimatedTruHours, 12);
});

t.test('a future window: the raise begins PROVISIONING_LEAD early (never before now); its end stays', async (t) => {
  const future = { ...body, startAt: iso(START) };
  const p = plan({ body: future, leadMs: 180_000 });
  t.same(p.changes, [
    {
      at: iso(START - 180_000),
      to: { mode: 'PROVISIONED', trus: 6 },
      why: 'raise to 6 TRUs, 180 s early to be in place at the start',
    },
    { at: iso(START + 2 * HOUR), to: { mode: 'ON_DEMAND' }, why: 'revert to On-Demand' },
  ]);
  const soon = plan({ body: future, leadMs: 180_000, nowMs: START - 60_000 });
  t.equal(soon.changes[0].at, iso(START - 60_000), 'a start closer than the lead: the raise begins now');
  t.equal(plan({ body, leadMs: 180_000 }).changes[0].at, iso(START), 'a window that starts now has no lead');
});

t.test(
  'CAPACITY_CHANGE_MIN_INTERVAL: each change shown when it will happen, no closer than the interval',
  async (t) => {
    const short = { start: START, endAt: iso(START + 20 * 60_000) };
    const busy = { ...controller([]), lastChangeAt: iso(START - 10 * 60_000) };
    const p = plan({ body, window: short, controller: busy, minIntervalMs: HOUR });
    t.same(p.changes, [
      {
        at: iso(START + 50 * 60_000),
        to: { mode: 'PROVISIONED', trus: 6 },
        why: 'raise to 6 TRUs (held back by CAPACITY_CHANGE_MIN_INTERVAL)',
      },
      {
        at: iso(START + 110 * 60_000),
        to: { mode: 'ON_DEMAND' },
        why: 'revert to On-Demand (held back by CAPACITY_CHANGE_MIN_INTERVAL: still billed until then)',
      },
    ]);
    const idle = plan({ body, controller: controller([]), minIntervalMs: HOUR });
    t.same(
      idle.changes.map((c) => c.at),
      [iso(START), iso(START + 2 * HOUR)],
      'a window longer than the interval, on a namespace not changed lately: as asked',
    );
  },
);

t.test('the namespace follows the largest claim active at each change', async (t) => {
  const covering = plan({
    body: { ...body, trus: 4 },
    controller: controller([claim('w-6', 6, iso(START + 3 * HOUR))]),
  });
  t.same(
    covering.changes.map((c) => c.to),
    [
      { mode: 'PROVISIONED', trus: 6 },
      { mode: 'PROVISIONED', trus: 6 },
    ],
    'a larger claim covers it',
  );
  t.same(
    covering.changes.map((c) => c.why),
    ['nothing to change: 6 TRUs, held by w-6', 'follow w-6'],
  );

  const ending = plan({ body, controller: controller([claim('w-8', 8, iso(START + HOUR)), claim('w-2', 2, null)]) });
  t.same(
    ending.changes.map((c) => c.to),
    [
      { mode: 'PROVISIONED', trus: 8 },
      { mode: 'PROVISIONED', trus: 2 },
    ],
    'a claim over by then does not count',
  );
  t.equal(ending.changes[1].why, 'follow w-2', 'the permanent claim is what is left');
});

t.test('the end goes back to the baseline the controller keeps, or On-Demand when asked', async (t) => {
  const baseline = { mode: 'PROVISIONED' as const, trus: 2 };
  t.same(plan({ body, controller: controller([], baseline) }).changes[1].to, baseline);
  t.same(plan({ body: { ...body, revertTo: 'ON_DEMAND' }, controller: controller([], baseline) }).changes[1].to, {
    mode: 'ON_DEMAND',
  });
});

t.test('refused times: no changes, no estimate, and the problems listed', async (t) => {
  const problems = [{ code: 'START_NOT_IN_FUTURE', message: 'startAt is not in the future' }];
  t.match(plan({ body, window: null, problems }), {
    changes: [],
    estimatedTruHours: null,
    validation: { ok: false, problems },
  });
  const permanent = plan({ body: { namespace: 'payments.a1b2c', trus: 6 }, window: { start: START, endAt: null } });
  t.equal(permanent.changes.length, 1, 'a permanent change never reverts');
});

t.test('an Idempotency-Key retry is the same request whatever the key order; another body is refused', async (t) => {
  t.equal(bodyHash({ trus: 4, namespace: 'a.b', reason: undefined }), bodyHash({ namespace: 'a.b', trus: 4 }));
  t.not(bodyHash({ namespace: 'a.b', trus: 4 }), bodyHash({ namespace: 'a.b', trus: 8 }));

  const hash = bodyHash(body);
  const desc = (phase: string, status = 'RUNNING') => {
    const memo = { request: { idempotencyKey: 'k', bodySha256: hash }, progress: { phase } };
    const fields = { workflowId: 'capacity-window-key-abc', runId: 'run-1', memo, status: { name: status } };
    return fields as unknown as WorkflowExecutionDescription;
  };
  const self = '/v1/capacity-changes/key-abc~run-1';
  t.same(replayOf(desc('SCHEDULED'), hash), {
    id: 'key-abc~run-1',
    status: 'RUNNING',
    phase: 'SCHEDULED',
    links: { self },
  });
  t.equal(replayOf(desc('ACTIVE'), hash).phase, 'ACTIVE', 'a replay reports the phase the window is in now');
  t.same(
    { ...replayOf(desc('ACTIVE', 'TERMINATED'), hash) },
    { id: 'key-abc~run-1', status: 'TERMINATED', phase: 'FAILED', links: { self } },
    'a window whose workflow died mid-way answers FAILED, not the phase it last published',
  );
  t.throws(() => replayOf(desc('ACTIVE'), bodyHash({ ...body, trus: 8 })), {
    statusCode: 422,
    code: 'IDEMPOTENCY_KEY_REUSED',
  });
});
