// capacityctl without a server: argument parsing, the command table, output formatting, exit-code logic, and
// whole runs against a fake transport.
import t from 'tap';
import { run, resolveBaseUrl, type Deps } from '../../src/cli/capacityctl.js';
import { COMMANDS } from '../../src/cli/commands.js';
import {
  ApiError,
  EXIT,
  UnreachableError,
  formatHttpError,
  httpSender,
  requestHeaders,
  type Answer,
  type Request,
} from '../../src/cli/http.js';
import {
  capacityLines,
  listLines,
  progressLines,
  scheduleLines,
  verdict,
  windowLines,
  type WindowView,
} from '../../src/cli/output.js';
import { helpText, parse } from '../../src/cli/parse.js';

/** The request a command line turns into, or its usage error. */
function requestOf(argv: string[], defaults = {}): Request | { error: string } {
  const p = parse(argv, defaults);
  if (p.kind === 'run') return p.request;
  if (p.kind === 'usage') return { error: p.error };
  throw new Error('help');
}

t.test('the shortcut <namespace> <trus> <minutes>: create and watch', async (t) => {
  const p = parse(['payments.a1b2c', '4', '120']);
  t.equal(p.kind, 'run');
  if (p.kind !== 'run') return;
  t.equal(p.command.name, 'window create');
  t.equal(p.command.watch?.(p.input), true, 'the shortcut follows the window');
  t.same(p.request, {
    method: 'POST',
    path: '/v1/capacity-changes',
    body: { namespace: 'payments.a1b2c', trus: 4, duration: 'PT120M', reason: 'runbook: capacityctl' },
  });
  t.match(requestOf(['payments.a1b2c', '4']), { error: /shortcut.*2 arguments/ });
  t.match(requestOf(['payments.a1b2c', 'four', '120']), { error: /trus/ });
  t.match(requestOf(['payments.a1b2c', '4', '0']), { error: /minutes/ });
  t.match(requestOf(['payments.a1b2c', '1.5', '10']), { error: /trus/ });
  t.match(requestOf(['payments.a1b2c', '4', '-3']), { error: /-3/ });
  t.match(requestOf(['payments.a1b2c', '4', '10', '--wait']), { error: /shortcut form does not take --wait/ });
  t.match(requestOf(['payments.a1b2c', '4', '10', '--reason', 'peak']), { body: { reason: 'peak' } });
});

t.test('window create', async (t) => {
  const base = ['window', 'create', '--namespace', 'payments.a1b2c', '--trus', '8'];
  t.same(
    requestOf([...base, '--duration', 'PT4H', '--start-at', '2027-03-02T14:00:00+01:00', '--reason', 'launch'], {
      'requested-by': 'alice',
    }),
    {
      method: 'POST',
      path: '/v1/capacity-changes',
      body: {
        namespace: 'payments.a1b2c',
        trus: 8,
        startAt: '2027-03-02T14:00:00+01:00',
        duration: 'PT4H',
        reason: 'launch',
        requestedBy: 'alice',
      },
    },
  );
  t.match(
    requestOf([...base, '--end-at', '2027-03-02T18:00:00Z', '--requested-by', 'bob'], { 'requested-by': 'alice' }),
    {
      body: { endAt: '2027-03-02T18:00:00Z', requestedBy: 'bob' },
    },
  );
  t.match(requestOf([...base, '--minutes', '90']), { body: { duration: 'PT90M' } });
  t.match(requestOf(base), { error: /exactly one of --duration, --end-at and --minutes/ });
  t.match(requestOf([...base, '--minutes', '5', '--duration', 'PT1H']), { error: /exactly one/ });
  t.match(requestOf([...base, '--minutes', 'ten']), { error: /--minutes/ });
  t.match(requestOf(['window', 'create', '--trus', '4', '--minutes', '5']), { error: /needs --namespace/ });
  const wait = parse([...base, '--minutes', '5', '--wait']);
  const noWait = parse([...base, '--minutes', '5']);
  t.ok(wait.kind === 'run' && wait.command.watch?.(wait.input), '--wait follows the window');
  t.notOk(noWait.kind === 'run' && noWait.command.watch?.(noWait.input), 'without --wait it does not');
});

