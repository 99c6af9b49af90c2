import t from 'tap';
import { startHarness, type Harness } from '../helpers/harness.js';
import {
  capacityOf,
  changes,
  history,
  isActive,
  moveEnd,
  setBaseline,
  specOf,
  updateCallsSince,
} from '../helpers/record.js';

let h: Harness;
t.before(async () => {
  h = await startHarness({ applyDelayMs: 200, verifyTimeout: '2s', revertAlertAfter: '2s' });
});
t.teardown(() => h.close());
t.afterEach(() => h.emulator.state.clearFaults());

const startWindow = (namespace: string, duration: string) => h.startWindow({ namespace, trus: 4, duration });
const closed = (id: string) => h.waitForWindow(id, 'closed', (s) => s.status !== 'RUNNING');

const alertsFor = (ns: string) => h.slack.messages.filter((m) => m.text.includes(ns));

// What reached the emulator: a change that never showed up leaves the spec asking for 4 TRUs, so the revert is a
// real change; a FAILED or REJECTED one leaves the spec as it was, so the revert finds nothing to change.
for (const [name, fault, reason, updates] of [
  [
    'the change fulfils but never shows up',
    { capacityNotApplied: true, count: 1 },
    /not verified before the deadline: namespace has On-Demand, expected 4 TRUs/,
    ['4 FULFILLED', 'On-Demand FULFILLED'],
  ],
  ['the operation ends FAILED', { nextOperationOutcome: 'FAILED', count: 1 }, /ended FAILED/, ['4 FAILED']],
  ['the operation ends REJECTED', { nextOperationOutcome: 'REJECTED', count: 1 }, /ended REJECTED/, ['4 REJECTED']],
] as const) {
  t.test(`verification failure (${name}): alert, truthful result, revert still performed`, async (t) => {
    const ns = h.newNamespace();
    h.emulator.state.injectFault(fault);
    const id = await startWindow(ns, 'PT3S');
    const done = await closed(id);
    t.equal(done.phase, 'FAILED', 'the window says it failed');
    t.match(done.result, {
      initialChangeSuccess: true,
      verificationSuccess: false,
      revertedToOnDemand: true,
      revertVerificationSuccess: true,
    });
    t.match(done.result!.errors.join('\n'), reason);
    t.ok(
      done.steps.some((s) => s.step === 'REVERT' && s.outcome === 'SUCCEEDED'),
      'the revert ran at the end',
    );
    t.same(history(h, ns), updates, 'exactly these updates reached the emulator');
    t.equal(capacityOf(h, ns), 'On-Demand', 'the namespace is On-Demand');
    t.equal(specOf(h, ns), 'On-Demand', 'and its spec asks for On-Demand again');
    const alerts = alertsFor(ns);
    t.equal(alerts.length, 1, 'one alert');
    t.match(alerts[0].text, /VERIFY/);
    t.match(alerts[0].text, reason);
    t.match(JSON.stringify(alerts[0].blocks), ns, 'the blocks name the namespace');
  });
}

// The mode matches and the TRU value does not: from a provisioned baseline, the emulator fulfils the change but
// keeps the baseline's value, lower or higher than the window asked. Verification must compare the value.
for (const [direction, baseline, asked] of [
  ['lower', 2, 8],
  ['higher', 8, 4],
] as const) {
  t.test(
    `verification of the value: the namespace keeps ${baseline} TRUs, ${direction} than the ${asked} asked: not verified`,
    async (t) => {
      const ns = h.newNamespace();
      await setBaseline(h, ns, baseline);
      h.emulator.state.injectFault({ capacityNotApplied: true, count: 1 });
      const id = await h.startWindow({ namespace: ns, trus: asked, duration: 'PT10M' });
      const active = await h.waitForWindow(id, 'ACTIVE', isActive);
      const [, apply] = changes(h, ns);
      t.same(
        [apply.requested, apply.outcome],
        [asked, 'FULFILLED'],
        `the emulator fulfilled the change to ${asked} TRUs`,
      );
      t.same(
        [capacityOf(h, ns), specOf(h, ns)],
        [baseline, asked],
        `but the namespace kept ${baseline} TRUs (provisioned, like the request)`,
      );
      t.equal(active.result, null);
      t.match(
        active.steps.find((s) => s.step === 'VERIFY' && s.outcome !== 'STARTED'),
        {
          outcome: 'FAILED',
          detail: `not verified before the deadline: namespace has ${baseline} TRUs, expected ${asked} TRUs`,
        },
        'so the window says its change was not verified',
      );

      await moveEnd(h, id, new Date(Date.now() + 1_000));
      const done = await closed(id);
      t.match(done, {
        phase: 'FAILED',
        result: {
          verificationSuccess: false,
          revertVerificationSuccess: true,
          revertedTo: { mode: 'PROVISIONED', trus: baseline },
        },
      });
      t.same(
        history(h, ns),
        [`${baseline} FULFILLED`, `${asked} FULFILLED`, `${baseline} FULFILLED`],
        'the revert sent the baseline again',
      );
      t.equal(capacityOf(h, ns), baseline);
      t.equal(alertsFor(ns).length, 1, 'one WARNING, for the verification');
    },
  );
}

