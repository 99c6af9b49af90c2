// Graceful shutdown of a real service process (ROLE=all): SIGTERM while a request is in flight. The request
// still gets its answer, the process exits 0, and the window it created completes on another worker. And Ctrl-C
// on the local stack of `npm start` (embedded dev server and emulator) stops it all without an error.
import http from 'node:http';
import t from 'tap';
import type { CapacityChange } from '../../src/api/routes/capacity-changes/schema.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { freePort, spawnService } from '../helpers/process.js';

/** Lines logged at error level or above, and anything not JSON that speaks of an error (a stack trace). */
const errorLines = (lines: string[]) =>
  lines.filter((l) => {
    try {
      return ((JSON.parse(l) as { level?: number }).level ?? 0) >= 50;
    } catch {
      return /error/i.test(l);
    }
  });

let h: Harness;
t.before(async () => {
  h = await startHarness({ applyDelayMs: 200 });
});
t.teardown(() => h?.close());

t.test('SIGTERM: the in-flight POST is answered, exit code 0, the window completes on another worker', async (t) => {
  const port = await freePort();
  const service = spawnService({
    ROLE: 'all',
    PORT: String(port),
    TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS!,
    TEMPORAL_TASK_QUEUE: h.config.temporal.taskQueue,
    TEMPORAL_CLOUD_API_KEY: h.secrets.cloudApiKey,
    CLOUD_OPS_ADDRESS: h.emulator.grpcAddress,
    GUARDRAIL_MIN_WINDOW_DURATION: '0s',
    RATE_LIMIT_PER_MINUTE: '0',
  });
  t.teardown(() => service.kill());
  await service.waitForLine(/"capacity scheduler started"/);

  const ns = h.newNamespace();
  const body = JSON.stringify({ namespace: ns, trus: 4, duration: 'PT2S', reason: 'shutdown test' });
  // The request is in flight: headers sent and half the body, the rest only after SIGTERM.
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/capacity-changes',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.write(body.slice(0, 20));
    setTimeout(() => {
      service.child.kill('SIGTERM');
      setTimeout(() => req.end(body.slice(20)), 300);
    }, 300);
  });
  const res = await answer;
  t.equal(res.status, 202, `the in-flight request was answered: ${res.body}`);
  const { code, signal } = await service.exited;
  t.equal(signal, null, 'not killed by a signal');
  t.equal(code, 0, 'exit code 0');
  t.ok(
    service.lines.some((l) => l.includes('shutting down')),
    'the shutdown was logged',
  );
  t.ok(
    service.lines.some((l) => l.includes('"stopped"')),
    'and its end',
  );
  t.same(errorLines(service.lines), [], 'no error was logged');

  const id = JSON.parse(res.body).id as string;
  const done = await h.waitForWindow(id, 'COMPLETED', (s) => s.status === 'COMPLETED', 40_000);
  t.equal(done.phase, 'COMPLETED', 'the window completed on the harness worker');
  t.match(done.result, { verificationSuccess: true, revertedToOnDemand: true, revertVerificationSuccess: true });
  t.equal(h.emulator.state.snapshot(ns).updates.length, 2);
});

t.test('Ctrl-C on the local stack, a window in flight: exit code 0, no error logged', async (t) => {
  const port = await freePort();
  const uiPort = await freePort();
  // As `npm start` runs it: no Temporal server, no Cloud Ops key, no authentication settings ('' is unset).
  const service = spawnService(
    {
      TEMPORAL_ADDRESS: '',
      TEMPORAL_CLOUD_API_KEY: '',
      AUTH_DISABLED: '',
      PORT: String(port),
      TEMPORAL_DEV_SERVER_PORT: String(await freePort()),
      TEMPORAL_DEV_SERVER_UI_PORT: String(uiPort),
      TEMPORAL_UI_URL: '',
      EMULATOR_CONTROL_PORT: String(await freePort()),
      EMULATOR_APPLY_DELAY_MS: '2000',
    },
    { ownGroup: true },
  );
  t.teardown(() => service.kill());
  await service.waitForLine(/"capacity scheduler started"/);
  t.ok(
    service.lines.some((l) => l.includes('CLOUD OPS EMULATOR MODE')),
    'local mode: the emulator banner',
  );
  const uiConfig = (await (await fetch(`http://127.0.0.1:${port}/v1/ui/config`)).json()) as {
    temporalUi: { url: string } | null;
  };
  t.equal(uiConfig.temporalUi?.url, `http://127.0.0.1:${uiPort}`, "links go to the embedded dev server's Web UI");

  const res = await fetch(`http://127.0.0.1:${port}/v1/capacity-changes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ namespace: 'payments.a1b2c', trus: 4, duration: 'PT1H', reason: 'shutdown test' }),
  });
  t.equal(res.status, 202, 'a window started');
  const { id } = (await res.json()) as { id: string };
  // Ctrl-C once the change is applied and being verified: the verification activity is running then.
  await waitFor(
    'the change applied',
    async () => {
      const window = (await (
        await fetch(`http://127.0.0.1:${port}/v1/capacity-changes/${encodeURIComponent(id)}`)
      ).json()) as CapacityChange;
      return window.steps.some((s) => s.step === 'APPLY') ? true : undefined;
    },
    60_000,
  );
  service.interrupt();
  const { code, signal } = await service.exited;
  t.equal(signal, null, 'not killed by a signal');
  t.equal(code, 0, 'exit code 0');
  t.ok(
    service.lines.some((l) => l.includes('"stopped"')),
    'it stopped in order',
  );
  t.same(errorLines(service.lines), [], 'no error was logged');
});
