// The account's limits, coordinated through Temporal: 30 namespaces of one account given a window at the same
// moment. The emulator enforces the real API's limits (10 operations in flight, 80 requests per second) and counts
// what it saw; the service must stay within them, queue the rest, and end every window verified and reverted.
import t from 'tap';
import type { CapacityChange } from '../../src/api/routes/capacity-changes/schema.js';
import { startHarness, type Harness } from '../helpers/harness.js';

// 30 windows through the budget take about a minute alone; a loaded machine takes longer.
t.setTimeout(300_000);

const N = 30;
const ACCOUNT = 'acct1';

let h: Harness;
t.before(async () => {
  // Operations long enough that 30 at once would pass the limit of 10 in flight.
  h = await startHarness({ applyDelayMs: 2_000 });
});
t.teardown(() => h?.close());

t.test(`${N} namespaces of one account at the same moment stay within the account's limits`, async (t) => {
  const namespaces = Array.from({ length: N }, () => h.newNamespace());
  const ids = await Promise.all(
    namespaces.map((namespace) =>
      h.startWindow({ namespace, trus: 4, duration: 'PT10S', reason: 'burst', acknowledgeShortWindow: true }),
    ),
  );
  const sawWaiting = new Set<string>();
  const done = await Promise.all(
    ids.map((id) =>
      h.waitForWindow(
        id,
        'COMPLETED',
        (s: CapacityChange) => {
          if (s.waitingFor) sawWaiting.add(id);
          return s.status !== 'RUNNING';
        },
        150_000,
      ),
    ),
  );

  const stats = h.emulator.state.stats()[ACCOUNT];
  t.ok(
    stats.maxOperationsInFlight <= 10,
    `the emulator saw at most 10 operations in flight (${stats.maxOperationsInFlight})`,
  );
  t.ok(stats.maxOperationsInFlight >= 2, 'operations did run side by side');
  t.equal(stats.refusedForLimits, 0, `nothing refused for the account's limits (${stats.requests} requests)`);

  const failed = done.filter((s) => s.status !== 'COMPLETED' || s.phase !== 'COMPLETED');
  t.same(
    failed.map((s) => [s.id, s.phase, s.result?.errors]),
    [],
    'every window completed',
  );
  for (const s of done) {
    if (!s.result?.verificationSuccess || !s.result.revertVerificationSuccess)
      t.fail(`${s.id} not verified and reverted`);
  }
  for (const namespace of namespaces) {
    t.ok('onDemand' in h.emulator.state.snapshot(namespace).capacity, `${namespace} is back on On-Demand`);
  }

  const queued = done.filter((s) => s.steps.some((step) => step.step === 'BUDGET' && step.outcome === 'STARTED'));
  t.ok(queued.length >= N - 10, `windows beyond the first 10 waited for the budget (${queued.length})`);
  t.match(
    queued[0].steps.find((step) => step.step === 'BUDGET')?.detail,
    /waits for the account's Cloud Ops budget: \d+ of 10 operations in flight/,
  );
  t.ok(
    queued[0].steps.some((step) => step.step === 'BUDGET' && step.outcome === 'SUCCEEDED'),
    'and heard when it could go',
  );
  t.ok(sawWaiting.size > 0, `a window's status said it waited for the budget (${sawWaiting.size} seen)`);
});
