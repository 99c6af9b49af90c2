// The Cloud Ops API's pace and its failures, end to end (real dev server, worker, emulator over real gRPC): polls no
// faster than checkDuration, a slow change warned about, a change that lands after VERIFY_TIMEOUT recorded on the
// window, and a failed request whose value the spec keeps (EMULATOR_FAILED_SPEC=keep) still reverted.
import t from 'tap';
import { startHarness, type Harness } from '../helpers/harness.js';
import { alertsFor, capacityOf, changes, history, isActive, moveEnd, waitClosed } from '../helpers/record.js';

const CHECK_MS = 2_000;
let h: Harness;
t.before(async () => {
  h = await startHarness({
    applyDelayMs: 300,
    verifyTimeout: '7s',
    revertAlertAfter: '2s',
    env: { EMULATOR_CHECK_DURATION: `${CHECK_MS}ms`, EMULATOR_FAILED_SPEC: 'keep', CHANGE_SLOW_AFTER: '4s' },
  });
});
t.teardown(() => h.close());
t.afterEach(() => h.emulator.state.clearFaults());

/** Every operation's polls, as the emulator counted them. */
const polls = (ns: string) =>
  h.emulator.state.snapshot(ns).updates.map((u) => ({ polls: u.operationPolls, early: u.earlyPolls }));

t.test('a window polls each operation no faster than its checkDuration', async (t) => {
  const ns = h.newNamespace();
  const id = await h.startWindow({ namespace: ns, trus: 4, duration: 'PT10M' });
  await h.waitForWindow(id, 'ACTIVE', isActive);
  await moveEnd(h, id, new Date(Date.now() + 1_000));
  const done = await waitClosed(h, id, ns);
  t.match(done, { phase: 'COMPLETED', result: { verificationSuccess: true, revertVerificationSuccess: true } });
  t.same(history(h, ns), ['4 FULFILLED', 'On-Demand FULFILLED']);
  for (const [i, p] of polls(ns).entries()) {
    t.equal(p.early, 0, `operation ${i}: no poll sooner than ${CHECK_MS} ms after the one before`);
    // A 300 ms operation: one look while it is pending, one after checkDuration when it is done.
    t.ok(p.polls >= 1 && p.polls <= 2, `operation ${i}: ${p.polls} polls`);
  }
  t.same(alertsFor(h, ns), [], 'a change within the aim raises nothing');
});

t.test('a change slower than CHANGE_SLOW_AFTER warns; one that lands after VERIFY_TIMEOUT ends verified', async (t) => {
  const ns = h.newNamespace();
  h.emulator.state.injectFault({ applyDelayMs: 13_000 });
  const id = await h.startWindow({ namespace: ns, trus: 4, duration: 'PT10M' });
  const verifiedLate = (st: { steps: Array<{ step: string; outcome: string }> }) =>
    st.steps.some((s) => s.step === 'VERIFY' && s.outcome === 'SUCCEEDED');
  const late = await h.waitForWindow(id, 'verified late', verifiedLate, 60_000);
  h.emulator.state.clearFaults();
  const steps = late.steps.map((s) => `${s.step} ${s.outcome}`);
  t.match(steps.join(' | '), /VERIFY STARTED \| VERIFY STARTED \| VERIFY FAILED \| .*VERIFY SUCCEEDED/);
  const verified = late.steps.filter((s) => s.step === 'VERIFY' && s.outcome === 'SUCCEEDED');
  t.match(verified[0]?.detail, /after the verification deadline/);
  t.equal(capacityOf(h, ns), 4, 'the namespace has the 4 TRUs');
  t.same(late.namespaceCapacity?.has, { mode: 'PROVISIONED', trus: 4 }, 'and the window says so');
  const warnings = alertsFor(h, ns, 'WARNING');
  t.match(warnings[0], /slow: not verified after 4 s/, 'the slow change warned first');
  t.match(warnings[1], /VERIFY failed/, 'then the deadline passed');
  t.equal(polls(ns)[0]?.early, 0, 'the verification and the late checks kept the pace');

  await moveEnd(h, id, new Date(Date.now() + 1_000));
  const done = await waitClosed(h, id, ns, 60_000);
  t.match(done, {
    phase: 'COMPLETED',
    result: {
      initialChangeSuccess: true,
      verificationSuccess: true,
      applyOperationId: changes(h, ns)[0].opId,
      revertVerificationSuccess: true,
    },
  });
  t.equal(capacityOf(h, ns), 'On-Demand');
});

t.test('a failed revert whose value the spec keeps is still sent as a real change', async (t) => {
  const ns = h.newNamespace();
  const id = await h.startWindow({ namespace: ns, trus: 4, duration: 'PT10M' });
  await h.waitForWindow(id, 'ACTIVE', isActive);
  h.emulator.state.injectFault({ nextOperationOutcome: 'FAILED', count: 1 });
  await moveEnd(h, id, new Date(Date.now() + 1_000));
  const done = await waitClosed(h, id, ns, 60_000);
  t.same(
    history(h, ns),
    ['4 FULFILLED', 'On-Demand FAILED', '4 FULFILLED', 'On-Demand FULFILLED'],
    'the failed revert, the spec put back to the 4 TRUs in effect, the revert again',
  );
  t.equal(capacityOf(h, ns), 'On-Demand', 'the namespace is where the windows want it');
  t.match(done, { phase: 'COMPLETED', revertBlocked: null, result: { revertVerificationSuccess: true } });
  t.match(alertsFor(h, ns, 'CRITICAL')[0], /ended FAILED/);
});