t.test('window, namespace and schedule commands map to their routes', async (t) => {
  t.same(requestOf(['window', 'show', 'payments.a1b2c~run 1']), {
    method: 'GET',
    path: '/v1/capacity-changes/payments.a1b2c~run%201',
  });
  t.same(requestOf(['window', 'watch', 'payments.a1b2c~r']), {
    method: 'GET',
    path: '/v1/capacity-changes/payments.a1b2c~r',
  });
  t.same(requestOf(['namespace', 'capacity', 'payments.a1b2c']), {
    method: 'GET',
    path: '/v1/namespaces/payments.a1b2c/capacity',
  });
  t.same(requestOf(['schedule', 'list']), { method: 'GET', path: '/v1/capacity-schedules' });
  t.same(requestOf(['schedule', 'show', 'office-hours']), {
    method: 'GET',
    path: '/v1/capacity-schedules/office-hours',
  });
  t.same(requestOf(['schedule', 'pause', 'office-hours', '--note', 'holidays']), {
    method: 'POST',
    path: '/v1/capacity-schedules/office-hours/pause',
    body: { note: 'holidays' },
  });
  t.same(requestOf(['schedule', 'unpause', 'office-hours']), {
    method: 'POST',
    path: '/v1/capacity-schedules/office-hours/unpause',
  });
  t.same(requestOf(['schedule', 'trigger', 'office-hours']), {
    method: 'POST',
    path: '/v1/capacity-schedules/office-hours/trigger',
  });
  t.same(requestOf(['schedule', 'delete', 'office-hours']), {
    method: 'DELETE',
    path: '/v1/capacity-schedules/office-hours?cancelRunning=false',
  });
  t.same(requestOf(['schedule', 'delete', 'office-hours', '--cancel-running']), {
    method: 'DELETE',
    path: '/v1/capacity-schedules/office-hours?cancelRunning=true',
  });
  // Global options go anywhere.
  const p = parse(['--json', 'window', 'show', 'x', '--url', 'http://h:1']);
  t.match(p, { kind: 'run', json: true, url: 'http://h:1' });
});

t.test('schedule create builds the POST body from flags', async (t) => {
  t.same(
    requestOf([
      'schedule',
      'create',
      '--namespace',
      'payments.a1b2c',
      '--trus',
      '4',
      '--duration',
      'PT10H',
      '--cron',
      '0 8 * * 1-5',
      '--timezone',
      'Europe/Berlin',
      '--id',
      'office-hours',
      '--note',
      'weekdays',
    ]),
    {
      method: 'POST',
      path: '/v1/capacity-schedules',
      body: {
        id: 'office-hours',
        namespace: 'payments.a1b2c',
        trus: 4,
        duration: 'PT10H',
        cron: '0 8 * * 1-5',
        timezone: 'Europe/Berlin',
        note: 'weekdays',
      },
    },
  );
  t.same(
    requestOf([
      'schedule',
      'create',
      '--namespace',
      'n.a1',
      '--trus',
      '2',
      '--duration',
      'PT1H',
      '--every',
      'PT6H',
      '--offset',
      'PT1H',
      '--paused',
    ]),
    {
      method: 'POST',
      path: '/v1/capacity-schedules',
      body: { namespace: 'n.a1', trus: 2, duration: 'PT1H', interval: { every: 'PT6H', offset: 'PT1H' }, paused: true },
    },
  );
  t.same(
    requestOf(
      [
        'schedule',
        'create',
        '--namespace',
        'n.a1',
        '--trus',
        '8',
        '--duration',
        'PT4H',
        '--at',
        '2027-04-13T12:00:00Z',
      ],
      { 'requested-by': 'alice' },
    ),
    {
      method: 'POST',
      path: '/v1/capacity-schedules',
      body: { namespace: 'n.a1', trus: 8, duration: 'PT4H', at: '2027-04-13T12:00:00Z' },
    },
    'requested-by only goes to commands that take it',
  );
  t.match(requestOf(['schedule', 'create', '--namespace', 'n.a1', '--trus', '4']), { error: /--duration/ });
  t.match(requestOf(['schedule', 'create', '--namespace', 'n.a1', '--trus', 'four', '--duration', 'PT1H']), {
    error: /--trus/,
  });
  t.match(
    requestOf(['schedule', 'create', '--namespace', 'n.a1', '--trus', '4', '--duration', 'PT1H', '--offset', 'PT1M']),
    { error: /--every/ },
  );
  t.match(requestOf(['schedule', 'create', '--bogus']), { error: /bogus/ });
});

