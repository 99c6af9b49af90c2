// GET /metrics after real windows: the app, the Cloud Ops client, the activities and the Slack notifier all
// record into the one registry the harness passes down, and the API serves it.
import t from 'tap';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { sample } from '../helpers/prometheus.js';

let h: Harness;
t.before(async () => {
  // Window counts are refreshed in the background: often here, so the gauge sees a 3-second window.
  h = await startHarness({ applyDelayMs: 300, env: { HEALTH_REFRESH_INTERVAL: '1s' } });
});
t.teardown(() => h.close());
t.afterEach(() => h.emulator.state.clearFaults());

async function scrape(): Promise<string> {
  const res = await h.app.inject({ method: 'GET', url: '/metrics' });
  if (res.statusCode !== 200) throw new Error(`GET /metrics: ${res.statusCode}`);
  return res.body;
}

t.test('a window shows up in /metrics: HTTP 202, Cloud Ops calls, verifications, a revert retry', async (t) => {
  const ns = h.newNamespace();
  const id = await h.startWindow({ namespace: ns, trus: 4, duration: 'PT3S', reason: 'metrics e2e' });
  await h.waitForWindow(id, 'ACTIVE', (s) => s.phase === 'ACTIVE');
  // Visibility is eventually consistent: the gauge catches up within a moment.
  const activeCount = await waitFor('the windows gauge to count it', async () => {
    const n = sample(await scrape(), 'capacity_scheduler_windows', { phase: 'ACTIVE' }) ?? 0;
    return n >= 1 ? n : undefined;
  });
  t.ok(activeCount >= 1, `windows by phase: ${activeCount} ACTIVE (other test files' windows count too)`);
  // The revert's first UpdateNamespace is refused once (UNAVAILABLE would be retried inside the gRPC client):
  // Temporal retries the activity, which counts as a revert retry.
  h.emulator.state.injectFault({ rpc: 'UpdateNamespace', code: 'FAILED_PRECONDITION', count: 1 });
  const done = await h.waitForWindow(id, 'COMPLETED', (s) => s.status === 'COMPLETED');
  t.equal(done.phase, 'COMPLETED');

  const text = await scrape();
  t.equal(
    sample(text, 'capacity_scheduler_http_requests_total', {
      method: 'POST',
      route: '/v1/capacity-changes',
      status_code: '202',
    }),
    1,
    'one 202 for POST /v1/capacity-changes',
  );
  t.ok(
    (sample(text, 'capacity_scheduler_http_requests_total', {
      method: 'GET',
      route: '/v1/capacity-changes/:id',
      status_code: '200',
    }) ?? 0) > 0,
    'status reads are labelled with the route pattern',
  );
  for (const method of ['GetNamespace', 'UpdateNamespace', 'GetAsyncOperation', 'GetNamespaceCapacityInfo']) {
    t.ok(
      (sample(text, 'capacity_scheduler_cloud_ops_calls_total', { method, outcome: 'ok' }) ?? 0) > 0,
      `${method} ok`,
    );
    t.ok(
      (sample(text, 'capacity_scheduler_cloud_ops_call_duration_seconds_count', { method, outcome: 'ok' }) ?? 0) > 0,
      `${method} latency observed`,
    );
  }
  t.equal(
    sample(text, 'capacity_scheduler_cloud_ops_calls_total', { method: 'UpdateNamespace', outcome: 'ok' }),
    2,
    'apply and revert',
  );
  t.equal(
    sample(text, 'capacity_scheduler_cloud_ops_calls_total', {
      method: 'UpdateNamespace',
      outcome: 'FAILED_PRECONDITION',
    }),
    1,
  );
  t.equal(
    sample(text, 'capacity_scheduler_verifications_total', { change: 'apply', outcome: 'verified', reason: '' }),
    1,
  );
  t.equal(
    sample(text, 'capacity_scheduler_verifications_total', { change: 'revert', outcome: 'verified', reason: '' }),
    1,
  );
  t.equal(sample(text, 'capacity_scheduler_capacity_change_attempts_total', { change: 'apply', outcome: 'ok' }), 1);
  t.equal(
    sample(text, 'capacity_scheduler_capacity_change_attempts_total', {
      change: 'revert',
      outcome: 'CloudOpsFAILED_PRECONDITION',
    }),
    1,
  );
  t.equal(sample(text, 'capacity_scheduler_capacity_change_attempts_total', { change: 'revert', outcome: 'ok' }), 1);
  t.equal(sample(text, 'capacity_scheduler_revert_retries_total'), 1, 'the revert went through on its second attempt');
  t.equal(
    sample(text, 'capacity_scheduler_slack_sends_total', { outcome: 'sent' }),
    undefined,
    'no alert for a clean window',
  );
});

t.test('a failed operation counts a failed verification by reason and a Slack send', async (t) => {
  const ns = h.newNamespace();
  h.emulator.state.injectFault({ nextOperationOutcome: 'FAILED', count: 1 });
  const id = await h.startWindow({ namespace: ns, trus: 4, duration: 'PT1S', reason: 'metrics e2e failure' });
  await h.waitForWindow(id, 'finished', (s) => s.status === 'COMPLETED');

  const text = await scrape();
  t.equal(
    sample(text, 'capacity_scheduler_verifications_total', {
      change: 'apply',
      outcome: 'failed',
      reason: 'OperationUnsuccessful',
    }),
    1,
  );
  t.ok((sample(text, 'capacity_scheduler_slack_sends_total', { outcome: 'sent' }) ?? 0) >= 1, 'the alert was sent');
  t.equal(
    h.slack.messages.length,
    sample(text, 'capacity_scheduler_slack_sends_total', { outcome: 'sent' }),
    'one count per message received',
  );
});
