// When each change reaches Cloud Ops, on the emulator's own record: lateness = the emulator's update time minus the
// window's start (the apply) or end (the revert). The service's own timestamps are not the evidence.
import t from 'tap';
import { startHarness, type Harness } from '../helpers/harness.js';
import { changes, history } from '../helpers/record.js';

let h: Harness;
t.before(async () => {
  h = await startHarness({ applyDelayMs: 200 });
});
t.teardown(() => h.close());

const WINDOWS = 6;
/**
 * Any one change may be late by what a loaded machine adds between a durable timer and the Cloud Ops call (workflow
 * and activity tasks of two workers on two busy CPUs): seconds at worst, never the window's own length.
 */
const LATE_AT_MOST_MS = 5_000;
/**
 * A revert reaches Cloud Ops 0.1-0.9 s after its end (measured with a load average of 10 on 2 CPUs, two test jobs).
 * A busy moment delays one window or two; an end timer that fires late (by 1.5 s, say) delays every one. So the
 * most punctual of the windows must be within this.
 */
const BEST_REVERT_LATE_AT_MOST_MS = 1_250;

t.test(
  `${WINDOWS} future windows: no change before its start or end, none late by more than a busy machine explains`,
  async (t) => {
    const first = Date.now() + 3_000;
    const windows = await Promise.all(
      Array.from({ length: WINDOWS }, async (_, i) => {
        const ns = h.newNamespace();
        // Staggered, so that the timers do not all fire at once.
        const startAt = new Date(first + i * 500).toISOString();
        const id = await h.startWindow({ namespace: ns, trus: 4, startAt, duration: 'PT2S' });
        return { ns, id };
      }),
    );
    const revertsLate: number[] = [];
    for (const { ns, id } of windows) {
      const done = await h.waitForWindow(id, 'COMPLETED', (s) => s.status === 'COMPLETED', 40_000);
      t.same(history(h, ns), ['4 FULFILLED', 'On-Demand FULFILLED'], `${ns}: one apply, one revert`);
      const [apply, revert] = changes(h, ns);
      const start = Date.parse(done.startAt);
      const end = Date.parse(done.endAt!);
      t.equal(end - start, 2_000);
      const applyLate = apply.at - start;
      const revertLate = revert.at - end;
      // A change can never come before its timer: 0 is a hard bound, whatever the load.
      t.ok(applyLate >= 0, `${ns}: applied ${applyLate} ms after its start`);
      t.ok(revertLate >= 0, `${ns}: reverted ${revertLate} ms after its end`);
      t.ok(applyLate <= LATE_AT_MOST_MS && revertLate <= LATE_AT_MOST_MS, `${ns}: at most ${LATE_AT_MOST_MS} ms late`);
      // The window's own revert step is stamped when its timer fired, before any Cloud Ops call: not before the end either.
      const releasedAt = done.steps.find((s) => s.step === 'REVERT' && s.outcome === 'STARTED')?.at;
      t.ok(
        releasedAt && Date.parse(releasedAt) >= end,
        `${ns}: the end timer fired at ${releasedAt}, end ${done.endAt}`,
      );
      revertsLate.push(revertLate);
    }
    t.ok(
      Math.min(...revertsLate) <= BEST_REVERT_LATE_AT_MOST_MS,
      `the reverts came ${revertsLate.join(', ')} ms after their ends`,
    );
  },
);
