import t from 'tap';
import { startHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
t.before(async () => {
  h = await startHarness({ applyDelayMs: 200, verifyTimeout: '2s', revertAlertAfter: '2s' });
});
t.teardown(() => h.close());
t.afterEach(() => h.emulator.state.clearFaults());

const startWindow = (namespace: string, duration: string) => h.startWindow({ namespace, trus: 4, duration });
const closed = (id: string) => h.waitForWindow(id, 'closed', (s) => s.status !== 'RUNNING');

const alertsFor = (ns: string) => h.slack.messages.filter((m) => m.text.includes(ns));

for (const [name, fault, reason] of [
  ['the change fulfils but never shows up', { capacityNotApplied: true, count: 1 }, /not verified before the deadline: namespace has On-Demand, expected 4 TRUs/],
  ['the operation ends FAILED', { nextOperationOutcome: 'FAILED', count: 1 }, /ended FAILED/],
  ['the operation ends REJECTED', { nextOperationOutcome: 'REJECTED', count: 1 }, /ended REJECTED/],
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
    t.ok(done.steps.some((s) => s.step === 'REVERT' && s.outcome === 'SUCCEEDED'), 'the revert ran at the end');
    t.ok('onDemand' in h.emulator.state.snapshot(ns).capacity, 'the namespace is On-Demand');
    const alerts = alertsFor(ns);
    t.equal(alerts.length, 1, 'one alert');
    t.match(alerts[0].text, /VERIFY/);
    t.match(alerts[0].text, reason);
    t.match(JSON.stringify(alerts[0].blocks), ns, 'the blocks name the namespace');
  });
}

t.test('apply refused non-retryably (PERMISSION_DENIED): alert, failed result, no revert attempted', async (t) => {
  const ns = h.newNamespace();
  h.emulator.state.injectFault({ rpc: 'UpdateNamespace', code: 'PERMISSION_DENIED', count: 1 });
  const id = await startWindow(ns, 'PT30S');
  const done = await closed(id);
  t.equal(done.phase, 'FAILED');
  t.match(done.result, { initialChangeSuccess: false, verificationSuccess: false, revertedToOnDemand: false });
  t.match(done.result!.errors[0], /APPLY: PERMISSION_DENIED/);
  t.notOk(done.steps.some((s) => s.step === 'REVERT'), 'no revert attempted');
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
  t.match(done.result, { initialChangeSuccess: true, verificationSuccess: true, revertedToOnDemand: true, revertVerificationSuccess: true });
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
  t.ok('provisioned' in h.emulator.state.snapshot(ns).capacity, 'still provisioned while blocked');
  const done = await closed(id);
  t.equal(done.phase, 'COMPLETED', 'the window ended reverted and verified');
  t.match(done.result!.errors.join('\n'), /REVERT: .*cool-down/, 'the late revert is on the record');
  t.match(done.result, { verificationSuccess: true, revertedToOnDemand: true, revertVerificationSuccess: true });
  t.equal(done.revertBlocked, null, 'cleared once the revert succeeded');
  t.ok('onDemand' in h.emulator.state.snapshot(ns).capacity, 'finally On-Demand');
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
    const text = JSON.stringify(history, (_k, v) => (typeof v === 'bigint' ? String(v) : v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v));
    for (const secret of secretParts) t.notOk(text.includes(secret), `history of ${wf.workflowId} has no secret`);
    histories++;
  }
  t.ok(histories >= 5, `checked ${histories} histories`);
  const logs = h.logLines.join('');
  t.ok(logs.length > 1000, 'there are logs to check');
  for (const secret of secretParts) t.notOk(logs.includes(secret), 'logs have no secret');
});