// The inventory cap: capacity info says at most 4 TRUs are available now (TRU_VALUE_UNAVAILABLE above that).
t.test('inventory cap: 6 TRUs above the 4 available is refused (422) and nothing reaches Cloud Ops', async (t) => {
  const ns = h.newNamespace();
  h.emulator.state.injectFault({ maxAvailableTruValue: 4 });
  const since = Date.now();
  const res = await h.app.inject({
    method: 'POST',
    url: '/v1/capacity-changes',
    payload: { namespace: ns, trus: 6, duration: 'PT1M' },
  });
  t.equal(res.statusCode, 422, res.body);
  t.match(res.json(), {
    code: 'TRU_VALUE_UNAVAILABLE',
    message: /above what is available now \(4\); available values: 2, 3, 4$/,
  });
  t.equal(updateCallsSince(h, since), 0, 'no update was even tried');
  t.same(history(h, ns), []);
});

t.test(
  'inventory cap: a future window whose TRUs are no longer available at its start fails at VALIDATE, nothing changed',
  async (t) => {
    const ns = h.newNamespace();
    const startAt = new Date(Date.now() + 2_000).toISOString();
    const id = await h.startWindow({ namespace: ns, trus: 6, startAt, duration: 'PT1M' });
    h.emulator.state.injectFault({ maxAvailableTruValue: 4 });
    const since = Date.now();
    const done = await closed(id);
    t.match(done, { phase: 'FAILED', result: { initialChangeSuccess: false, reverted: false } });
    t.match(done.result!.errors, [/^VALIDATE: 6 TRUs is above what is available now \(4\)/]);
    t.equal(updateCallsSince(h, since), 0, 'no update was even tried');
    t.same(history(h, ns), [], 'the namespace never changed');
    t.equal(alertsFor(ns).length, 1);
    t.match(alertsFor(ns)[0], { text: /\[WARNING\] Capacity change VALIDATE failed/ });
  },
);

t.test('apply refused non-retryably (PERMISSION_DENIED): alert, failed result, no revert attempted', async (t) => {
  const ns = h.newNamespace();
  h.emulator.state.injectFault({ rpc: 'UpdateNamespace', code: 'PERMISSION_DENIED', count: 1 });
  const id = await startWindow(ns, 'PT30S');
  const done = await closed(id);
  t.equal(done.phase, 'FAILED');
  t.match(done.result, { initialChangeSuccess: false, verificationSuccess: false, revertedToOnDemand: false });
  t.match(done.result!.errors[0], /APPLY: PERMISSION_DENIED/);
  t.notOk(
    done.steps.some((s) => s.step === 'REVERT'),
    'no revert attempted',
  );
  t.equal(h.emulator.state.snapshot(ns).updates.length, 0, 'no change reached the namespace');
  const updateCalls = h.emulator.state.callLog.filter((c) => c.method === 'UpdateNamespace').length;
  t.ok(updateCalls >= 1, 'the update was tried');
  t.equal(alertsFor(ns).length, 1);
  t.match(alertsFor(ns)[0].text, /APPLY failed .*PERMISSION_DENIED/);
});

