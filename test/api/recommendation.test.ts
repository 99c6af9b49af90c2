// The TRU recommendation rule: p99 APS / 500 per TRU, rounded up to a valid value, capped by what is available.
import t from 'tap';
import { recommendTrus } from '../../src/cloud-ops/capacity.js';

const TIERS = [2, 3, 4, 6, 8, 10, 12];
const view = (p99: number | null, maxAvailableTruValue: number | null = null, validTruValues = TIERS) => ({
  apsStats: p99 === null ? null : { mean: p99 / 3, p90: p99 / 2, p99 },
  validTruValues,
  maxAvailableTruValue,
});

t.test('no statistics: no recommendation, and no numbers pretended', async (t) => {
  t.strictSame(recommendTrus(view(null, 8)), {
    trus: null,
    basis: { apsP99: null, apsPerTru: 500, rawTrus: null },
    cappedAt: null,
  });
});

t.test('rounds up to the next valid value', async (t) => {
  t.strictSame(recommendTrus(view(480)), {
    trus: 2,
    basis: { apsP99: 480, apsPerTru: 500, rawTrus: 0.96 },
    cappedAt: null,
  });
  t.equal(recommendTrus(view(1000)).trus, 2, 'exactly 2 TRUs of load needs 2');
  t.equal(recommendTrus(view(1000.5)).trus, 3, 'a fraction above 2 needs 3');
  t.equal(recommendTrus(view(2600)).trus, 6, '5.2 rounds up past the missing 5 to 6');
  t.equal(recommendTrus(view(4000)).trus, 8);
  t.equal(recommendTrus(view(1500, null, [8, 2, 4])).trus, 4, 'valid values in any order');
});

t.test('p99 of 0: the smallest valid value', async (t) => {
  t.strictSame(recommendTrus(view(0)), { trus: 2, basis: { apsP99: 0, apsPerTru: 500, rawTrus: 0 }, cappedAt: null });
});

t.test('capped by what is available now: the largest valid value under the cap', async (t) => {
  t.strictSame(recommendTrus(view(4500, 8)), {
    trus: 8,
    basis: { apsP99: 4500, apsPerTru: 500, rawTrus: 9 },
    cappedAt: 8,
  });
  t.strictSame(
    recommendTrus(view(4500, 7)),
    { trus: 6, basis: { apsP99: 4500, apsPerTru: 500, rawTrus: 9 }, cappedAt: 7 },
    '7 is not a tier: 6',
  );
  t.strictSame(recommendTrus(view(1800, 8)).cappedAt, null, 'a need under the cap is not capped');
  t.strictSame(
    recommendTrus(view(1800, 4)),
    { trus: 4, basis: { apsP99: 1800, apsPerTru: 500, rawTrus: 3.6 }, cappedAt: null },
    'a need equal to the cap',
  );
  t.strictSame(
    recommendTrus(view(1800, 1)),
    { trus: null, basis: { apsP99: 1800, apsPerTru: 500, rawTrus: 3.6 }, cappedAt: 1 },
    'nothing available',
  );
});

t.test('above the largest valid value: the largest, and it says so', async (t) => {
  t.strictSame(recommendTrus(view(100_000)), {
    trus: 12,
    basis: { apsP99: 100_000, apsPerTru: 500, rawTrus: 200 },
    cappedAt: 12,
  });
  t.strictSame(recommendTrus(view(100_000, 10)).cappedAt, 10, 'the tighter cap of the two is the one reported');
  t.equal(recommendTrus(view(100_000, 10)).trus, 10);
});

t.test('no valid values, or nonsense statistics: no recommendation', async (t) => {
  t.equal(recommendTrus(view(800, null, [])).trus, null);
  t.equal(recommendTrus(view(800, null, [0, -4, 2.5, Number.NaN])).trus, null, 'only positive whole values count');
  t.equal(recommendTrus(view(0, null, [0, -4, 2.5, 6])).trus, 6, 'the smallest positive whole value');
  t.equal(recommendTrus(view(Number.NaN)).trus, null);
  t.equal(recommendTrus(view(-1)).trus, null);
});
