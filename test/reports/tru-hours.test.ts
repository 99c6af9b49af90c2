// The TRU-hours rules, pure: the layer attribution and the clock-hour billing, by example and by property.
import fc from 'fast-check';
import t from 'tap';
import { layerShares, truHoursOf, type Hold } from '../../src/reports/tru-hours.js';

const H = 3_600_000;
const T0 = Date.parse('2026-12-07T10:00:00.000Z');
const ALL = { fromMs: T0 - 48 * H, toMs: T0 + 48 * H };

const hold = (id: string, trus: number, from: number, until: number | null, over: Partial<Hold> = {}): Hold => ({
  id,
  namespace: 'ns-a',
  trus,
  fromMs: T0 + from,
  untilMs: until === null ? null : T0 + until,
  permanent: false,
  ...over,
});

const close = (test: { ok: (v: boolean, m: string) => unknown }, actual: number | undefined, want: number, what: string) =>
  test.ok(Math.abs((actual ?? NaN) - want) < 1e-9, `${what}: ${actual} ≈ ${want}`);

t.test('layers: claims 4 and 8 share 0-4, the 8 one alone takes 4-8', async (t) => {
  t.same(
    layerShares([
      { id: 'a', trus: 4 },
      { id: 'b', trus: 8 },
    ]),
    new Map([
      ['b', 6],
      ['a', 2],
    ]),
  );
  t.same(layerShares([{ id: 'solo', trus: 5 }]), new Map([['solo', 5]]));
});

t.test('one window of N TRUs for 90 minutes inside two clock hours is billed 2N, used 1.5N', async (t) => {
  const f = truHoursOf([hold('w', 4, 15 * 60_000, 105 * 60_000)], ALL, T0 + 10 * H);
  close(t, f.get('w')?.usedTruHours, 6, 'used');
  close(t, f.get('w')?.truHours, 8, 'billed');
});

t.test('overlapping 4 and 8 inside one hour: the hour is billed at 8, split by use', async (t) => {
  // a: 4 TRUs for the first 30 min; b: 8 TRUs from minute 10 to 20.
  const f = truHoursOf([hold('a', 4, 0, 30 * 60_000), hold('b', 8, 10 * 60_000, 20 * 60_000)], ALL, T0 + H);
  const usedA = (4 * 20 + 2 * 10) / 60;
  const usedB = (6 * 10) / 60;
  close(t, f.get('a')?.usedTruHours, usedA, 'a used');
  close(t, f.get('b')?.usedTruHours, usedB, 'b used');
  close(t, f.get('a')?.truHours, (8 * usedA) / (usedA + usedB), 'a billed');
  close(t, (f.get('a')?.truHours ?? 0) + (f.get('b')?.truHours ?? 0), 8, 'namespace billed');
});

t.test('a range counts only the part of each hour inside it', async (t) => {
  const f = truHoursOf([hold('w', 2, 0, 2 * H)], { fromMs: T0 + 30 * 60_000, toMs: T0 + 90 * 60_000 }, T0 + 5 * H);
  close(t, f.get('w')?.usedTruHours, 2, 'used, one hour of 2');
  close(t, f.get('w')?.truHours, 2, 'billed, half of each of two hours at 2');
});

t.test('open holds run until now; a permanent change until the next permanent one', async (t) => {
  const f = truHoursOf(
    [
      hold('open', 2, 0, null),
      hold('perm1', 4, 0, null, { namespace: 'ns-b', permanent: true }),
      hold('perm2', 8, H, null, { namespace: 'ns-b', permanent: true }),
    ],
    ALL,
    T0 + 2 * H,
  );
  close(t, f.get('open')?.usedTruHours, 4, 'open: 2 TRUs for 2 hours');
  close(t, f.get('perm1')?.usedTruHours, 4, 'perm1 ends where perm2 begins');
  close(t, f.get('perm2')?.usedTruHours, 8, 'perm2 until now');
});

t.test('windows that never took effect, or of 0 length, count nothing', async (t) => {
  const f = truHoursOf([hold('z', 4, H, H)], ALL, T0 + 2 * H);
  t.equal(f.size, 0);
});

