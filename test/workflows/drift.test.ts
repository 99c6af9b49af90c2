// Drift: what counts as a change made by hand, when the controller looks, and what DRIFT_POLICY decides. Pure.
import t from 'tap';
import { ON_DEMAND, provisioned } from '../../src/shared/capacity.js';
import type { HeldClaim } from '../../src/shared/controller.js';
import {
  askText,
  coversClaim,
  decideDrift,
  driftedTo,
  earliest,
  heldClaimAnswer,
  leftByHand,
  nextLookAt,
  type DriftRead,
} from '../../src/workflows/decisions/drift.js';

const AT = '2026-12-06T10:00:00.000Z';
const T0 = Date.parse(AT);
const settledAt = (current: ReturnType<typeof provisioned>): DriftRead => ({
  current,
  requested: current,
  inProgress: false,
});

t.test('drift: the capacity or the capacity spec is not what the controller verified', async (t) => {
  t.equal(driftedTo(provisioned(4), settledAt(provisioned(4))), null, 'as verified');
  t.same(driftedTo(provisioned(4), settledAt(provisioned(10))), provisioned(10), 'raised by hand');
  t.same(driftedTo(provisioned(4), settledAt(provisioned(2))), provisioned(2), 'lowered by hand');
  t.same(driftedTo(provisioned(4), settledAt(ON_DEMAND)), ON_DEMAND, 'On-Demand by hand');
  t.same(
    driftedTo(provisioned(4), { current: provisioned(4), requested: provisioned(10), inProgress: true }),
    provisioned(10),
    'a request by hand still under way: the spec says what was asked, seen at once',
  );
  t.same(
    driftedTo(provisioned(4), { current: provisioned(4), requested: provisioned(10), inProgress: false }),
    provisioned(10),
    'the spec changed without the capacity (a refused request left it)',
  );
  t.equal(
    driftedTo(provisioned(10), { current: provisioned(4), requested: provisioned(10), inProgress: true }),
    null,
    'the spec asks for what is expected and a request is under way: it is landing',
  );
  t.same(
    driftedTo(provisioned(4), { current: provisioned(6), requested: null, inProgress: false }),
    provisioned(6),
    'a spec naming no mode: the capacity decides',
  );
  t.equal(driftedTo(null, settledAt(provisioned(10))), null, 'nothing verified: nothing to compare with');
});

function claim(id: string): HeldClaim {
  return {
    workflowId: id,
    windowId: id,
    trus: 4,
    revertTo: 'BASELINE',
    endAt: null,
    startAt: null,
    requestedBy: null,
    reason: null,
    answered: true,
    since: AT,
  };
}

t.test('the controller looks every interval, only while a claim is active and it knows what to expect', async (t) => {
  const active = { claims: [claim('a')], known: provisioned(4), unverified: null };
  t.equal(nextLookAt(T0, 2_000, active), T0 + 2_000);
  t.equal(nextLookAt(T0, 0, active), undefined, 'DRIFT_CHECK_INTERVAL 0: no periodic look');
  t.equal(nextLookAt(T0, 2_000, { ...active, claims: [] }), undefined, 'no claim active');
  t.equal(nextLookAt(T0, 2_000, { ...active, known: null }), undefined, 'nothing verified');
  const late = { asyncOperationId: 'op', to: provisioned(4), workflowIds: ['a'] };
  t.equal(nextLookAt(T0, 2_000, { ...active, unverified: late }), undefined, 'a late change of ours is watched');
  t.equal(earliest(undefined, undefined), undefined);
  t.equal(earliest(5, undefined), 5);
  t.equal(earliest(undefined, 7), 7);
  t.equal(earliest(9, 7), 7);
});

t.test('respect: the value found holds by hand, and is what the controller knows', async (t) => {
  const read = settledAt(provisioned(10));
  const d = decideDrift({
    policy: 'respect',
    expected: provisioned(4),
    found: provisioned(10),
    read,
    desired: provisioned(4),
    at: AT,
  });
  t.same(d.seen, { expected: provisioned(4), found: provisioned(10), at: AT, policy: 'respect' });
  t.same(d.manual, provisioned(10));
  t.same(d.known, provisioned(10));
  t.match(d.detail, `expected 4 TRUs, found 10 TRUs at ${AT}`);
  t.match(d.detail, 'DRIFT_POLICY=respect: 10 TRUs stands');
  const underWay = decideDrift({
    policy: 'respect',
    expected: provisioned(4),
    found: provisioned(10),
    read: { current: provisioned(4), requested: provisioned(10), inProgress: true },
    desired: provisioned(4),
    at: AT,
  });
  t.same(underWay.known, provisioned(10), 'a request by hand under way: its value is expected from now on');
});

