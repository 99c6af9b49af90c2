// What the claims ask of a namespace: pure decisions, no server.
import t from 'tap';
import { ON_DEMAND, provisioned } from '../../src/shared/capacity.js';
import { consistent, covered, desiredTarget, lowering, rank, settled } from '../../src/workflows/decisions/capacity.js';

const claims = (...trus: number[]) => trus.map((n) => ({ trus: n }));

t.test('rank puts On-Demand below any provisioned value', async (t) => {
  t.equal(rank(ON_DEMAND), 0);
  t.equal(rank(provisioned(1)), 1);
  t.equal(rank(provisioned(7)), 7);
  t.ok(rank(ON_DEMAND) < rank(provisioned(1)));
});

t.test('the namespace should have the largest claim', async (t) => {
  t.same(desiredTarget(claims(2, 5, 3), null, 'BASELINE'), provisioned(5));
  t.same(desiredTarget(claims(4), provisioned(9), 'BASELINE'), provisioned(4), 'a claim below the baseline still wins');
  t.same(
    desiredTarget(claims(4), ON_DEMAND, 'ON_DEMAND'),
    provisioned(4),
    'claims win over where the last window asked to go',
  );
});

t.test('with no claim, the baseline, or On-Demand when the last window asked for it', async (t) => {
  t.same(desiredTarget([], provisioned(2), 'BASELINE'), provisioned(2));
  t.same(desiredTarget([], provisioned(2), 'ON_DEMAND'), ON_DEMAND);
  t.same(desiredTarget([], ON_DEMAND, 'BASELINE'), ON_DEMAND);
  t.equal(desiredTarget([], null, 'BASELINE'), null, 'nothing to aim at before the baseline was read');
  t.equal(desiredTarget([], null, 'ON_DEMAND'), null);
});

t.test('settled: the namespace has what it should, or there is nothing to aim at', async (t) => {
  t.ok(settled(null, null));
  t.ok(settled(null, provisioned(3)));
  t.notOk(settled(provisioned(3), null), 'an unknown capacity is not settled');
  t.ok(settled(provisioned(3), provisioned(3)));
  t.notOk(settled(provisioned(3), provisioned(4)));
  t.ok(settled(ON_DEMAND, ON_DEMAND));
  t.notOk(settled(ON_DEMAND, provisioned(1)));
  t.notOk(settled(provisioned(1), ON_DEMAND));
});

t.test('a read is a known state only when the spec asks for what the namespace has', async (t) => {
  t.ok(consistent({ current: provisioned(2), requested: provisioned(2) }));
  t.ok(consistent({ current: ON_DEMAND, requested: ON_DEMAND }));
  t.notOk(consistent({ current: provisioned(2), requested: provisioned(4) }), 'a change under way');
  t.notOk(consistent({ current: provisioned(2), requested: null }), 'nothing requested: unknown');
  t.notOk(consistent({ current: ON_DEMAND, requested: provisioned(2) }));
});

t.test('covered: the namespace holds no more than the target, in capacity and in spec', async (t) => {
  t.ok(covered({ current: provisioned(2), requested: null }, provisioned(2)), 'equal capacity is covered');
  t.ok(covered({ current: provisioned(1), requested: null }, provisioned(2)));
  t.notOk(covered({ current: provisioned(3), requested: null }, provisioned(2)));
  t.ok(
    covered({ current: provisioned(1), requested: provisioned(2) }, provisioned(2)),
    'a spec equal to the target is covered',
  );
  t.notOk(
    covered({ current: provisioned(1), requested: provisioned(3) }, provisioned(2)),
    'a spec above the target is not',
  );
  t.ok(
    covered({ current: ON_DEMAND, requested: ON_DEMAND }, provisioned(2)),
    'On-Demand is below any provisioned target',
  );
  t.notOk(covered({ current: provisioned(1), requested: null }, ON_DEMAND), 'any provisioned value is above On-Demand');
  t.ok(covered({ current: ON_DEMAND, requested: null }, ON_DEMAND));
});

t.test('lowering: a change that ends paid capacity', async (t) => {
  t.ok(lowering(provisioned(5), provisioned(2), 0), 'no claim left: back to the baseline, whatever its size');
  t.ok(lowering(provisioned(5), null, 2), 'from an unknown capacity');
  t.ok(lowering(provisioned(2), provisioned(5), 1), 'going down');
  t.notOk(lowering(provisioned(5), provisioned(5), 1), 'the same value is no lowering');
  t.notOk(lowering(provisioned(5), provisioned(2), 1), 'going up');
  t.ok(lowering(ON_DEMAND, provisioned(1), 1), 'provisioned to On-Demand');
  t.notOk(lowering(provisioned(1), ON_DEMAND, 1), 'On-Demand to provisioned is a raise');
});
