// Every Cloud Ops fault, injected into a window's REVERT (after the window is verified ACTIVE, then its end is moved
// close): the namespace ends back at its baseline, or the revert stays blocked with `revertBlocked` and repeating
// CRITICAL alerts until the fault is gone (docs/BEHAVIOUR.md, "When something fails"). Judged by the emulator's
// record: its updates, their operations' outcomes and the namespace's capacity.
import t from 'tap';
import type { Fault } from '../../src/emulator/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import {
  alertsFor,
  capacityOf,
  changes,
  history,
  isActive,
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

/** A window of 4 TRUs, verified ACTIVE with an end far away: nothing is due until the test moves the end. */
async function activeWindow(ns: string): Promise<string> {
  const id = await h.startWindow({ namespace: ns, trus: 4, duration: 'PT10M' });
  await h.waitForWindow(id, 'ACTIVE', isActive);
  return id;
}

/** Injects the fault, then ends the window a second from now: the fault can only meet the revert. */
async function faultTheRevert(id: string, fault: Fault): Promise<number> {
  h.emulator.state.injectFault(fault);
  const end = Date.now() + 1_000;
  await moveEnd(h, id, new Date(end));
  return end;
}

for (const outcome of ['FAILED', 'REJECTED'] as const) {
  t.test(
    `the revert's operation ends ${outcome} twice: retried at once, each round CRITICAL, then reverted`,
    async (t) => {
      const ns = h.newNamespace();
      const id = await activeWindow(ns);
      await faultTheRevert(id, { nextOperationOutcome: outcome, count: 2 });
      const done = await waitClosed(h, id, ns);
      t.same(
        history(h, ns),
        ['4 FULFILLED', `On-Demand ${outcome}`, `On-Demand ${outcome}`, 'On-Demand FULFILLED'],
        'two refused reverts, then one that took',
      );
      t.equal(capacityOf(h, ns), 'On-Demand', 'the namespace is back at its baseline');
      t.equal(done.result?.revertOperationId, changes(h, ns)[3].opId, 'the window names the revert that took');
      t.match(done, {
        phase: 'COMPLETED',
        revertBlocked: null,
        result: { verificationSuccess: true, revertVerificationSuccess: true, revertedToOnDemand: true },
      });
      t.same(
        done.result?.errors.map((e) => e.replace(/:.*/, '')),
        ['REVERT_VERIFY', 'REVERT_VERIFY'],
        'both failed rounds are on the record',
      );
      const critical = alertsFor(h, ns, 'CRITICAL');
      t.equal(critical.length, 2, 'one CRITICAL alert per failed round');
      t.match(critical[0], new RegExp(`REVERT_VERIFY failed .*ended ${outcome}`));
      t.equal(alertsFor(h, ns).length, 2, 'no other alert');
    },
  );
}

t.test(
  'the revert is slower than the verification deadline: CRITICAL while it runs, verified once it is done',
  async (t) => {
    const ns = h.newNamespace();
    const id = await activeWindow(ns);
    // 4 s more than the deadline, which counts from the verification's scheduling a moment after the update.
    const slowMs = VERIFY_TIMEOUT_MS + 4_000;
    await faultTheRevert(id, { applyDelayMs: slowMs });
    const done = await waitClosed(h, id, ns);
    const [apply, revert] = changes(h, ns);
    t.same(
      history(h, ns),
      ['4 FULFILLED', 'On-Demand FULFILLED'],
      'one revert: the retries found it under way and sent nothing',
    );
    t.equal(revert.finishedAt! - revert.at, slowMs, 'the emulator took longer than the deadline over it');
    t.equal(apply.requested, 4);
    t.equal(capacityOf(h, ns), 'On-Demand');
    t.match(done, { phase: 'COMPLETED', revertBlocked: null, result: { revertVerificationSuccess: true } });
    // The round that verified it may be a later one that found the change already made and sent nothing.
    t.ok(
      [revert.opId, null].includes(done.result!.revertOperationId),
      `revertOperationId ${done.result!.revertOperationId}`,
    );
    const errors = done.result!.errors;
    t.match(errors[0], /^REVERT_VERIFY: operation \S+ still (IN_PROGRESS|PENDING) at the verification deadline/);
    t.ok(errors.length >= 1 && errors.every((e) => e.startsWith('REVERT')), JSON.stringify(errors));
    t.equal(alertsFor(h, ns, 'CRITICAL').length, errors.length, 'a CRITICAL alert per failed round');
    const verified = Date.parse(done.result!.revertedAt!);
    t.ok(verified >= revert.finishedAt!, 'verified only after the emulator finished the operation');
  },
);