t.test('enforce: the windows get their value back', async (t) => {
  const d = decideDrift({
    policy: 'enforce',
    expected: provisioned(4),
    found: provisioned(10),
    read: settledAt(provisioned(10)),
    desired: provisioned(4),
    at: AT,
  });
  t.equal(d.manual, null);
  t.same(d.known, provisioned(10), 'the change back is sent from what was found');
  t.match(d.detail, 'DRIFT_POLICY=enforce: putting back 4 TRUs');
  const underWay = decideDrift({
    policy: 'enforce',
    expected: provisioned(4),
    found: provisioned(10),
    read: { current: provisioned(4), requested: provisioned(10), inProgress: true },
    desired: provisioned(4),
    at: AT,
  });
  t.equal(underWay.known, null, 'a request by hand still under way: unknown, the change waits it out');
  const reverting = decideDrift({
    policy: 'enforce',
    expected: provisioned(4),
    found: provisioned(10),
    read: settledAt(provisioned(10)),
    desired: ON_DEMAND,
    at: AT,
  });
  t.match(reverting.detail, 'putting back On-Demand', 'a revert blocked meanwhile goes on');
});

t.test('a value set by hand that is what the windows ask hands the namespace back, under either policy', async (t) => {
  for (const policy of ['respect', 'enforce'] as const) {
    const d = decideDrift({
      policy,
      expected: provisioned(10),
      found: provisioned(4),
      read: settledAt(provisioned(4)),
      desired: provisioned(4),
      at: AT,
    });
    t.equal(d.manual, null, policy);
    t.same(d.known, provisioned(4), policy);
    t.match(d.detail, 'the scheduler goes on', policy);
  }
});

t.test('while a value holds by hand, a claim is answered by it: covered, or refused saying why', async (t) => {
  t.ok(coversClaim(provisioned(10), 4));
  t.ok(coversClaim(provisioned(4), 4));
  t.notOk(coversClaim(provisioned(2), 4));
  t.notOk(coversClaim(ON_DEMAND, 2));
  const covered = heldClaimAnswer(provisioned(10), 4);
  t.ok(covered.covered);
  t.match(covered.detail, 'nothing to change: the namespace is held at 10 TRUs, set by hand (DRIFT_POLICY=respect)');
  const refused = heldClaimAnswer(ON_DEMAND, 4);
  t.notOk(refused.covered);
  t.match(refused.detail, 'held at On-Demand, set by hand');
  t.match(refused.detail, 'the 4 TRUs asked are not applied while it holds');
});

t.test(
  'windows end while a value holds by hand: not reverted; the last one asks unless there is nothing to ask',
  async (t) => {
    const left = leftByHand(provisioned(10), ON_DEMAND);
    t.ok(left.ask);
    t.equal(left.detail, 'left at 10 TRUs set by hand (DRIFT_POLICY=respect); not reverted to On-Demand');
    const same = leftByHand(ON_DEMAND, ON_DEMAND);
    t.notOk(same.ask, 'set by hand to where the windows would have gone: nothing to ask');
    t.match(same.detail, 'nothing to change: the namespace has On-Demand, set by hand');
    const ask = askText(provisioned(10), ON_DEMAND, ['w1', 'w2']);
    t.match(ask, 'left at 10 TRUs, set by hand');
    t.match(ask, 'would have reverted it to On-Demand');
    t.match(ask, 'What should it be?');
    t.match(ask, 'Windows: w1, w2');
  },
);

t.test('edges: nothing the windows ask, a spec changed by hand and refused, no revert target known', async (t) => {
  const none = decideDrift({
    policy: 'enforce',
    expected: provisioned(4),
    found: provisioned(10),
    read: settledAt(provisioned(10)),
    desired: null,
    at: AT,
  });
  t.match(none.detail, 'DRIFT_POLICY=enforce: nothing to put back');
  t.equal(none.manual, null);
  const refused = decideDrift({
    policy: 'enforce',
    expected: provisioned(4),
    found: provisioned(10),
    read: { current: provisioned(4), requested: provisioned(10), inProgress: false },
    desired: provisioned(4),
    at: AT,
  });
  t.equal(refused.known, null, 'the spec asks for what the namespace does not have: unknown, the change is sent');
  const respectNone = decideDrift({
    policy: 'respect',
    expected: provisioned(4),
    found: provisioned(10),
    read: settledAt(provisioned(10)),
    desired: null,
    at: AT,
  });
  t.same(respectNone.manual, provisioned(10));
  const left = leftByHand(provisioned(10), null);
  t.ok(left.ask);
  t.equal(left.detail, 'left at 10 TRUs set by hand (DRIFT_POLICY=respect)');
  t.notMatch(askText(provisioned(10), null, ['w1']), 'would have reverted');
  t.match(askText(provisioned(10), null, ['w1']), 'and was not reverted because DRIFT_POLICY=respect');
});