/** The namespace as a step function, computed apart from the module: max claim per millisecond-free segment. */
function namespaceTotals(holds: Hold[], nowMs: number): { used: number; billed: number } {
  const spans = holds.map((h) => ({ ...h, untilMs: h.untilMs ?? nowMs })).filter((h) => h.untilMs > h.fromMs);
  const points = [...new Set(spans.flatMap((s) => [s.fromMs, s.untilMs]))].sort((a, b) => a - b);
  let used = 0;
  const peaks = new Map<number, number>();
  for (let i = 0; i + 1 < points.length; i++) {
    const [a, b] = [points[i] as number, points[i + 1] as number];
    const level = Math.max(0, ...spans.filter((s) => s.fromMs <= a && s.untilMs >= b).map((s) => s.trus));
    used += (level * (b - a)) / H;
    if (level === 0) continue;
    for (let hour = Math.floor(a / H) * H; hour < b; hour += H) peaks.set(hour, Math.max(peaks.get(hour) ?? 0, level));
  }
  return { used, billed: [...peaks.values()].reduce((x, y) => x + y, 0) };
}

const holdsArb = fc.array(
  fc.record({
    trus: fc.constantFrom(1, 2, 4, 8, 16),
    from: fc.integer({ min: 0, max: 6 * H }),
    length: fc.integer({ min: 0, max: 4 * H }),
    open: fc.boolean(),
    namespace: fc.constantFrom('ns-a', 'ns-b'),
  }),
  { maxLength: 8 },
);

t.test('property: windows add up to the namespace, which never exceeds its largest claim', async (t) => {
  fc.assert(
    fc.property(holdsArb, (raw) => {
      const now = T0 + 12 * H;
      const holds = raw.map((r, i) =>
        hold(`w${i}`, r.trus, r.from, r.open ? null : r.from + r.length, { namespace: r.namespace }),
      );
      const figures = truHoursOf(holds, ALL, now);
      for (const ns of ['ns-a', 'ns-b']) {
        const mine = holds.filter((h) => h.namespace === ns);
        const want = namespaceTotals(mine, now);
        const got = mine.map((h) => figures.get(h.id) ?? { truHours: 0, usedTruHours: 0 });
        const used = got.reduce((x, f) => x + f.usedTruHours, 0);
        const billed = got.reduce((x, f) => x + f.truHours, 0);
        if (Math.abs(used - want.used) > 1e-6 || Math.abs(billed - want.billed) > 1e-6) return false;
        if (got.some((f) => f.truHours < 0 || f.usedTruHours < 0)) return false;
      }
      return true;
    }),
  );
  t.pass('sums hold');
});

t.test('property: at any instant the shares add up to the largest claim, none above its own claim', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 32 }), { minLength: 1, maxLength: 6 }), (trus) => {
      const shares = layerShares(trus.map((n, i) => ({ id: `w${i}`, trus: n })));
      const sum = [...shares.values()].reduce((x, y) => x + y, 0);
      return (
        Math.abs(sum - Math.max(...trus)) < 1e-9 &&
        trus.every((n, i) => (shares.get(`w${i}`) ?? 0) <= n + 1e-9 && (shares.get(`w${i}`) ?? 0) > 0)
      );
    }),
  );
  t.pass('layers hold');
});

t.test('property: a range split in two gives the same figures as the whole', async (t) => {
  fc.assert(
    fc.property(holdsArb, fc.integer({ min: 1, max: 11 * H }), (raw, cut) => {
      const now = T0 + 12 * H;
      const holds = raw.map((r, i) => hold(`w${i}`, r.trus, r.from, r.from + r.length, { namespace: r.namespace }));
      const whole = truHoursOf(holds, { fromMs: T0, toMs: now }, now);
      const left = truHoursOf(holds, { fromMs: T0, toMs: T0 + cut }, now);
      const right = truHoursOf(holds, { fromMs: T0 + cut, toMs: now }, now);
      return holds.every((h) => {
        const sum = (k: 'truHours' | 'usedTruHours') => (left.get(h.id)?.[k] ?? 0) + (right.get(h.id)?.[k] ?? 0);
        const w = whole.get(h.id) ?? { truHours: 0, usedTruHours: 0 };
        return Math.abs(sum('truHours') - w.truHours) < 1e-6 && Math.abs(sum('usedTruHours') - w.usedTruHours) < 1e-6;
      });
    }),
  );
  t.pass('ranges add up');
});

t.test("docs/api.md's worked example: A 4 TRUs 10:15-11:45, B 8 TRUs 10:30-10:45", async (t) => {
  const f = truHoursOf([hold('A', 4, 15 * 60_000, 105 * 60_000), hold('B', 8, 30 * 60_000, 45 * 60_000)], ALL, T0 + 5 * H);
  close(t, f.get('A')?.usedTruHours, 5.5, 'A used');
  close(t, f.get('B')?.usedTruHours, 1.5, 'B used');
  close(t, f.get('A')?.truHours, 9, 'A billed');
  close(t, f.get('B')?.truHours, 3, 'B billed');
});
