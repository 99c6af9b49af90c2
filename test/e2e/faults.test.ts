// More of the Cloud Ops fault matrix (failures.test.ts has the rest): DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED
// bursts and an operation slower than the verification deadline. Slack down or slow: faults-slack.test.ts.
import t from 'tap';
import { startHarness, type Harness } from '../helpers/harness.js';

const AUTH = { AUTH_DISABLED: 'true' };
const VERIFY_TIMEOUT_MS = 3_000;
let h: Harness;
t.before(async () => {
  h = await startHarness({
    applyDelayMs: 200,
    verifyTimeout: `${VERIFY_TIMEOUT_MS / 1000}s`,
    revertAlertAfter: '3s',
    env: AUTH,
  });
});
t.teardown(() => h?.close());
t.afterEach(() => h.emulator.state.clearFaults());

const closed = (hh: Harness, id: string) => hh.waitForWindow(id, 'closed', (s) => s.status !== 'RUNNING', 40_000);
const alertsFor = (hh: Harness, ns: string) => hh.slack.messages.filter((m) => m.text.includes(ns));

for (const code of ['DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED'] as const) {
  t.test(`bursts of ${code} on every RPC are retried: the window succeeds, each change once, no alert`, async (t) => {
    const ns = h.newNamespace();
    // Injected once the API has answered: its own pre-check would meet them first (and rightly answer 503).
    const id = await h.startWindow({ namespace: ns, trus: 4, duration: 'PT2S' });
    for (const rpc of ['GetNamespace', 'UpdateNamespace', 'GetAsyncOperation', 'GetNamespaceCapacityInfo'] as const) {
      h.emulator.state.injectFault({ rpc, code, count: 2 });
    }
    const done = await closed(h, id);
    t.equal(done.phase, 'COMPLETED', JSON.stringify(done.result?.errors));
    t.match(done.result, {
      initialChangeSuccess: true,
      verificationSuccess: true,
      revertedToOnDemand: true,
      revertVerificationSuccess: true,
      errors: [],
    });
    t.equal(h.emulator.state.snapshot(ns).updates.length, 2, 'apply and revert each landed once');
    t.ok('onDemand' in h.emulator.state.snapshot(ns).capacity, 'back On-Demand');
    t.equal(alertsFor(h, ns).length, 0, 'no alert for a recovered burst');
  });
}

t.test(
  'an operation slower than the verification deadline: verification fails truthfully, WARNING, revert still verified',
  async (t) => {
    const ns = h.newNamespace();
    // The deadline counts from the verification's scheduling, a moment after the update: 4 s of margin, not a race.
    const slowMs = VERIFY_TIMEOUT_MS + 4_000;
    h.emulator.state.injectFault({ applyDelayMs: slowMs });
    const id = await h.startWindow({ namespace: ns, trus: 4, duration: 'PT1S' });
    await h.waitForWindow(id, 'verifying', (s) => s.phase === 'VERIFYING');
    h.emulator.state.injectFault({ applyDelayMs: 200 }); // the revert's own operation is quick
    const done = await closed(h, id);
    t.equal(done.phase, 'FAILED', 'the window says its change was not verified');
    t.match(done.result, {
      initialChangeSuccess: true,
      verificationSuccess: false,
      revertedToOnDemand: true,
      revertVerificationSuccess: true,
    });
    const errors = done.result!.errors;
    t.match(
      errors[0],
      /^VERIFY: operation \S+ still (IN_PROGRESS|PENDING) at the verification deadline/,
      'the reason is the timeout',
    );
    // The revert may meet the slow operation still running: refused, retried, and said so.
    t.ok(
      errors.slice(1).every((e) => /^REVERT: .*capacity request in progress/.test(e)),
      JSON.stringify(errors),
    );
    t.ok(
      done.steps.some((s) => s.step === 'REVERT_VERIFY' && s.outcome === 'SUCCEEDED'),
      'the revert was verified',
    );
    t.ok('onDemand' in h.emulator.state.snapshot(ns).capacity, 'the namespace is On-Demand');
    const [apply] = h.emulator.state.snapshot(ns).updates;
    t.equal(h.emulator.state.snapshot(ns).updates.length, 2, 'apply and revert, once each');
    t.equal(
      h.emulator.state.getAsyncOperation(apply.asyncOperationId).finishedTime!.getTime() - apply.at.getTime(),
      slowMs,
      'the emulator took that long over the apply',
    );
    const alerts = alertsFor(h, ns);
    t.equal(alerts.length, errors.length, 'one alert per error');
    t.match(alerts[0].text, /\[WARNING\] Capacity change VERIFY failed .*verification deadline/);
    t.ok(
      alerts.slice(1).every((a) => /\[CRITICAL\] Capacity change REVERT failed/.test(a.text)),
      'a held-up revert is CRITICAL',
    );
  },
);
