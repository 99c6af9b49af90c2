// Every Cloud Ops fault, injected into the second change of an overlap: window A holds 4 TRUs (verified ACTIVE),
// then window B asks for 8 and its raise meets the fault (at the end of the file: the lowering from 8 back to 4 at
// B's end meets it). Whatever happened, the namespace goes back to A's 4 when B ends and to its baseline when A
// ends, each change counted in the emulator's record.
import t, { type Test } from 'tap';
import type { Fault } from '../../src/emulator/index.js';
import type { CapacityChange } from '../../src/api/routes/capacity-changes/schema.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import {
  alertsFor,
  capacityOf,
  changes,
  history,
  isActive,
  isClosed,
  moveEnd,
  updateCallsSince,
  waitClosed,
  waitForAlerts,
} from '../helpers/record.js';

const VERIFY_TIMEOUT_MS = 2_000;
let h: Harness;
t.before(async () => {
  h = await startHarness({ applyDelayMs: 200, verifyTimeout: `${VERIFY_TIMEOUT_MS / 1000}s`, revertAlertAfter: '2s' });
});
t.teardown(() => h.close());
t.afterEach(() => h.emulator.state.clearFaults());

const endSoon = (id: string) => moveEnd(h, id, new Date(Date.now() + 1_000));

/** A holds 4 TRUs; the fault (if any) is injected; B asks for 8 (ends far away). Returns once B's claim has its answer. */
async function overlap(
  ns: string,
  fault: Fault | null,
  meanwhile?: (since: number) => Promise<void>,
): Promise<{ a: string; b: string; bAnswered: CapacityChange; since: number }> {
  const a = await h.startWindow({ namespace: ns, trus: 4, duration: 'PT10M', reason: 'window A' });
  await h.waitForWindow(a, 'ACTIVE', isActive);
  if (fault) h.emulator.state.injectFault(fault);
  const since = Date.now();
  const b = await h.startWindow({ namespace: ns, trus: 8, duration: 'PT10M', reason: 'window B' });
  await meanwhile?.(since);
  const bAnswered = await h.waitForWindow(b, 'its claim answered', (s) => s.phase === 'ACTIVE' || isClosed(s), 40_000);
  return { a, b, bAnswered, since };
}

/** B ends (unless it already has), then A: B's end lowers to A's 4 (or finds it there), A's end goes back to On-Demand. */
async function endBoth(
  t: Test,
  ns: string,
  a: string,
  b: string,
): Promise<{ aDone: CapacityChange; bDone: CapacityChange }> {
  if (isActive(await h.windowStatus(b))) await endSoon(b);
  const bDone = await waitClosed(h, b, ns);
  t.equal(capacityOf(h, ns), 4, 'with B gone the namespace has A’s 4 TRUs');
  t.match(await h.windowStatus(a), { phase: 'ACTIVE' }, 'A goes on');
  await endSoon(a);
  const aDone = await waitClosed(h, a, ns);
  t.equal(capacityOf(h, ns), 'On-Demand', 'both gone: back to the baseline');
  t.match(aDone, {
    phase: 'COMPLETED',
    revertBlocked: null,
    result: { verificationSuccess: true, revertVerificationSuccess: true, revertedTo: { mode: 'ON_DEMAND' } },
  });
  return { aDone, bDone };
}

for (const outcome of ['FAILED', 'REJECTED'] as const) {
  t.test(`B's raise ends ${outcome}: B is told (WARNING), not retried; B's end finds A's 4 still there`, async (t) => {
    const ns = h.newNamespace();
    const { a, b, bAnswered } = await overlap(ns, { nextOperationOutcome: outcome, count: 1 });
    t.match(bAnswered, { phase: 'ACTIVE', result: null });
    t.equal(capacityOf(h, ns), 4, 'the failed raise left A’s 4 TRUs');
    const { bDone } = await endBoth(t, ns, a, b);
    t.same(
      history(h, ns),
      ['4 FULFILLED', `8 ${outcome}`, 'On-Demand FULFILLED'],
      'B’s end needed no change; A’s end one',
    );
    t.match(bDone, {
      phase: 'FAILED',
      result: {
        verificationSuccess: false,
        revertVerificationSuccess: true,
        revertedTo: { mode: 'PROVISIONED', trus: 4 },
      },
    });
    t.match(bDone.result!.errors, [new RegExp(`^VERIFY: .*ended ${outcome}`)]);
    t.equal(alertsFor(h, ns, 'WARNING').length, 1, 'one WARNING, for B');
    t.equal(alertsFor(h, ns, 'CRITICAL').length, 0);
  });
}