t.test('window cancel and extend', async (t) => {
  t.same(requestOf(['window', 'cancel', 'ns.acct~run', '--reason', 'moved', '--requested-by', 'bob']), {
    method: 'POST',
    path: '/v1/capacity-changes/ns.acct~run/cancel',
    body: { reason: 'moved', requestedBy: 'bob' },
  });
  t.same(requestOf(['window', 'extend', 'ns.acct~run', '--duration', 'PT3H']), {
    method: 'PATCH',
    path: '/v1/capacity-changes/ns.acct~run',
    body: { duration: 'PT3H' },
  });
  t.same(requestOf(['window', 'extend', 'x', '--end-at', '2027-01-01T00:00:00Z']), {
    method: 'PATCH',
    path: '/v1/capacity-changes/x',
    body: { endAt: '2027-01-01T00:00:00Z' },
  });
});

t.test('usage errors', async (t) => {
  t.match(requestOf([]), { error: /no command/ });
  t.match(requestOf(['schedule']), {
    error: /schedule needs a subcommand: one of create, list, show, pause, unpause, trigger, delete/,
  });
  t.match(requestOf(['schedule', 'explode']), { error: /unknown command "schedule explode"/ });
  t.match(requestOf(['schedule', 'show']), { error: /needs <id>/ });
  t.match(requestOf(['schedule', 'show', 'a', 'b']), { error: /unexpected arguments: b/ });
  t.match(requestOf(['schedule', 'list', 'a']), { error: /unexpected/ });
  t.match(requestOf(['window', 'show', 'x', '--cron', '1']), { error: /window show does not take --cron/ });
  t.match(requestOf(['explode']), { error: /unknown command "explode"/ });
  t.match(parse(['window', 'show']), { kind: 'usage', text: /usage: capacityctl window show <id>/ });
  t.match(parse(['--help']), { kind: 'help' });
  t.match(parse(['schedule', 'create', '-h']), { kind: 'help' });
  t.match(parse(['help']), { kind: 'help' });
});

t.test('the command table', async (t) => {
  const names = COMMANDS.map((c) => c.name);
  t.same(names, [
    'window create',
    'window show',
    'window watch',
    'window cancel',
    'window extend',
    'namespace capacity',
    'doctor',
    'report',
    'schedule create',
    'schedule list',
    'schedule show',
    'schedule pause',
    'schedule unpause',
    'schedule trigger',
    'schedule delete',
  ]);
  t.equal(new Set(names).size, names.length, 'names are unique');
  for (const c of COMMANDS) {
    // doctor and report are about the whole setup: no group.
    t.equal(c.name.split(' ').length, ['doctor', 'report'].includes(c.name) ? 1 : 2, `${c.name}: <group> <verb>`);
    for (const r of c.required ?? []) t.ok(c.options?.includes(r), `${c.name}: required --${r} is one of its options`);
  }
  const help = helpText();
  for (const c of COMMANDS) t.match(help, `capacityctl ${c.name}`, `help lists ${c.name}`);
  for (const [code, text] of [
    [0, 'success'],
    [1, 'failed'],
    [2, 'HTTP/API error'],
    [3, 'could not be reached'],
    [64, 'usage error'],
  ] as const) {
    t.match(help, new RegExp(`\\n  ${code} +.*${text}`), `help documents exit code ${code}`);
  }
  t.match(help, 'CAPACITY_SCHEDULER_TOKEN');
});

const view = (
  phase: WindowView['phase'],
  status: WindowView['status'] = 'RUNNING',
  steps: WindowView['steps'] = [],
): WindowView => ({ id: 'x', phase, status, steps });