t.test('transient UNAVAILABLE bursts on every RPC are retried, then the window succeeds', async (t) => {
  const ns = h.newNamespace();
  for (const rpc of ['GetNamespace', 'UpdateNamespace', 'GetAsyncOperation', 'GetNamespaceCapacityInfo'] as const) {
    h.emulator.state.injectFault({ rpc, code: 'UNAVAILABLE', count: 3 });
  }
  const id = await startWindow(ns, 'PT2S');
  const done = await closed(id);
  t.equal(done.phase, 'COMPLETED', JSON.stringify(done.steps));
  t.match(done.result, {
    initialChangeSuccess: true,
    verificationSuccess: true,
    revertedToOnDemand: true,
    revertVerificationSuccess: true,
  });
  t.equal(h.emulator.state.snapshot(ns).updates.length, 2, 'each change applied exactly once');
  t.equal(alertsFor(ns).length, 0, 'no alert for a recovered blip');
});

t.test('a stale resourceVersion (a concurrent spec change) is re-read and retried, then succeeds', async (t) => {
  const ns = h.newNamespace();
  const updateCalls = () => h.emulator.state.callLog.filter((c) => c.method === 'UpdateNamespace').length;
  const callsBefore = updateCalls();
  h.emulator.state.injectFault({ concurrentSpecChange: true, count: 2 });
  const id = await startWindow(ns, 'PT1S');
  const done = await closed(id);
  t.equal(done.phase, 'COMPLETED', JSON.stringify(done.result));
  const updates = h.emulator.state.snapshot(ns).updates;
  t.equal(updates.length, 2, 'apply and revert each landed once');
  t.equal(updateCalls() - callsBefore, 4, 'two stale updates refused and re-read at once, then apply and revert');
  t.equal(done.result!.errors.length, 0, 'no error surfaced');
});

t.test('revert refused by a cool-down: retried until allowed, CRITICAL alert, finally reverted', async (t) => {
  const ns = h.newNamespace();
  h.emulator.state.injectFault({ cooldownSeconds: 6 });
  const id = await startWindow(ns, 'PT1S');
  const blocked = await h.waitForWindow(id, 'revertBlocked', (s) => s.revertBlocked !== null, 15_000);
  t.equal(blocked.phase, 'REVERTING', 'status shows the revert is being retried');
  t.match(blocked.revertBlocked!.lastError, /cool-down/);
  t.equal(capacityOf(h, ns), 4, 'still provisioned while blocked');
  const done = await closed(id);
  t.equal(done.phase, 'COMPLETED', 'the window ended reverted and verified');
  t.match(done.result!.errors.join('\n'), /REVERT: .*cool-down/, 'the late revert is on the record');
  t.match(done.result, { verificationSuccess: true, revertedToOnDemand: true, revertVerificationSuccess: true });
  t.equal(done.revertBlocked, null, 'cleared once the revert succeeded');
  t.equal(capacityOf(h, ns), 'On-Demand', 'finally On-Demand');
  t.same(history(h, ns), ['4 FULFILLED', 'On-Demand FULFILLED'], 'the refused attempts left no update behind');
  const critical = alertsFor(ns).filter((m) => m.text.includes('CRITICAL'));
  t.ok(critical.length >= 1, 'a CRITICAL alert was sent');
  t.match(critical[0].text, /REVERT failed .*cool-down/);
});

t.test('the Cloud API key and Slack webhook URL appear nowhere in histories or logs', async (t) => {
  const { cloudApiKey, slackWebhookUrl } = h.secrets;
  const secretParts = [cloudApiKey, slackWebhookUrl, new URL(slackWebhookUrl).pathname];
  let histories = 0;
  for await (const wf of h.client.workflow.list({ query: `TaskQueue = '${h.config.temporal.taskQueue}'` })) {
    const history = await h.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    const text = JSON.stringify(history, (_k, v) =>
      typeof v === 'bigint' ? String(v) : v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v,
    );
    for (const secret of secretParts) t.notOk(text.includes(secret), `history of ${wf.workflowId} has no secret`);
    histories++;
  }
  t.ok(histories >= 5, `checked ${histories} histories`);
  const logs = h.logLines.join('');
  t.ok(logs.length > 1000, 'there are logs to check');
  for (const secret of secretParts) t.notOk(logs.includes(secret), 'logs have no secret');
});