t.test('B’s raise fulfils but never shows up: B is told (WARNING); B’s end sends A’s 4 again, verified', async (t) => {
  const ns = h.newNamespace();
  const { a, b, bAnswered } = await overlap(ns, { capacityNotApplied: true, count: 1 });
  t.match(bAnswered, { phase: 'ACTIVE' });
  t.equal(capacityOf(h, ns), 4, 'the emulator kept 4 TRUs although it fulfilled the raise to 8');
  const { bDone } = await endBoth(t, ns, a, b);
  t.same(
    history(h, ns),
    ['4 FULFILLED', '8 FULFILLED', '4 FULFILLED', 'On-Demand FULFILLED'],
    'the spec asked for 8: B’s end sent 4',
  );
  t.match(bDone, {
    phase: 'FAILED',
    result: {
      verificationSuccess: false,
      revertVerificationSuccess: true,
      revertedTo: { mode: 'PROVISIONED', trus: 4 },
    },
  });
  t.match(bDone.result!.errors, [/^VERIFY: not verified before the deadline: namespace has 4 TRUs, expected 8 TRUs/]);
  t.equal(alertsFor(h, ns, 'WARNING').length, 1);
  t.equal(alertsFor(h, ns, 'CRITICAL').length, 0);
});

t.test(
  'B’s raise is slower than the verification deadline: B is told (WARNING), then hears it landed late; its end lowers to 4',
  async (t) => {
    const ns = h.newNamespace();
    // 4 s more than the deadline, which counts from the verification's scheduling a moment after the update.
    const slowMs = VERIFY_TIMEOUT_MS + 4_000;
    const { a, b, bAnswered } = await overlap(ns, { applyDelayMs: slowMs }, async () => {
      // Only B's raise is slow: the delay goes back to normal once the emulator has it.
      await waitFor('B’s raise at the emulator', () => (changes(h, ns).length === 2 ? true : undefined));
      h.emulator.state.clearFaults();
    });
    t.match(bAnswered, { phase: 'ACTIVE' });
    t.match(
      bAnswered.steps.find((s) => s.step === 'VERIFY' && s.outcome === 'FAILED')?.detail,
      /verification deadline/,
    );
    await waitFor('the slow raise done', () => (capacityOf(h, ns) === 8 ? true : undefined), 10_000);
    const raise = changes(h, ns)[1];
    t.equal(raise.finishedAt! - raise.at, slowMs, 'the emulator took longer than the deadline');
    const { bDone } = await endBoth(t, ns, a, b);
    t.same(history(h, ns), ['4 FULFILLED', '8 FULFILLED', '4 FULFILLED', 'On-Demand FULFILLED']);
    // The raise landed after the deadline: B's result follows the namespace, the missed deadline stays on record.
    t.match(bDone, {
      phase: 'COMPLETED',
      result: {
        verificationSuccess: true,
        revertVerificationSuccess: true,
        revertedTo: { mode: 'PROVISIONED', trus: 4 },
      },
    });
    t.match(
      bDone.steps.find((s) => s.step === 'VERIFY' && s.outcome === 'SUCCEEDED')?.detail,
      /after the verification deadline/,
    );
    t.equal(alertsFor(h, ns, 'WARNING').length, 1);
    t.equal(alertsFor(h, ns, 'CRITICAL').length, 0);
  },
);

t.test(
  'B’s raise is refused by a cool-down: B hears the reason and when the next try is due (WARNING), then 8, verified',
  async (t) => {
    const ns = h.newNamespace();
    let refused = 0;
    const { a, b, bAnswered } = await overlap(ns, { cooldownSeconds: 3_600 }, async (since) => {
      await waitFor('two refused raises', () => (updateCallsSince(h, since) >= 2 ? true : undefined));
      refused = updateCallsSince(h, since);
      t.equal(changes(h, ns).length, 1, 'nothing reached the namespace while refused');
      h.emulator.state.clearFaults();
    });
    t.ok(refused >= 2, `${refused} refused update(s), backed off at the alert cadence`);
    t.match(bAnswered, { phase: 'ACTIVE', result: null });
    const told = bAnswered.steps.find((s) => s.step === 'APPLY' && s.outcome === 'FAILED');
    t.match(
      told?.detail,
      /cool-down: TRUs can be adjusted hourly.*; next try at \d{4}-/,
      "B's steps have the server's reason and the next try",
    );
    t.ok(
      bAnswered.steps.some((s) => s.step === 'VERIFY' && s.outcome === 'SUCCEEDED'),
      'B verified',
    );
    t.equal(capacityOf(h, ns), 8, 'the larger claim wins once the cool-down is over');
    const warnings = alertsFor(h, ns, 'WARNING');
    t.ok(warnings.length >= 1, 'B alerted');
    t.ok(
      warnings.every((a) => /cool-down.*next try at/.test(a)),
      'each alert says when the next try is due',
    );
    const { bDone } = await endBoth(t, ns, a, b);
    t.same(history(h, ns), ['4 FULFILLED', '8 FULFILLED', '4 FULFILLED', 'On-Demand FULFILLED']);
    t.match(bDone, {
      phase: 'COMPLETED',
      result: { verificationSuccess: true, revertedTo: { mode: 'PROVISIONED', trus: 4 } },
    });
  },
);