t.test('progressLines prints new steps, phase changes and a blocked revert once per attempt', async (t) => {
  const apply = { step: 'APPLY', outcome: 'SUCCEEDED', at: '2025-01-01T00:00:00Z', asyncOperationId: 'op-1' } as const;
  t.same(progressLines(undefined, view('PENDING')), ['phase PENDING (workflow RUNNING)']);
  t.same(progressLines(view('PENDING'), view('PENDING')), []);
  t.same(progressLines(view('PENDING'), view('VERIFYING', 'RUNNING', [apply])), [
    '  2025-01-01T00:00:00Z APPLY SUCCEEDED [op-1]',
    'phase VERIFYING (workflow RUNNING)',
  ]);
  t.same(
    progressLines(
      view('VERIFYING', 'RUNNING', [apply]),
      view('VERIFYING', 'RUNNING', [apply, { step: 'VERIFY', outcome: 'FAILED', at: 't', detail: 'timeout' }]),
    ),
    ['  t VERIFY FAILED: timeout'],
  );
  const blocked = { ...view('REVERTING'), revertBlocked: { since: 's', attempts: 2, lastError: 'cool-down' } };
  t.same(progressLines(view('REVERTING'), blocked), [
    '  REVERT BLOCKED since s, 2 attempt(s): cool-down (the namespace may still be provisioned)',
  ]);
  t.same(progressLines(blocked, blocked), []);
});

t.test('verdict', async (t) => {
  t.equal(verdict(view('SCHEDULED')), undefined);
  t.equal(verdict(view('PENDING')), undefined);
  t.equal(verdict(view('VERIFYING')), undefined);
  t.equal(verdict(view('ACTIVE')), EXIT.ok);
  t.equal(verdict(view('COMPLETED', 'COMPLETED')), EXIT.ok);
  t.equal(verdict(view('FAILED')), EXIT.failed);
  t.equal(verdict(view('APPLYING', 'TERMINATED')), EXIT.failed);
  t.equal(
    verdict(view('ACTIVE', 'RUNNING', [{ step: 'VERIFY', outcome: 'FAILED', at: 't', detail: 'not applied' }])),
    EXIT.failed,
    'a window holding after a failed verification is not a success',
  );
});

t.test('formatHttpError, headers, base URL', async (t) => {
  t.equal(
    formatHttpError(409, { statusCode: 409, code: 'WINDOW_ALREADY_RUNNING', error: 'Conflict', message: 'busy' }),
    'WINDOW_ALREADY_RUNNING: busy',
  );
  t.equal(formatHttpError(502, null), 'HTTP_502: unexpected answer from the Capacity Scheduler');
  t.same(requestHeaders({ method: 'GET', path: '/' }, undefined), { accept: 'application/json' });
  t.same(requestHeaders({ method: 'POST', path: '/', body: {} }, 's3cret'), {
    accept: 'application/json',
    'content-type': 'application/json',
    'x-requested-with': 'capacityctl',
    authorization: 'Bearer s3cret',
  });
  t.same(
    requestHeaders({ method: 'DELETE', path: '/' }, undefined),
    { accept: 'application/json', 'x-requested-with': 'capacityctl' },
    'a bodiless write says it was meant',
  );
  t.equal(resolveBaseUrl(undefined, {}), 'http://127.0.0.1:8080');
  t.equal(resolveBaseUrl(undefined, { CAPACITY_SCHEDULER_URL: 'https://cap.example/' }), 'https://cap.example');
  t.equal(
    resolveBaseUrl('http://h:1//', { CAPACITY_SCHEDULER_URL: 'https://cap.example' }),
    'http://h:1',
    '--url wins',
  );
  t.equal(resolveBaseUrl('ftp://h', {}), undefined);
  t.equal(resolveBaseUrl('not a url', {}), undefined);
});

