// capacityctl end to end: the package's bin (node bin/capacityctl.js) against the real app, listening on a port,
// in front of the real worker, Temporal dev server and Cloud Ops emulator.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import t from 'tap';
import { startHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
let url: string;
t.before(async () => {
  h = await startHarness({ applyDelayMs: 300 });
  url = await h.app.listen({ port: 0, host: '127.0.0.1' });
});
t.teardown(() => h.close());

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function capacityctl(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/capacityctl.js', ...args], {
      env: { ...process.env, CAPACITY_SCHEDULER_URL: url, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** tap diagnostics: shown when an assertion fails. */
const show = (r: Run) => ({ stdout: r.stdout, stderr: r.stderr });

t.test('the shortcut <namespace> <trus> <minutes> follows the window until verified', async (t) => {
  const ns = h.newNamespace();
  const r = await capacityctl([ns, '4', '1'], { CAPACITY_SCHEDULER_TOKEN: 'not-checked-yet' });
  t.equal(r.code, 0, 'exits 0', show(r));
  const id = r.stdout.split('\n')[0]!;
  t.match(id, new RegExp(`^${ns.replace('.', '\\.')}_[0-9a-f]{16}~`), 'prints the window id first');
  t.match(r.stdout, /APPLY SUCCEEDED/);
  t.match(r.stdout, /VERIFY SUCCEEDED/);
  t.match(r.stdout, /phase ACTIVE/);
  t.match(r.stdout, `verified: ${id} is ACTIVE`);
  t.same((h.emulator.state.snapshot(ns).capacity as { provisioned?: unknown }).provisioned, { currentValue: 4 });

  const json = await capacityctl(['window', 'show', id, '--json']);
  t.equal(json.code, 0, 'exits 0', show(json));
  const w = JSON.parse(json.stdout);
  t.equal(w.id, id, 'window show --json prints the window');
  t.equal(w.phase, 'ACTIVE');
  t.equal(w.trus, 4);

  const human = await capacityctl(['window', 'show', id]);
  t.equal(human.code, 0, 'exits 0', show(human));
  t.match(human.stdout, `${ns}: 4 TRUs from`);

  const capacity = await capacityctl(['namespace', 'capacity', ns, '--json']);
  t.equal(capacity.code, 0, 'exits 0', show(capacity));
  t.match(JSON.parse(capacity.stdout), { namespace: ns, mode: 'PROVISIONED', trus: 4 });

  // The API refuses a TRU value the namespace does not accept: exit 2, the code on stderr, nothing started.
  const other = h.newNamespace();
  const refused = await capacityctl([other, '5', '1']);
  t.equal(refused.code, 2, 'exits 2', show(refused));
  t.match(refused.stderr, /^TRU_VALUE_NOT_ALLOWED: /);
  t.equal(refused.stdout, '');
  t.equal(h.emulator.state.snapshot(other).updates.length, 0);
});

t.test('an unreachable service exits 3, a usage error 64', async (t) => {
  // A port that was just free: nothing listens there, the connection is refused.
  const port = await new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
  const unreachable = await capacityctl([
    'namespace',
    'capacity',
    'payments.a1b2c',
    '--json',
    '--url',
    `http://127.0.0.1:${port}`,
  ]);
  t.equal(unreachable.code, 3, 'exits 3', show(unreachable));
  t.match(unreachable.stderr, `UNREACHABLE: http://127.0.0.1:${port}: ECONNREFUSED`);
  t.equal(unreachable.stdout, '', 'nothing on stdout');

  const usage = await capacityctl(['window', 'show']);
  t.equal(usage.code, 64, 'exits 64', show(usage));
  t.match(usage.stderr, /window show needs <id>/);
  t.equal(usage.stdout, '');
});

t.test('schedule create, show --json, delete', async (t) => {
  const ns = h.newNamespace();
  const id = `cli-${randomBytes(4).toString('hex')}`;
  const created = await capacityctl([
    'schedule',
    'create',
    '--namespace',
    ns,
    '--trus',
    '4',
    '--duration',
    'PT1H',
    '--cron',
    '0 8 * * 1-5',
    '--timezone',
    'Europe/Berlin',
    '--id',
    id,
    '--paused',
  ]);
  t.equal(created.code, 0, 'exits 0', show(created));
  t.match(created.stdout, new RegExp(`^${id}\\n  next `));

  const shown = await capacityctl(['schedule', 'show', id, '--json']);
  t.equal(shown.code, 0, 'exits 0', show(shown));
  t.match(JSON.parse(shown.stdout), {
    id,
    namespace: ns,
    trus: 4,
    duration: 'PT1H',
    cron: '0 8 * * 1-5',
    timezone: 'Europe/Berlin',
    paused: true,
  });

  const deleted = await capacityctl(['schedule', 'delete', id]);
  t.equal(deleted.code, 0, 'exits 0', show(deleted));
  t.equal(deleted.stdout, 'deleted\n');

  const gone = await capacityctl(['schedule', 'show', id]);
  t.equal(gone.code, 2, 'exits 2', show(gone));
  t.match(gone.stderr, /^SCHEDULE_NOT_FOUND: /);
});

t.test('a reason with escape codes, mrkdwn and links reaches the terminal as inert text', async (t) => {
  const ns = h.newNamespace();
  const reason = 'peak \x1b[2J\x1b]0;owned\x07 *bold* <https://evil.example|click>\r\u202eevil';
  const created = await h.app.inject({
    method: 'POST',
    url: '/v1/capacity-changes',
    payload: { namespace: ns, trus: 4, duration: 'PT1H', reason },
  });
  t.equal(created.statusCode, 202, created.body);
  const id = created.json().id as string;
  const shown = await capacityctl(['window', 'show', id]);
  t.equal(shown.code, 0, 'exits 0', show(shown));
  t.match(
    shown.stdout,
    'reason: peak [2J]0;owned *bold* <https://evil.example|click>evil',
    'the text, without its controls',
  );
  // eslint-disable-next-line no-control-regex
  t.notMatch(shown.stdout, /[\x00-\x08\x0b-\x1f\x7f\u202e]/, 'no control character reaches the terminal');
  const cancelled = await capacityctl(['window', 'cancel', id]);
  t.equal(cancelled.code, 0, 'a bodiless write from capacityctl says it was meant', show(cancelled));
});
