// The namespace controller over a long life: a revert blocked for many alert intervals, continue-as-new with
// claims and the baseline carried over, and windows terminated by hand whose claims must not hold capacity.
import t from 'tap';
import { controllerWorkflowId, provisioned } from '../../src/shared/index.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';

let h: Harness;
t.before(async () => {
  h = await startHarness({
    applyDelayMs: 200,
    verifyTimeout: '5s',
    revertAlertAfter: '2s',
    env: { CONTROLLER_HISTORY_LIMIT: '40' },
  });
});
t.teardown(() => h?.close());
t.afterEach(() => h.emulator.state.clearFaults());

type Capacity = { onDemand?: unknown; provisioned?: { currentValue: number } };
const capacityOf = (ns: string) => h.emulator.state.snapshot(ns).capacity as Capacity;
const critical = (ns: string) => h.slack.messages.filter((m) => m.text.includes(ns) && m.text.includes('[CRITICAL]'));
const completed = (id: string, timeoutMs = 40_000) =>
  h.waitForWindow(id, 'COMPLETED', (s) => s.status === 'COMPLETED', timeoutMs);

async function controllerRuns(ns: string): Promise<string[]> {
  const runs: string[] = [];
  for await (const wf of h.client.workflow.list({ query: `WorkflowId = '${controllerWorkflowId(ns)}'` }))
    runs.push(wf.status.name);
  return runs;
}

t.test(
  'a revert blocked for many alert intervals: CRITICAL repeats, revertBlocked counts up, then clears',
  async (t) => {
    const ns = h.newNamespace();
    // The cool-down refuses every change for 14 s after the raise: seven REVERT_ALERT_AFTER intervals.
    h.emulator.state.injectFault({ cooldownSeconds: 14 });
    const id = await h.startWindow({ namespace: ns, trus: 4, duration: 'PT1S' });
    const stillBlocked = await h.waitForWindow(
      id,
      'blocked three rounds',
      (s) => (s.revertBlocked?.attempts ?? 0) >= 3,
      30_000,
    );
    t.equal(stillBlocked.phase, 'REVERTING');
    t.ok('provisioned' in capacityOf(ns), 'still provisioned while blocked');
    t.ok(
      await waitFor(
        'a CRITICAL alert for each of those rounds',
        () => (critical(ns).length >= 3 ? true : undefined),
        10_000,
      ),
      'three CRITICAL alerts for three rounds',
    );

    const done = await completed(id, 40_000);
    t.equal(done.phase, 'COMPLETED', 'a later success ends it');
    t.equal(done.revertBlocked, null, 'revertBlocked cleared');
    t.ok('onDemand' in capacityOf(ns), 'On-Demand at last');
    const alerts = critical(ns);
    t.ok(alerts.length >= 4, `CRITICAL repeated while the revert was blocked (${alerts.length} alerts)`);
    t.ok(
      alerts.every((a) => /REVERT failed .*cool-down/.test(a.text)),
      'each names the revert and the cool-down',
    );
    const failedRounds = done.result!.errors.filter((e) => e.startsWith('REVERT'));
    t.equal(alerts.length, failedRounds.length, 'one alert per failed round, each on the record');
    t.equal(h.emulator.state.snapshot(ns).updates.length, 2, 'one apply, one revert reached Cloud Ops');
  },
);

t.test('the controller continues as new past its history limit, keeping claims and the baseline', async (t) => {
  const ns = h.newNamespace();
  const op = await h.capacity.setCapacity(ns, provisioned(2), `test-baseline-${ns}`);
  await h.capacity.verify(ns, provisioned(2), op, { deadline: Date.now() + 10_000 });

  const long = await h.startWindow({ namespace: ns, trus: 4, duration: 'PT2M' });
  await h.waitForWindow(long, 'ACTIVE', (s) => s.phase === 'ACTIVE');
  for (let i = 0; i < 4; i++) {
    const short = await h.startWindow({ namespace: ns, trus: 6, duration: 'PT1S' });
    const done = await completed(short);
    t.match(
      done.result,
      { verificationSuccess: true, revertVerificationSuccess: true, revertedTo: provisioned(4) },
      `short window ${i + 1}: 6, then back to 4`,
    );
  }
  // Visibility shows a run that continued as new a moment before the run it started: wait for both.
  const runs = await waitFor('the continued runs in visibility', async () => {
    const r = await controllerRuns(ns);
    return r.includes('CONTINUED_AS_NEW') && r.includes('RUNNING') ? r : undefined;
  });
  t.equal(
    runs.filter((s) => s === 'RUNNING').length,
    1,
    `one run still going after ${runs.length - 1} continued as new`,
  );
  t.equal(capacityOf(ns).provisioned?.currentValue, 4, 'the long claim survived continue-as-new');

  await h.app.inject({ method: 'POST', url: `/v1/capacity-changes/${encodeURIComponent(long)}/cancel`, payload: {} });
  const done = await completed(long);
  t.match(
    done.result,
    { revertedTo: provisioned(2), baseline: provisioned(2) },
    'the baseline survived continue-as-new',
  );
  t.equal(capacityOf(ns).provisioned?.currentValue, 2);
});

t.test('a window terminated by hand: its claim is dropped after its end and the namespace goes back', async (t) => {
  const ns = h.newNamespace();
  const id = await h.startWindow({ namespace: ns, trus: 4, duration: 'PT2S' });
  const active = await h.waitForWindow(id, 'ACTIVE', (s) => s.phase === 'ACTIVE');
  const [key, runId] = id.split('~');
  await h.client.workflow.getHandle(`capacity-window-${key}`, runId).terminate('an operator terminated it');
  t.ok('provisioned' in capacityOf(ns), 'provisioned when the window died');

  // Two REVERT_ALERT_AFTER intervals (4 s) after its end, the claim is dropped.
  await waitFor('the namespace back On-Demand', () => ('onDemand' in capacityOf(ns) ? true : undefined), 30_000);
  const backAt = h.emulator.state.snapshot(ns).updates.at(-1)!.at.getTime();
  t.ok(backAt >= Date.parse(active.endAt!) + 4_000, 'not before the grace period after its end');
  await waitFor('the controller ended', async () =>
    (await controllerRuns(ns)).includes('RUNNING') ? undefined : true,
  );
  t.equal((await h.windowStatus(id)).status, 'TERMINATED');
});

t.test('a window terminated by hand loses its claim as soon as a report cannot reach it', async (t) => {
  const ns = h.newNamespace();
  const gone = await h.startWindow({ namespace: ns, trus: 4, duration: 'PT2M' });
  await h.waitForWindow(gone, 'ACTIVE', (s) => s.phase === 'ACTIVE');
  const [key, runId] = gone.split('~');
  await h.client.workflow.getHandle(`capacity-window-${key}`, runId).terminate('an operator terminated it');

  // A larger claim: the controller raises, and tells every other window what the namespace has now.
  const raise = await h.startWindow({ namespace: ns, trus: 6, duration: 'PT1S' });
  const done = await completed(raise);
  t.match(
    done.result,
    { verificationSuccess: true, revertVerificationSuccess: true },
    'the other window ran its course',
  );
  // Long before the terminated window's end and grace period: the report to it came back "not found".
  await waitFor('the namespace back On-Demand', () => ('onDemand' in capacityOf(ns) ? true : undefined), 10_000);
  t.equal(
    h.emulator.state.snapshot(ns).updates.length,
    3,
    'raised to 4, to 6, then back: nothing held for the terminated window',
  );
  await waitFor(
    'the controller ended',
    async () => ((await controllerRuns(ns)).includes('RUNNING') ? undefined : true),
    10_000,
  );
});