t.test('httpSender: answers, API errors, unreachable', async (t) => {
  const seen: { url: string; init: RequestInit }[] = [];
  const fake = (status: number, text: string) =>
    (async (url: string, init: RequestInit) => {
      seen.push({ url, init });
      return new Response(status === 204 ? null : text, { status });
    }) as unknown as typeof fetch;
  t.same(await httpSender('http://h', 'tok', fake(200, '{"a":1}'))({ method: 'GET', path: '/x' }), {
    status: 200,
    body: { a: 1 },
  });
  t.equal(seen[0]!.url, 'http://h/x');
  t.match(seen[0]!.init.headers, { authorization: 'Bearer tok' });
  t.same(await httpSender('http://h', undefined, fake(204, ''))({ method: 'DELETE', path: '/x' }), {
    status: 204,
    body: null,
  });
  await t.rejects(
    httpSender(
      'http://h',
      undefined,
      fake(422, '{"statusCode":422,"code":"TRU_VALUE_NOT_ALLOWED","error":"x","message":"use 4"}'),
    )({ method: 'GET', path: '/' }),
    {
      constructor: ApiError,
      message: 'TRU_VALUE_NOT_ALLOWED: use 4',
    },
  );
  await t.rejects(httpSender('http://h', undefined, fake(200, '<html>'))({ method: 'GET', path: '/' }), {
    constructor: ApiError,
    message: /HTTP_200/,
  });
  await t.rejects(httpSender('http://h', undefined, fake(502, 'Bad Gateway'))({ method: 'GET', path: '/' }), {
    constructor: ApiError,
    message: /HTTP_502/,
  });
  const refused = (async () => {
    throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
  }) as unknown as typeof fetch;
  await t.rejects(httpSender('http://h', undefined, refused)({ method: 'GET', path: '/' }), {
    constructor: UnreachableError,
    message: 'UNREACHABLE: http://h: ECONNREFUSED',
  });
});

t.test('output', async (t) => {
  const schedule = {
    id: 'office-hours',
    namespace: 'payments.a1b2c',
    trus: 4,
    duration: 'PT10H',
    cron: '0 8 * * 1-5',
    timezone: 'Europe/Berlin',
    paused: true,
    note: 'holidays',
    nextActionTimes: ['2027-03-24T07:00:00.000Z'],
    recentActions: [{ scheduledAt: '2027-03-23T07:00:00.000Z', changeId: 'c1' }],
    runningChangeIds: ['c1'],
    actionsTaken: 1,
    actionsSkipped: 0,
  };
  t.same(scheduleLines(schedule), [
    'office-hours: payments.a1b2c 4 TRUs for PT10H, cron "0 8 * * 1-5" Europe/Berlin (PAUSED)',
    '  note: holidays',
    '  runs taken 1, skipped 0',
    '  next 2027-03-24T07:00:00.000Z',
    '  ran  2027-03-23T07:00:00.000Z c1 (running)',
  ]);
  t.match(
    scheduleLines({ ...schedule, cron: undefined, interval: { every: 'PT6H' }, paused: false, note: null })[0],
    /every PT6H$/,
  );
  t.same(listLines([]), ['no capacity schedules']);
  t.same(listLines([{ id: 'a', namespace: 'n.a1', trus: 2, duration: 'PT1H', paused: false, nextActionTime: null }]), [
    'a\tn.a1\t2 TRUs\tPT1H\tnext -',
  ]);
  t.same(
    capacityLines({
      namespace: 'n.a1',
      mode: 'PROVISIONED',
      trus: 4,
      latestRequest: { state: 'COMPLETED', asyncOperationId: 'op-1', startTime: 's', endTime: 'e' },
      validTruValues: [2, 4],
      maxAvailableTruValue: 4,
      apsStats: null,
    }),
    [
      'n.a1: PROVISIONED 4 TRUs',
      '  latest request COMPLETED [op-1] s → e',
      '  valid TRU values: 2, 4',
      '  max available now: 4',
    ],
  );
  const w = windowLines({
    id: 'n.a1~r',
    namespace: 'n.a1',
    trus: 4,
    startAt: 's',
    endAt: null,
    requestedBy: 'alice',
    reason: null,
    scheduleId: null,
    status: 'COMPLETED',
    phase: 'FAILED',
    steps: [{ step: 'APPLY', outcome: 'FAILED', at: 't', detail: 'denied' }],
    revertBlocked: null,
    result: { errors: ['denied'] },
  });
  t.same(w, [
    'n.a1~r',
    '  n.a1: 4 TRUs from s permanent',
    '  phase FAILED (workflow COMPLETED)',
    '  requested by: alice',
    '  t APPLY FAILED: denied',
    '  error: denied',
  ]);
});

