// Authentication against the real stack (Temporal dev server, worker, Cloud Ops emulator, Slack receiver):
// the token's name is the window's requestedBy everywhere it shows (status, listing, Slack alert), and the
// token never reaches a log line.
import t from 'tap';
import { startHarness, type Harness } from '../helpers/harness.js';

const WRITE_TOKEN = `ops-bot-token-${'a1'.repeat(16)}`;
const READ_TOKEN = `dashboard-token-${'b2'.repeat(16)}`;
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

let h: Harness;
t.before(async () => {
  h = await startHarness({
    applyDelayMs: 200,
    verifyTimeout: '2s',
    revertAlertAfter: '2s',
    tokens: [
      { name: 'ops-bot', scopes: ['capacity:read', 'capacity:write'], token: WRITE_TOKEN },
      { name: 'dashboard', scopes: ['capacity:read'], token: READ_TOKEN },
    ],
  });
});
t.teardown(() => h?.close());
t.afterEach(() => h.emulator.state.clearFaults());

t.test('no token, or a read-only token, changes nothing', async (t) => {
  const ns = h.newNamespace();
  const body = { namespace: ns, trus: 4, duration: 'PT2S' };
  const anonymous = await h.app.inject({ method: 'POST', url: '/v1/capacity-changes', payload: body });
  t.equal(anonymous.statusCode, 401);
  t.equal(anonymous.json().code, 'UNAUTHENTICATED');
  const reader = await h.app.inject({
    method: 'POST',
    url: '/v1/capacity-changes',
    payload: body,
    headers: auth(READ_TOKEN),
  });
  t.equal(reader.statusCode, 403);
  t.equal(reader.json().code, 'FORBIDDEN_SCOPE');
  t.equal(h.emulator.state.snapshot(ns).updates.length, 0, 'the namespace was not touched');
  const ready = await h.app.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.json().auth, 'tokens', '/readyz (no token needed) says tokens');
});

t.test("a window created with a write token shows the token's name as requestedBy (status, listing)", async (t) => {
  const ns = h.newNamespace();
  const id = await h.startWindow({ namespace: ns, trus: 4, duration: 'PT2S' });
  const status = await h.windowStatus(id);
  t.equal(status.requestedBy, 'ops-bot', 'GET says ops-bot');
  const read = await h.app.inject({
    method: 'GET',
    url: `/v1/capacity-changes/${encodeURIComponent(id)}`,
    headers: auth(READ_TOKEN),
  });
  t.equal(read.statusCode, 200, 'a read-only token reads it');
  t.equal(read.json().requestedBy, 'ops-bot');
  const done = await h.waitForWindow(id, 'COMPLETED', (s) => s.status === 'COMPLETED', 60_000);
  t.equal(done.requestedBy, 'ops-bot');
  const list = await h.app.inject({
    method: 'GET',
    url: `/v1/capacity-changes?namespace=${ns}&requestedBy=ops-bot`,
    headers: auth(READ_TOKEN),
  });
  t.equal(list.statusCode, 200, list.body);
  t.same(
    list.json().items.map((w: { id: string; requestedBy: string }) => [w.id, w.requestedBy]),
    [[id, 'ops-bot']],
    'the listing filtered by requestedBy=ops-bot finds it',
  );
});

t.test("a failing window's Slack alert says it was requested by the token's name", async (t) => {
  const ns = h.newNamespace();
  h.emulator.state.injectFault({ rpc: 'UpdateNamespace', code: 'PERMISSION_DENIED', count: 1 });
  const refused = await h.app.inject({
    method: 'POST',
    url: '/v1/capacity-changes',
    payload: { namespace: ns, trus: 4, duration: 'PT30S', requestedBy: 'someone-else' },
    headers: auth(WRITE_TOKEN),
  });
  t.equal(refused.statusCode, 422, 'another name in the body is refused');
  t.equal(refused.json().code, 'REQUESTED_BY_FROM_TOKEN');

  const id = await h.startWindow({ namespace: ns, trus: 4, duration: 'PT30S', requestedBy: 'ops-bot' });
  const done = await h.waitForWindow(id, 'closed', (s) => s.status !== 'RUNNING', 60_000);
  t.equal(done.phase, 'FAILED');
  t.equal(done.requestedBy, 'ops-bot');
  const alerts = h.slack.messages.filter((m) => m.text.includes(ns));
  t.equal(alerts.length, 1, 'one alert');
  t.match(JSON.stringify(alerts[0].blocks), /\*Requested by\*\\nops-bot/, 'the alert says: requested by ops-bot');
});

t.test('the tokens never reach a log line', async (t) => {
  const all = h.logLines.join('');
  t.ok(h.logLines.length > 10, `${h.logLines.length} log lines`);
  t.notOk(all.includes(WRITE_TOKEN), 'no write token');
  t.notOk(all.includes(READ_TOKEN), 'no read token');
});
