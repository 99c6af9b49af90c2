import t from 'tap';
import { ConfigError, loadConfig } from '../src/config.js';
import { parseConfigDuration, parseIsoDuration } from '../src/shared/duration.js';

t.test('defaults: local mode with the embedded dev server and emulator', async (t) => {
  const c = loadConfig({});
  t.equal(c.temporal.address, null, 'no TEMPORAL_ADDRESS means the embedded dev server');
  t.equal(c.cloudOps.apiKey, null, 'no TEMPORAL_CLOUD_API_KEY means the emulator');
  t.equal(c.http.port, 8080);
  t.equal(c.policy.verifyTimeoutMs, 900_000, 'VERIFY_TIMEOUT defaults to 15 minutes (Temporal only aims at two)');
  t.equal(c.policy.slowChangeAfterMs, 120_000, 'CHANGE_SLOW_AFTER defaults to the two-minute aim');
  t.equal(c.emulator.checkDurationMs, 250);
  t.equal(c.emulator.failedSpec, 'restore');
  t.equal(c.slack.webhookUrl, null);
  t.same(c.emulator.namespaces, ['payments.a1b2c', 'batch.a1b2c', 'search.a1b2c']);
});

t.test('values are parsed and passed down', async (t) => {
  const c = loadConfig({
    TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
    TEMPORAL_API_KEY: 'k',
    TEMPORAL_CLOUD_API_KEY: 'cloud-key',
    VERIFY_TIMEOUT: '90s',
    REVERT_ALERT_AFTER: 'PT10M',
    PORT: '9000',
    ROLE: 'worker',
  });
  t.equal(c.temporal.address, 'ns.acct.tmprl.cloud:7233');
  t.ok(c.temporal.tls, 'an API key turns TLS on');
  t.equal(c.policy.verifyTimeoutMs, 90_000);
  t.equal(c.policy.revertAlertAfterMs, 600_000);
  t.equal(c.http.port, 9000);
  t.equal(c.role, 'worker');
});

t.test('bad config names the variable', async (t) => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'abc' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of: fatal, error/],
    [{ ROLE: 'both' }, /ROLE must be one of: all, api, worker/],
    [{ VERIFY_TIMEOUT: 'soon' }, /VERIFY_TIMEOUT/],
    [{ VERIFY_TIMEOUT: '10ms' }, /VERIFY_TIMEOUT/],
    [{ SLACK_WEBHOOK_URL: 'ftp://x' }, /SLACK_WEBHOOK_URL/],
    [{ EMULATOR_NAMESPACES: 'ok.acct1,Bad Name' }, /EMULATOR_NAMESPACES holds "Bad Name"/],
    [{ TEMPORAL_API_KEY: 'k' }, /TEMPORAL_ADDRESS must be set/],
    [{ ROLE: 'api', TEMPORAL_CLOUD_API_KEY: 'k' }, /TEMPORAL_ADDRESS must be set when ROLE=api/],
    [{ ROLE: 'worker', TEMPORAL_ADDRESS: 'x:7233' }, /TEMPORAL_CLOUD_API_KEY must be set when ROLE=worker/],
    [{ TEMPORAL_ADDRESS: 'x:7233', TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem' }, /TEMPORAL_TLS_CLIENT_KEY_PATH/],
  ];
  for (const [env, message] of cases) {
    t.throws(() => loadConfig(env), message, JSON.stringify(env));
    t.throws(() => loadConfig(env), ConfigError);
  }
});

t.test('durations', async (t) => {
  t.equal(parseIsoDuration('PT2H'), 7_200_000);
  t.equal(parseIsoDuration('P1DT30M'), 88_200_000);
  t.equal(parseIsoDuration('PT0.5S'), 500);
  t.equal(parseIsoDuration('P1M'), undefined, 'months have no fixed length: refused');
  t.equal(parseIsoDuration('PT'), undefined);
  t.equal(parseIsoDuration('2h'), undefined);
  t.equal(parseConfigDuration('2m'), 120_000);
  t.equal(parseConfigDuration('500ms'), 500);
});

t.test("WORKER_MAX_CACHED_WORKFLOWS: unset leaves the SDK's default; 0 or at least 2", async (t) => {
  t.equal(loadConfig({}).worker.maxCachedWorkflows, null);
  t.equal(loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '300' }).worker.maxCachedWorkflows, 300);
  t.equal(loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '0' }).worker.maxCachedWorkflows, 0, '0 = no cache');
  t.throws(
    () => loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '1' }),
    /WORKER_MAX_CACHED_WORKFLOWS must be 0 \(no cache\) or at least 2/,
  );
  t.throws(() => loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: 'many' }), /WORKER_MAX_CACHED_WORKFLOWS/);
});

t.test('SDK_METRICS_PORT: the worker SDK exporter port, 9464 by default, 0 turns it off', async (t) => {
  t.equal(loadConfig({}).sdkMetrics.port, 9464);
  t.equal(loadConfig({ SDK_METRICS_PORT: '9100' }).sdkMetrics.port, 9100);
  t.equal(loadConfig({ SDK_METRICS_PORT: '0' }).sdkMetrics.port, null, '0 = off');
  t.throws(() => loadConfig({ SDK_METRICS_PORT: 'x' }), /SDK_METRICS_PORT/);
  t.throws(() => loadConfig({ SDK_METRICS_PORT: '70000' }), /SDK_METRICS_PORT/);
});

t.test(
  'DRIFT_CHECK_INTERVAL (5 minutes; 0 or off: no periodic look) and DRIFT_POLICY (respect) reach the policy',
  async (t) => {
    t.equal(loadConfig({}).policy.driftCheckIntervalMs, 300_000);
    t.equal(loadConfig({}).policy.driftPolicy, 'respect');
    t.equal(loadConfig({ DRIFT_CHECK_INTERVAL: '2s' }).policy.driftCheckIntervalMs, 2_000);
    t.equal(loadConfig({ DRIFT_CHECK_INTERVAL: '0' }).policy.driftCheckIntervalMs, 0);
    t.equal(loadConfig({ DRIFT_CHECK_INTERVAL: 'off' }).policy.driftCheckIntervalMs, 0);
    t.equal(loadConfig({ DRIFT_POLICY: 'enforce' }).policy.driftPolicy, 'enforce');
    t.throws(
      () => loadConfig({ DRIFT_CHECK_INTERVAL: '10ms' }),
      /DRIFT_CHECK_INTERVAL must be a duration of at least 1000 ms/,
    );
    t.throws(() => loadConfig({ DRIFT_CHECK_INTERVAL: 'often' }), /DRIFT_CHECK_INTERVAL/);
    t.throws(() => loadConfig({ DRIFT_POLICY: 'ignore' }), /DRIFT_POLICY must be one of: respect, enforce/);
  },
);