t.test(
  'the revert fulfils but never shows up: CRITICAL, then the spec is put back to what the namespace has and the revert sent again',
  async (t) => {
    const ns = h.newNamespace();
    const id = await activeWindow(ns);
    await faultTheRevert(id, { capacityNotApplied: true, count: 1 });
    const done = await waitClosed(h, id, ns);
    // Sending On-Demand again would be "nothing to change" while the namespace keeps 4 TRUs: the spec is first set
    // to the 4 TRUs the namespace has (nothing changes, nothing is billed differently), then the revert goes out.
    t.same(
      history(h, ns),
      ['4 FULFILLED', 'On-Demand FULFILLED', '4 FULFILLED', 'On-Demand FULFILLED'],
      'the revert that did not show up, the realignment, the real revert',
    );
    t.match(changes(h, ns)[2].opId, /-realign$/);
    t.equal(capacityOf(h, ns), 'On-Demand');
    t.match(done, {
      phase: 'COMPLETED',
      revertBlocked: null,
      result: { revertVerificationSuccess: true, revertOperationId: changes(h, ns)[3].opId },
    });
    const critical = alertsFor(h, ns, 'CRITICAL');
    t.match(critical[0], /REVERT_VERIFY failed .*namespace has 4 TRUs, expected On-Demand/);
    t.equal(critical.length, done.result!.errors.length, 'a CRITICAL alert per failed round');
  },
);

// Refusals that leave nothing behind: the revert is blocked while they last (CRITICAL every round), and goes through
// once the fault is cleared.
for (const [name, fault, lastError] of [
  ['a cool-down', { cooldownSeconds: 3_600 }, /cool-down: .*; next try at \d{4}-/],
  [
    'a stale resource version on every update',
    { concurrentSpecChange: true, count: 1_000 },
    /resource_version mismatch/,
  ],
  ['PERMISSION_DENIED', { rpc: 'UpdateNamespace', code: 'PERMISSION_DENIED', count: 1_000 }, /PERMISSION_DENIED/],
] as const) {
  t.test(
    `the revert is refused by ${name}: revertBlocked and repeating CRITICAL alerts, reverted once it clears`,
    async (t) => {
      const ns = h.newNamespace();
      const id = await activeWindow(ns);
      const end = await faultTheRevert(id, fault);
      await waitForAlerts(h, ns, 'CRITICAL', 2);
      const blocked = await h.windowStatus(id);
      t.match(blocked, { status: 'RUNNING', phase: 'REVERTING' });
      t.ok(
        blocked.revertBlocked && blocked.revertBlocked.attempts >= 2,
        `revertBlocked: ${JSON.stringify(blocked.revertBlocked)}`,
      );
      t.match(blocked.revertBlocked?.lastError, lastError);
      t.same(history(h, ns), ['4 FULFILLED'], 'no revert reached the namespace');
      t.equal(capacityOf(h, ns), 4, 'still provisioned while blocked');
      t.ok(updateCallsSince(h, end) >= 2, 'the revert was tried again and again');
      t.ok(
        alertsFor(h, ns, 'CRITICAL').every((a) => /REVERT failed/.test(a)),
        'each alert names the revert',
      );

      h.emulator.state.clearFaults();
      const done = await waitClosed(h, id, ns);
      t.same(history(h, ns), ['4 FULFILLED', 'On-Demand FULFILLED'], 'one revert, once the fault cleared');
      t.equal(capacityOf(h, ns), 'On-Demand');
      t.match(done, {
        phase: 'COMPLETED',
        revertBlocked: null,
        result: { revertVerificationSuccess: true, revertedToOnDemand: true },
      });
      t.equal(alertsFor(h, ns, 'CRITICAL').length, done.result!.errors.length, 'a CRITICAL alert per failed round');
      t.equal(alertsFor(h, ns, 'WARNING').length, 0);
    },
  );
}

t.test('a stale resource version twice on the revert: re-read and retried at once, no alert', async (t) => {
  const ns = h.newNamespace();
  const id = await activeWindow(ns);
  const end = await faultTheRevert(id, { concurrentSpecChange: true, count: 2 });
  const done = await waitClosed(h, id, ns);
  t.same(history(h, ns), ['4 FULFILLED', 'On-Demand FULFILLED']);
  t.equal(capacityOf(h, ns), 'On-Demand');
  t.equal(updateCallsSince(h, end), 3, 'two stale updates refused, the third taken');
  t.match(done, { phase: 'COMPLETED', result: { errors: [] } });
  t.equal(alertsFor(h, ns).length, 0);
});