// Whole runs against a fake API.
function harness(routes: Record<string, Array<Answer | Error>>, env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const calls: { baseUrl: string; token: string | undefined; request: Request }[] = [];
  const deps: Deps = {
    env,
    io: { out: (s) => out.push(s), err: (s) => err.push(s) },
    sleep: async () => {},
    pollMs: 0,
    send: (baseUrl, token) => async (request) => {
      calls.push({ baseUrl, token, request });
      const queue = routes[`${request.method} ${request.path}`];
      const next = queue && (queue.length > 1 ? queue.shift()! : queue[0]!);
      if (next === undefined) throw new Error(`no route ${request.method} ${request.path}`);
      if (next instanceof Error) throw next;
      return next;
    },
  };
  return { deps, out, err, calls };
}

const ID = 'payments.a1b2c~run1';
const SELF = `/v1/capacity-changes/${ID}`;
const accepted: Answer = { status: 202, body: { id: ID, status: 'RUNNING', phase: 'PENDING', links: { self: SELF } } };
const windowAt = (
  phase: WindowView['phase'],
  steps: WindowView['steps'] = [],
  status: WindowView['status'] = 'RUNNING',
): Answer => ({
  status: 200,
  body: { id: ID, phase, status, steps, revertBlocked: null, links: { self: SELF } },
});
const applied = { step: 'APPLY', outcome: 'SUCCEEDED', at: 't1', asyncOperationId: 'op-1' } as const;
const verified = { step: 'VERIFY', outcome: 'SUCCEEDED', at: 't2' } as const;

t.test('run: the shortcut follows the window until verified, exit 0', async (t) => {
  const h = harness(
    {
      'POST /v1/capacity-changes': [accepted],
      [`GET ${SELF}`]: [windowAt('PENDING'), windowAt('VERIFYING', [applied]), windowAt('ACTIVE', [applied, verified])],
    },
    { CAPACITY_SCHEDULER_URL: 'http://api:1/', CAPACITY_SCHEDULER_TOKEN: 'tok', USER: 'alice' },
  );
  t.equal(await run(['payments.a1b2c', '4', '90'], h.deps), EXIT.ok);
  t.same(h.out, [
    ID,
    'phase PENDING (workflow RUNNING)',
    '  t1 APPLY SUCCEEDED [op-1]',
    'phase VERIFYING (workflow RUNNING)',
    '  t2 VERIFY SUCCEEDED',
    'phase ACTIVE (workflow RUNNING)',
    `verified: ${ID} is ACTIVE`,
  ]);
  t.same(h.err, []);
  t.match(h.calls[0], { baseUrl: 'http://api:1', token: 'tok', request: { body: { duration: 'PT90M' } } });
  t.notOk('requestedBy' in (h.calls[0].request.body as object), 'with a token the API names the requester, not $USER');
});

t.test('run --json: exactly one JSON document on stdout', async (t) => {
  const h = harness({
    'POST /v1/capacity-changes': [accepted],
    [`GET ${SELF}`]: [windowAt('PENDING'), windowAt('ACTIVE', [applied, verified])],
  });
  t.equal(await run(['--json', 'payments.a1b2c', '4', '90'], h.deps), EXIT.ok);
  t.equal(h.out.length, 1);
  t.match(JSON.parse(h.out[0]!), { id: ID, phase: 'ACTIVE' }, 'the window at the end of the watch');

  const show = harness({ [`GET ${SELF}`]: [windowAt('ACTIVE')] });
  t.equal(await run(['window', 'show', ID, '--json'], show.deps), EXIT.ok);
  t.same(
    show.out.map((s) => JSON.parse(s)),
    [windowAt('ACTIVE').body],
  );

  const created = harness({ 'POST /v1/capacity-changes': [accepted] });
  t.equal(
    await run(
      ['window', 'create', '--json', '--namespace', 'payments.a1b2c', '--trus', '4', '--duration', 'PT1H'],
      created.deps,
    ),
    EXIT.ok,
  );
  t.same(
    created.out.map((s) => JSON.parse(s)),
    [accepted.body],
    'without --wait: the 202 answer',
  );

  const deleted = harness({ 'DELETE /v1/capacity-schedules/a?cancelRunning=true': [{ status: 204, body: null }] });
  t.equal(await run(['schedule', 'delete', 'a', '--cancel-running', '--json'], deleted.deps), EXIT.ok);
  t.same(
    deleted.out.map((s) => JSON.parse(s)),
    [{ id: 'a', deleted: true, cancelRunning: true }],
  );
  const deletedHuman = harness({
    'DELETE /v1/capacity-schedules/a?cancelRunning=false': [{ status: 204, body: null }],
  });
  t.equal(await run(['schedule', 'delete', 'a'], deletedHuman.deps), EXIT.ok);
  t.same(deletedHuman.out, ['deleted']);
});

