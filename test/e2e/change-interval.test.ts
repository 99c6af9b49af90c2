// CAPACITY_CHANGE_MIN_INTERVAL: the controller plans one namespace's changes no closer than the interval; a window
// whose revert is held back says until when, and the revert reaches Cloud Ops then, not before.
import t from 'tap';
import { startHarness, type Harness } from '../helpers/harness.js';

const INTERVAL_MS = 8_000;
let h: Harness;
t.before(async () => {
  h = await startHarness({ env: { CAPACITY_CHANGE_MIN_INTERVAL: `${INTERVAL_MS}ms` } });
});
t.teardown(() => h?.close());

t.test('a revert due sooner than the minimum interval waits for it, and the window says until when', async (t) => {
  const ns = h.newNamespace();
  const id = await h.startWindow({ namespace: ns, trus: 4, duration: 'PT1S' });
  const held = await h.waitForWindow(
    id,
    'the revert held back',
    (s) => s.waitingFor !== null && s.phase === 'REVERTING',
    30_000,
  );
  t.match(held.waitingFor, /the namespace's next change is allowed at \d{4}-.* \(CAPACITY_CHANGE_MIN_INTERVAL\)/);
  t.ok(
    held.steps.some(
      (s) => s.step === 'REVERT' && s.outcome === 'STARTED' && /next change is allowed at/.test(s.detail ?? ''),
    ),
    'a REVERT step says so',
  );
  t.ok('provisioned' in h.emulator.state.snapshot(ns).capacity, 'still provisioned meanwhile');

  const done = await h.waitForWindow(id, 'closed', (s) => s.status !== 'RUNNING', 60_000);
  t.match(done, { phase: 'COMPLETED', waitingFor: null, result: { revertVerificationSuccess: true, errors: [] } });
  const [raise, revert] = h.emulator.state.snapshot(ns).updates;
  const gap = revert.at.getTime() - raise.at.getTime();
  t.ok(gap >= INTERVAL_MS, `the revert reached Cloud Ops ${gap} ms after the raise (at least ${INTERVAL_MS})`);

  const plan = await h.app.inject({
    method: 'POST',
    url: '/v1/capacity-changes?dryRun=true',
    payload: { namespace: ns, trus: 4, duration: 'PT1S' },
  });
  const changes = plan.json().changes as { at: string; why: string }[];
  t.ok(
    Date.parse(changes[1].at) - Date.parse(changes[0].at) >= INTERVAL_MS,
    `the dry run shows the revert no closer than the interval: ${JSON.stringify(changes)}`,
  );
});