// Transient refusals of B's raise: retried with backoff while they last, then applied and verified, no alert.
for (const [name, fault] of [
  ['a stale resource version on every update', { concurrentSpecChange: true, count: 1_000 }],
] as const) {
  t.test(`B’s raise is refused by ${name}: retried until it clears, then 8, verified, no alert`, async (t) => {
    const ns = h.newNamespace();
    let refused = 0;
    const { a, b, bAnswered } = await overlap(ns, fault, async (since) => {
      await waitFor('two refused raises', () => (updateCallsSince(h, since) >= 2 ? true : undefined));
      refused = updateCallsSince(h, since);
      t.equal(changes(h, ns).length, 1, 'nothing reached the namespace while refused');
      h.emulator.state.clearFaults();
    });
    t.ok(refused >= 2, `${refused} refused update(s)`);
    t.match(bAnswered, { phase: 'ACTIVE', result: null });
    t.ok(
      bAnswered.steps.some((s) => s.step === 'VERIFY' && s.outcome === 'SUCCEEDED'),
      'B verified',
    );
    t.equal(capacityOf(h, ns), 8, 'the larger claim wins once the refusals stop');
    const { bDone } = await endBoth(t, ns, a, b);
    t.same(history(h, ns), ['4 FULFILLED', '8 FULFILLED', '4 FULFILLED', 'On-Demand FULFILLED']);
    t.match(bDone, { phase: 'COMPLETED', result: { errors: [], revertedTo: { mode: 'PROVISIONED', trus: 4 } } });
    t.equal(alertsFor(h, ns).length, 0, 'no alert for a refusal that cleared');
  });
}

t.test(
  'B’s raise is refused with PERMISSION_DENIED: B fails at once (WARNING), A keeps 4, nothing to revert for B',
  async (t) => {
    const ns = h.newNamespace();
    const { a, b, bAnswered } = await overlap(ns, { rpc: 'UpdateNamespace', code: 'PERMISSION_DENIED', count: 1 });
    t.match(bAnswered, {
      status: 'COMPLETED',
      phase: 'FAILED',
      result: { initialChangeSuccess: false, reverted: false },
    });
    t.match(bAnswered.result!.errors, [/^APPLY: PERMISSION_DENIED/]);
    t.equal(capacityOf(h, ns), 4);
    await endBoth(t, ns, a, b);
    t.same(history(h, ns), ['4 FULFILLED', 'On-Demand FULFILLED'], 'B never changed the namespace');
    t.equal(alertsFor(h, ns, 'WARNING').length, 1);
    t.equal(alertsFor(h, ns, 'CRITICAL').length, 0);
  },
);

// The lowering of an overlap: B's end takes the namespace from 8 down to A's 4, and that change meets the fault.
// A lowering that fails is what could leave paid capacity on: B alerts CRITICAL each round until it is verified.
for (const [name, fault, blockedUntilCleared] of [
  ['ends FAILED', { nextOperationOutcome: 'FAILED', count: 1 }, false],
  ['is refused with PERMISSION_DENIED', { rpc: 'UpdateNamespace', code: 'PERMISSION_DENIED', count: 1_000 }, true],
] as const) {
  t.test(
    `the lowering from B’s 8 to A’s 4 ${name}: B alerts CRITICAL and shows revertBlocked until it is verified`,
    async (t) => {
      const ns = h.newNamespace();
      const { a, b } = await overlap(ns, null);
      t.equal(capacityOf(h, ns), 8);
      h.emulator.state.injectFault(fault);
      await endSoon(b);
      if (blockedUntilCleared) {
        await waitForAlerts(h, ns, 'CRITICAL', 2);
        const blocked = await h.windowStatus(b);
        t.match(blocked, { status: 'RUNNING', phase: 'REVERTING', revertBlocked: { lastError: /PERMISSION_DENIED/ } });
        t.equal(capacityOf(h, ns), 8, 'still 8 while the lowering is refused');
        h.emulator.state.clearFaults();
      }
      const { bDone } = await endBoth(t, ns, a, b);
      t.same(
        history(h, ns).filter((x) => !x.startsWith('4 FAILED')),
        ['4 FULFILLED', '8 FULFILLED', '4 FULFILLED', 'On-Demand FULFILLED'],
      );
      t.equal(
        history(h, ns).length,
        blockedUntilCleared ? 4 : 5,
        blockedUntilCleared ? 'the refused lowering left no update' : 'one failed lowering, then one that took',
      );
      t.match(bDone, {
        phase: 'COMPLETED',
        revertBlocked: null,
        result: {
          verificationSuccess: true,
          revertVerificationSuccess: true,
          revertedTo: { mode: 'PROVISIONED', trus: 4 },
        },
      });
      const critical = alertsFor(h, ns, 'CRITICAL');
      t.ok(critical.length >= 1, `${critical.length} CRITICAL alert(s)`);
      t.equal(critical.length, bDone.result!.errors.length, 'one per failed round, all for B');
      t.ok(
        critical.every((c) => c.includes('(8 TRUs)')),
        'each is window B’s (8 TRUs)',
      );
    },
  );
}