t.test('run: exit codes', async (t) => {
  const failed = harness({
    'POST /v1/capacity-changes': [accepted],
    [`GET ${SELF}`]: [
      windowAt('APPLYING'),
      windowAt('FAILED', [{ step: 'APPLY', outcome: 'FAILED', at: 't', detail: 'denied' }], 'COMPLETED'),
    ],
  });
  t.equal(await run(['payments.a1b2c', '4', '90'], failed.deps), EXIT.failed, 'a failed window exits 1');
  t.match(failed.out.at(-1), /^failed: .* is FAILED \(workflow COMPLETED\)$/);

  const refusal = {
    statusCode: 422,
    code: 'TRU_VALUE_NOT_ALLOWED',
    error: 'Unprocessable Entity',
    message: 'accepts 2, 4',
  };
  const refused = harness({ 'POST /v1/capacity-changes': [new ApiError(422, refusal)] });
  t.equal(await run(['payments.a1b2c', '5', '90'], refused.deps), EXIT.http, 'an API refusal exits 2');
  t.same(refused.err, ['TRU_VALUE_NOT_ALLOWED: accepts 2, 4']);
  t.same(refused.out, []);
  const refusedJson = harness({ 'POST /v1/capacity-changes': [new ApiError(422, refusal)] });
  t.equal(await run(['payments.a1b2c', '5', '90', '--json'], refusedJson.deps), EXIT.http);
  t.same(
    refusedJson.out.map((s) => JSON.parse(s)),
    [refusal],
    '--json: the error body is the one document',
  );

  const down = harness({
    'GET /v1/namespaces/n.a1/capacity': [new UnreachableError('UNREACHABLE: http://x: ECONNREFUSED')],
  });
  t.equal(
    await run(['namespace', 'capacity', 'n.a1', '--json'], down.deps),
    EXIT.unreachable,
    'an unreachable service exits 3',
  );
  t.same(down.out, [], 'nothing on stdout');
  t.match(down.err[0], /UNREACHABLE/);

  const lost = harness({
    'POST /v1/capacity-changes': [accepted],
    [`GET ${SELF}`]: [windowAt('PENDING'), new UnreachableError('UNREACHABLE: x')],
  });
  t.equal(
    await run(['payments.a1b2c', '4', '90'], lost.deps),
    EXIT.unreachable,
    'losing the service while watching exits 3',
  );
  t.match(lost.err[0], `follow it again with: capacityctl window watch '${ID}'`);

  const usage = harness({});
  t.equal(await run(['window', 'show'], usage.deps), EXIT.usage);
  t.equal(usage.calls.length, 0, 'a usage error sends nothing');
  t.equal(await run(['--url', 'ftp://x', 'schedule', 'list'], usage.deps), EXIT.usage);
  t.equal(await run(['--help'], usage.deps), EXIT.ok);
  t.match(usage.out.at(-1), /exit codes/);
});

