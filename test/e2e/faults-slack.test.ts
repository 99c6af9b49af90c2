// Slack unreachable or slow: windows are unaffected; failed sends are logged and counted in /metrics.
// The worker's webhook points at a port this test controls: first nothing listens there (connection refused),
// then a server that accepts and never answers (each send runs into SLACK_TIMEOUT).
import http from 'node:http';
import t, { type Test } from 'tap';
import { startHarness, type Harness } from '../helpers/harness.js';
import { freePort } from '../helpers/process.js';

let h: Harness;
let port: number;
let webhookUrl: string;
t.before(async () => {
  port = await freePort();
  webhookUrl = `http://127.0.0.1:${port}/services/T0/B0/${Math.random().toString(36).slice(2)}`;
  h = await startHarness({
    applyDelayMs: 200,
    verifyTimeout: '5s',
    revertAlertAfter: '1s',
    slackWebhookUrl: webhookUrl,
    slackTimeoutMs: 300,
  });
});
t.teardown(() => h?.close());
t.afterEach(() => h.emulator.state.clearFaults());

const failedSends = async () => {
  const metrics = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
  return Number(/^capacity_scheduler_slack_sends_total\{outcome="failed"\} (\d+)/m.exec(metrics)?.[1] ?? 0);
};
const notSentLogs = () => h.logLines.filter((l) => l.includes('Slack alert could not be sent')).length;

/** A window whose revert meets a cool-down: CRITICAL alerts while it is blocked, then it completes. */
async function windowWithAlerts(t: Test, what: string) {
  const [failedBefore, logsBefore] = [await failedSends(), notSentLogs()];
  const ns = h.newNamespace();
  h.emulator.state.injectFault({ cooldownSeconds: 3 });
  const id = await h.startWindow({ namespace: ns, trus: 4, duration: 'PT1S' });
  const done = await h.waitForWindow(id, 'closed', (s) => s.status !== 'RUNNING', 40_000);
  t.equal(done.phase, 'COMPLETED', `the window is unaffected by ${what}`);
  t.match(done.result, { verificationSuccess: true, revertedToOnDemand: true, revertVerificationSuccess: true });
  t.match(
    done.result!.errors.join('\n'),
    /REVERT: .*cool-down/,
    'the blocked revert is on the record (so alerts were due)',
  );
  const snap = h.emulator.state.snapshot(ns);
  t.ok('onDemand' in snap.capacity, 'reverted');
  t.equal(snap.updates.length, 2, 'apply and revert, once each');
  const failed = (await failedSends()) - failedBefore;
  t.ok(failed >= 1, `failed sends counted in /metrics (${failed})`);
  t.equal(notSentLogs() - logsBefore, failed, 'each failed send is logged');
  t.notOk(h.logLines.join('').includes(new URL(webhookUrl).pathname), 'the webhook URL is not logged');
  t.equal(h.slack.messages.length, 0, 'no alert went anywhere else');
}

t.test('Slack unreachable (connection refused): windows unaffected, failures logged and counted', (t) =>
  windowWithAlerts(t, 'Slack being down'),
);

t.test(
  'Slack slow (accepts, never answers): each send times out, windows unaffected, failures logged and counted',
  async (t) => {
    const hung: http.ServerResponse[] = [];
    const server = http.createServer((_req, res) => void hung.push(res));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      await windowWithAlerts(t, 'a slow Slack');
      t.ok(hung.length >= 1, `the slow receiver got the alerts (${hung.length})`);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  },
);
