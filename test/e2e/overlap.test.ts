// Overlapping windows on one namespace: the namespace has the largest active claim, or its baseline when none is
// left, and its controller makes one Cloud Ops change at a time, in order.
import t, { type Test } from 'tap';
import { provisioned } from '../../src/shared/index.js';
import type { CapacityChange } from '../../src/api/routes/capacity-changes/schema.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';

let h: Harness;
t.before(async () => {
  h = await startHarness({ applyDelayMs: 300 });
});
t.teardown(() => h.close());

type Capacity = { onDemand?: unknown; provisioned?: { currentValue: number } };
const capacityOf = (ns: string) => h.emulator.state.snapshot(ns).capacity as Capacity;
const trusOf = (ns: string) => capacityOf(ns).provisioned?.currentValue ?? 'On-Demand';

/** What each update asked for, in order: a TRU count or 'On-Demand'. */
function requested(ns: string): (number | string)[] {
  return h.emulator.state.snapshot(ns).updates.map((u) => {
    const spec = (u.spec as { capacitySpec?: { provisioned?: { value: number } } }).capacitySpec;
    return spec?.provisioned?.value ?? 'On-Demand';
  });
}

/** Each Cloud Ops change for the namespace began only after the previous one had finished. */
function assertOneAtATime(t: Test, ns: string): void {
  const updates = h.emulator.state.snapshot(ns).updates;
  for (let i = 1; i < updates.length; i++) {
    const previous = h.emulator.state.getAsyncOperation(updates[i - 1].asyncOperationId);
    t.ok(previous.finishedTime, `change ${i} finished`);
    t.ok(
      previous.finishedTime && previous.finishedTime.getTime() <= updates[i].at.getTime(),
      `change ${i + 1} (${updates[i].at.toISOString()}) began after change ${i} finished (${previous.finishedTime?.toISOString()})`,
    );
  }
}

const active = (id: string) => h.waitForWindow(id, 'ACTIVE', (s) => s.phase === 'ACTIVE');
const completed = (id: string) => h.waitForWindow(id, 'COMPLETED', (s) => s.status === 'COMPLETED', 40_000);
const has = (s: CapacityChange) => s.namespaceCapacity?.has;

t.test(
  'A 4 TRUs, then B 8 TRUs ending first: 8 while B is active, 4 when only A is, On-Demand after both',
  async (t) => {
    const ns = h.newNamespace();
    const a = await h.startWindow({ namespace: ns, trus: 4, duration: 'PT14S', reason: 'window A' });
    await active(a);
    t.equal(trusOf(ns), 4);

    const b = await h.startWindow({ namespace: ns, trus: 8, duration: 'PT4S', reason: 'window B' });
    const bActive = await active(b);
    t.equal(trusOf(ns), 8, 'the larger claim wins');
    t.same(has(bActive), provisioned(8), 'B sees what the namespace has');
    const aNow = await waitFor('A hears of the raise', async () => {
      const s = await h.windowStatus(a);
      return has(s)?.trus === 8 ? s : undefined;
    });
    t.match(aNow, { phase: 'ACTIVE', trus: 4 }, 'A asked for 4 and is told the namespace has 8');

    const bDone = await completed(b);
    t.equal(trusOf(ns), 4, 'B ended: down to A’s 4, not to the baseline');
    t.match(bDone.result, {
      reverted: true,
      revertVerificationSuccess: true,
      revertedTo: provisioned(4),
      revertedToOnDemand: false,
    });
    t.equal((await h.windowStatus(a)).phase, 'ACTIVE', 'A goes on');

    const aDone = await completed(a);
    t.ok('onDemand' in capacityOf(ns), 'both ended: back to the baseline');
    t.match(aDone.result, {
      reverted: true,
      revertVerificationSuccess: true,
      revertedTo: { mode: 'ON_DEMAND' },
      baseline: { mode: 'ON_DEMAND' },
    });
    t.same(requested(ns), [4, 8, 4, 'On-Demand'], 'exactly these changes, in this order');
    assertOneAtATime(t, ns);
  },
);

t.test('A 4 TRUs ending first under B 8 TRUs, over a baseline of 2: 8 stays until B ends, then 2', async (t) => {
  const ns = h.newNamespace();
  const op = await h.capacity.setCapacity(ns, provisioned(2), `test-baseline-${ns}`);
  await h.capacity.verify(ns, provisioned(2), op, { deadline: Date.now() + 10_000 });

  const a = await h.startWindow({ namespace: ns, trus: 4, duration: 'PT5S', reason: 'window A' });
  await active(a);
  const b = await h.startWindow({ namespace: ns, trus: 8, duration: 'PT12S', reason: 'window B' });
  await active(b);
  t.equal(trusOf(ns), 8);

  const aDone = await completed(a);
  t.equal(trusOf(ns), 8, 'A ended while B holds 8: nothing changes');
  t.match(aDone.result, {
    reverted: true,
    revertVerificationSuccess: true,
    revertedTo: provisioned(8),
    baseline: provisioned(2),
  });
  t.equal((await h.windowStatus(b)).phase, 'ACTIVE');

  const bDone = await completed(b);
  t.equal(trusOf(ns), 2, 'the baseline of 2 returns only when the last window ends');
  t.match(bDone.result, { revertedTo: provisioned(2), baseline: provisioned(2) });
  t.same(requested(ns).slice(1), [4, 8, 2], 'A’s end changed nothing; B’s end went to the baseline');
  assertOneAtATime(t, ns);
});

t.test('three windows asked at once: changes stay one at a time and the namespace ends at its baseline', async (t) => {
  const ns = h.newNamespace();
  const ids = await Promise.all([
    h.startWindow({ namespace: ns, trus: 2, duration: 'PT4S' }),
    h.startWindow({ namespace: ns, trus: 6, duration: 'PT3S' }),
    h.startWindow({ namespace: ns, trus: 4, duration: 'PT5S' }),
  ]);
  const done = await Promise.all(ids.map(completed));
  t.ok(
    done.every((d) => d.result?.verificationSuccess && d.result.revertVerificationSuccess),
    'every window verified both ways',
  );
  t.ok('onDemand' in capacityOf(ns));
  t.equal(requested(ns).at(-1), 'On-Demand');
  t.ok(requested(ns).includes(6), 'the largest claim was applied');
  assertOneAtATime(t, ns);
});