t.test('doctor: the checklist, the query it sends, exit 1 when a check failed and 0 when none did', async (t) => {
  t.same(requestOf(['doctor', '--namespace', 'a.b1,c.d2', '--slack-test']), {
    method: 'GET',
    path: '/v1/diagnostics?namespace=a.b1%2Cc.d2&slackTest=true',
  });
  const failing = {
    ok: false,
    checks: [
      { name: 'temporal', ok: true, detail: 'answers', fix: null },
      { name: 'cloudOpsKey', ok: false, detail: 'refused', fix: 'set TEMPORAL_CLOUD_API_KEY' },
    ],
  };
  const h = harness({ 'GET /v1/diagnostics': [{ status: 200, body: failing }] });
  t.equal(await run(['doctor'], h.deps), EXIT.failed);
  t.same(h.out, [
    '[ok] temporal: answers',
    '[FAIL] cloudOpsKey: refused',
    '  fix: set TEMPORAL_CLOUD_API_KEY',
    '1 of 2 checks failed',
  ]);
  const passing = harness({
    'GET /v1/diagnostics': [{ status: 200, body: { ok: true, checks: [failing.checks[0]] } }],
  });
  t.equal(await run(['doctor'], passing.deps), EXIT.ok);
  t.same(passing.out, ['[ok] temporal: answers', 'all 1 checks passed']);
});

t.test('the namespace view prints the latest change made by hand', async (t) => {
  t.match(
    capacityLines({
      namespace: 'n.a1',
      mode: 'PROVISIONED',
      trus: 10,
      latestRequest: null,
      validTruValues: [2, 4],
      maxAvailableTruValue: null,
      apsStats: null,
      drift: {
        expected: { mode: 'PROVISIONED', trus: 4 },
        found: { mode: 'PROVISIONED', trus: 10 },
        at: 't',
        policy: 'respect',
        windowIds: ['w1'],
      },
    }).at(-1),
    'changed by hand at t: expected 4 TRUs, found 10 TRUs (DRIFT_POLICY=respect; windows w1)',
  );
});

t.test('report: the query it sends, a table, CSV and JSON', async (t) => {
  const range = ['--from', '2026-12-01T00:00:00Z', '--to', '2026-12-08T00:00:00Z'];
  const path = '/v1/reports/tru-hours?from=2026-12-01T00%3A00%3A00Z&to=2026-12-08T00%3A00%3A00Z&groupBy=namespace';
  t.same(requestOf(['report', ...range]), { method: 'GET', path });
  t.match(requestOf(['report', ...range, '--group-by', 'scheduleId']), { path: /groupBy=scheduleId$/ });
  t.match(requestOf(['report', '--from', '2026-12-01T00:00:00Z']), { error: /report needs --to/ });
  const body = {
    from: '2026-12-01T00:00:00.000Z',
    to: '2026-12-08T00:00:00.000Z',
    groupBy: 'namespace',
    billingRule: 'each clock hour at its peak',
    attributionRule: 'layers',
    groups: [
      { key: 'payments.a1b2c', truHours: 16, usedTruHours: 10.5, windows: 3 },
      { key: '=cmd.x1', truHours: 2, usedTruHours: 0.25, windows: 1 },
    ],
    totals: { truHours: 18, usedTruHours: 10.75, windows: 4 },
  };
  const table = harness({ [`GET ${path}`]: [{ status: 200, body }] });
  t.equal(await run(['report', ...range], table.deps), EXIT.ok);
  t.same(table.out, [
    'TRU-hours from 2026-12-01T00:00:00.000Z to 2026-12-08T00:00:00.000Z',
    'namespace       TRU-HOURS    USED  WINDOWS',
    'payments.a1b2c     16.000  10.500        3',
    '=cmd.x1             2.000   0.250        1',
    'total              18.000  10.750        4',
    'billing: each clock hour at its peak',
  ]);
  const csv = harness({ [`GET ${path}`]: [{ status: 200, body }] });
  t.equal(await run(['report', ...range, '--csv'], csv.deps), EXIT.ok);
  t.same(
    csv.out,
    ['namespace,truHours,usedTruHours,windows', 'payments.a1b2c,16,10.5,3', "'=cmd.x1,2,0.25,1"],
    'CSV, a formula-looking cell made inert',
  );
  const json = harness({ [`GET ${path}`]: [{ status: 200, body }] });
  t.equal(await run(['report', ...range, '--json'], json.deps), EXIT.ok);
  t.same(JSON.parse(json.out.join('\n')), body);
});
