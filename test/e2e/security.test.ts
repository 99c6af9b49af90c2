// Issue 23 against the real stack (Temporal dev server, worker, emulator): the audit trail of every change on the
// window or schedule and in the audit log, least privilege (cancel scope, namespace-limited tokens), and
// cross-site requests to each write route that change nothing when authentication is open.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import t from 'tap';
import { buildApp } from '../../src/api/app.js';
import type { CapacityChange } from '../../src/api/routes/capacity-changes/schema.js';
import { loadConfig } from '../../src/config.js';
import { deleteSchedules, startHarness, type Harness } from '../helpers/harness.js';

const TOKENS = {
  ops: `ops-token-${randomBytes(16).toString('hex')}`,
  noCancel: `no-cancel-token-${randomBytes(16).toString('hex')}`,
  limited: `limited-token-${randomBytes(16).toString('hex')}`,
};
const SCHEDULES = '/v1/capacity-schedules';
const WINDOWS = '/v1/capacity-changes';

let h: Harness;
/** The same stack's services behind a second app with authentication open (local mode without tokens). */
let open: { app: FastifyInstance; windowStatus: (id: string) => Promise<CapacityChange> };
/** And behind a third, in trusted-proxy mode: the proxy is 127.0.0.1, inject's default client address. */
let proxied: FastifyInstance;
const scheduleIds: string[] = [];
t.before(async () => {
  h = await startHarness({
    tokens: [
      { name: 'ops', scopes: ['capacity:read', 'capacity:write'], token: TOKENS.ops },
      { name: 'no-cancel', scopes: ['capacity:read', 'windows:create'], token: TOKENS.noCancel },
      { name: 'limited', scopes: ['capacity:read', 'capacity:write'], token: TOKENS.limited, namespaces: ['lim*'] },
    ],
  });
  const app = await buildApp({
    config: { ...h.config, auth: loadConfig({ RATE_LIMIT_PER_MINUTE: '0' }).auth },
    logger: h.logger,
    temporal: h.client,
    capacity: h.capacity,
  });
  const roles = path.join(mkdtempSync(path.join(tmpdir(), 'proxy-roles-')), 'roles.json');
  writeFileSync(roles, JSON.stringify([{ group: 'sre', scopes: ['capacity:read', 'capacity:write'] }]), {
    mode: 0o600,
  });
  const proxyEnv = {
    TRUSTED_PROXY_ADDRESSES: '127.0.0.1/32',
    TRUSTED_PROXY_ROLES_FILE: roles,
    RATE_LIMIT_PER_MINUTE: '0',
  };
  proxied = await buildApp({
    config: { ...h.config, auth: loadConfig(proxyEnv).auth },
    logger: h.logger,
    temporal: h.client,
    capacity: h.capacity,
  });
  open = {
    app,
    windowStatus: async (id) =>
      (await app.inject({ method: 'GET', url: `${WINDOWS}/${encodeURIComponent(id)}` })).json() as CapacityChange,
  };
});
t.teardown(async () => {
  if (h) await deleteSchedules(h, scheduleIds);
  await open?.app.close();
  await proxied?.close();
  await h?.close();
});

const as = (token: string) => ({ authorization: `Bearer ${token}` });
const auditLines = (harness: Harness) =>
  harness.logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.audit === true);

t.test('each change of a window names its caller on the window and in the audit log', async (t) => {
  const ns = h.newNamespace();
  const created = await h.app.inject({
    method: 'POST',
    url: WINDOWS,
    payload: { namespace: ns, trus: 4, duration: 'PT1H' },
    headers: as(TOKENS.ops),
  });
  t.equal(created.statusCode, 202, created.body);
  const id = created.json().id as string;
  const url = `${WINDOWS}/${encodeURIComponent(id)}`;
  const extend = await h.app.inject({ method: 'PATCH', url, payload: { duration: 'PT2H' }, headers: as(TOKENS.ops) });
  t.equal(extend.statusCode, 200, extend.body);

  const refused = await h.app.inject({
    method: 'POST',
    url: `${url}/cancel`,
    payload: { reason: 'not mine' },
    headers: as(TOKENS.noCancel),
  });
  t.equal(refused.statusCode, 403, 'a token without windows:cancel cannot cancel');
  t.equal(refused.json().code, 'FORBIDDEN_SCOPE');
  const still = await h.windowStatus(id);
  t.equal(still.status, 'RUNNING');
  t.notOk(
    still.steps.some((s) => s.step === 'CANCEL'),
    'the window has no CANCEL step',
  );

  const cancel = await h.app.inject({
    method: 'POST',
    url: `${url}/cancel`,
    payload: { reason: 'done early' },
    headers: as(TOKENS.ops),
  });
  t.equal(cancel.statusCode, 202, cancel.body);
  const done = await h.waitForWindow(id, 'COMPLETED', (s) => s.status === 'COMPLETED');

  const ids = [created, extend, cancel].map((r) => r.headers['x-request-id']);
  t.match(done.audit, [
    { action: 'create', by: 'ops', requestId: ids[0] },
    { action: 'extend', by: 'ops', requestId: ids[1] },
    { action: 'cancel', by: 'ops', requestId: ids[2] },
  ]);
  t.equal(done.audit.length, 3, 'GET shows who did what, and nothing else');
  t.match(
    done.steps.find((s) => s.step === 'CANCEL'),
    { by: 'ops', requestId: ids[2] },
    'the cancel lands in the steps',
  );
  for (const [action, requestId] of [
    ['create', ids[0]],
    ['extend', ids[1]],
    ['cancel', ids[2]],
  ]) {
    t.match(
      auditLines(h).find((l) => l.requestId === requestId),
      { action, by: 'ops', windowId: id },
      `audit log line of ${action}`,
    );
  }
});

t.test('each change of a schedule names its caller on the schedule and in the audit log', async (t) => {
  const ns = h.newNamespace();
  const call = (method: 'POST' | 'PATCH' | 'DELETE', url: string, payload: object = {}) =>
    h.app.inject({ method, url, payload, headers: as(TOKENS.ops) });
  const created = await call('POST', SCHEDULES, { namespace: ns, trus: 4, duration: 'PT1H', cron: '0 3 1 1 *' });
  t.equal(created.statusCode, 201, created.body);
  const id = created.json().id as string;
  scheduleIds.push(id);
  const url = `${SCHEDULES}/${id}`;
  const answers = [created];
  for (const [method, path, body] of [
    ['PATCH', url, { duration: 'PT2H' }],
    ['POST', `${url}/pause`, { note: 'freeze' }],
    ['POST', `${url}/unpause`, {}],
    ['POST', `${url}/trigger`, {}],
  ] as const) {
    const res = await call(method, path, body);
    t.ok(res.statusCode < 300, `${method} ${path}: ${res.statusCode} ${res.body}`);
    answers.push(res);
  }
  const view = (await h.app.inject({ method: 'GET', url, headers: as(TOKENS.ops) })).json();
  const actions = ['create', 'patch', 'pause', 'unpause', 'trigger'];
  t.match(
    view.audit,
    actions.map((action, i) => ({ action, by: 'ops', requestId: answers[i].headers['x-request-id'] })),
    'GET shows who did what',
  );
  t.equal(view.duration, 'PT2H', 'the patch itself kept');

  const del = await h.app.inject({
    method: 'DELETE',
    url: `${url}?cancelRunning=true`,
    headers: { ...as(TOKENS.ops), 'x-requested-with': 'test' },
  });
  t.equal(del.statusCode, 204, del.body);
  for (const [i, action] of [...actions, 'delete'].entries()) {
    const requestId = (i < actions.length ? answers[i] : del).headers['x-request-id'];
    t.match(
      auditLines(h).find((l) => l.requestId === requestId),
      { action: `schedule ${action}`, by: 'ops', scheduleId: id },
      `audit log line of ${action}`,
    );
  }
});

t.test('a token limited to some namespaces cannot read or change another', async (t) => {
  const other = h.newNamespace();
  const otherId = await h.startWindow({ namespace: other, trus: 4, duration: 'PT1H' });
  const url = `${WINDOWS}/${encodeURIComponent(otherId)}`;
  const limited = as(TOKENS.limited);
  const refusals = [
    await h.app.inject({ method: 'GET', url, headers: limited }),
    await h.app.inject({ method: 'PATCH', url, payload: { duration: 'PT3H' }, headers: limited }),
    await h.app.inject({ method: 'POST', url: `${url}/cancel`, payload: {}, headers: limited }),
    await h.app.inject({
      method: 'POST',
      url: WINDOWS,
      payload: { namespace: other, trus: 2, duration: 'PT1H' },
      headers: limited,
    }),
    await h.app.inject({ method: 'GET', url: `${WINDOWS}?namespace=${other}`, headers: limited }),
    await h.app.inject({ method: 'GET', url: `/v1/namespaces/${other}/capacity`, headers: limited }),
  ];
  t.same(
    refusals.map((r) => `${r.statusCode} ${r.json().code}`),
    Array(refusals.length).fill('403 FORBIDDEN_NAMESPACE'),
  );
  const after = await h.windowStatus(otherId);
  t.equal(after.status, 'RUNNING', 'the other window runs on');
  t.equal(after.audit.length, 1, 'with nothing but its create in the trail');
  t.equal(Date.parse(after.endAt!) - Date.parse(after.startAt), 3_600_000, 'and its end where it was');

  const ns = `lim${randomBytes(4).toString('hex')}.acct1`;
  h.emulator.state.addNamespace(ns);
  const own = await h.app.inject({
    method: 'POST',
    url: WINDOWS,
    payload: { namespace: ns, trus: 4, duration: 'PT1H' },
    headers: limited,
  });
  t.equal(own.statusCode, 202, `its own namespace works: ${own.body}`);
  const ownUrl = `${WINDOWS}/${encodeURIComponent(own.json().id)}`;
  t.equal((await h.app.inject({ method: 'GET', url: ownUrl, headers: limited })).statusCode, 200);
  t.equal(
    (await h.app.inject({ method: 'POST', url: `${ownUrl}/cancel`, payload: {}, headers: limited })).statusCode,
    202,
  );
  await h.app.inject({ method: 'POST', url: `${url}/cancel`, payload: {}, headers: as(TOKENS.ops) });
  await h.waitForWindow(otherId, 'COMPLETED', (s) => s.status === 'COMPLETED');
});

t.test('with authentication open, a cross-site request to each write route changes nothing', async (t) => {
  const ns = h.newNamespace();
  const start = await open.app.inject({
    method: 'POST',
    url: WINDOWS,
    payload: { namespace: ns, trus: 4, duration: 'PT1H' },
  });
  t.equal(start.statusCode, 202, start.body);
  const windowId = start.json().id as string;
  const created = await open.app.inject({
    method: 'POST',
    url: SCHEDULES,
    payload: { namespace: ns, trus: 4, duration: 'PT1H', cron: '0 3 1 1 *' },
  });
  t.equal(created.statusCode, 201, created.body);
  const scheduleId = created.json().id as string;
  scheduleIds.push(scheduleId);
  const wUrl = `${WINDOWS}/${encodeURIComponent(windowId)}`;
  const sUrl = `${SCHEDULES}/${scheduleId}`;
  const routes: Array<[string, string, object | undefined]> = [
    ['POST', WINDOWS, { namespace: ns, trus: 2, duration: 'PT1H' }],
    ['PATCH', wUrl, { duration: 'PT5H' }],
    ['POST', `${wUrl}/cancel`, undefined],
    ['POST', SCHEDULES, { namespace: ns, trus: 2, duration: 'PT1H', cron: '0 4 1 1 *' }],
    ['PATCH', sUrl, { duration: 'PT5H' }],
    ['POST', `${sUrl}/pause`, undefined],
    ['POST', `${sUrl}/unpause`, undefined],
    ['POST', `${sUrl}/trigger`, undefined],
    ['DELETE', sUrl, undefined],
  ];
  // Active first: until then the window itself fixes its end from when it really started.
  await h.waitForWindow(windowId, 'ACTIVE', (w) => w.phase === 'ACTIVE');
  const before = {
    window: await open.windowStatus(windowId),
    schedule: (await open.app.inject({ method: 'GET', url: sUrl })).json(),
  };
  const foreign = { origin: 'https://evil.example', 'x-requested-with': 'XMLHttpRequest' };
  for (const [method, url, body] of routes) {
    const m = method as 'POST' | 'PATCH' | 'DELETE';
    const fromAnotherSite = await open.app.inject({ method: m, url, payload: body ?? {}, headers: foreign });
    t.equal(fromAnotherSite.statusCode, 403, `${method} ${url} from a foreign Origin: 403`);
    t.equal(fromAnotherSite.json().code, 'ORIGIN_NOT_ALLOWED');
    // A form or a beacon: no JSON content type, no intent header.
    const simple =
      body === undefined
        ? await open.app.inject({ method: m, url })
        : await open.app.inject({ method: m, url, payload: 'x=1', headers: { 'content-type': 'text/plain' } });
    t.equal(simple.statusCode, 415, `${method} ${url} without a JSON content type: 415 ${simple.json().code}`);
  }
  const after = {
    window: await open.windowStatus(windowId),
    schedule: (await open.app.inject({ method: 'GET', url: sUrl })).json(),
  };
  t.equal(after.window.status, 'RUNNING', 'the window was not cancelled');
  t.same(after.window.audit, before.window.audit, 'nor extended');
  t.equal(after.window.endAt, before.window.endAt);
  t.same(after.schedule, before.schedule, 'the schedule is as it was: not patched, paused, triggered nor deleted');
  const listed = await open.app.inject({ method: 'GET', url: `${WINDOWS}?namespace=${ns}` });
  t.equal(listed.json().items.length, 1, 'no second window was started');
  const schedules = (await open.app.inject({ method: 'GET', url: SCHEDULES })).json().items as Array<{
    namespace: string;
  }>;
  t.equal(schedules.filter((s) => s.namespace === ns).length, 1, 'no second schedule was created');
  await open.app.inject({ method: 'POST', url: `${wUrl}/cancel`, payload: {} });
  await h.waitForWindow(windowId, 'COMPLETED', (s) => s.status === 'COMPLETED');
});

t.test('behind a trusted proxy, the user it names acts; the same header from elsewhere is refused', async (t) => {
  const ns = h.newNamespace();
  const carol = { 'x-forwarded-user': 'carol@example.com', 'x-forwarded-groups': 'dev,sre' };
  const created = await proxied.inject({
    method: 'POST',
    url: WINDOWS,
    payload: { namespace: ns, trus: 4, duration: 'PT1H' },
    headers: carol,
  });
  t.equal(created.statusCode, 202, created.body);
  const url = `${WINDOWS}/${encodeURIComponent(created.json().id)}`;
  const forged = await proxied.inject({
    method: 'POST',
    url: `${url}/cancel`,
    payload: {},
    headers: carol,
    remoteAddress: '10.1.2.3',
  });
  t.equal(forged.statusCode, 401, 'not from the proxy: refused');
  const view = (await proxied.inject({ method: 'GET', url, headers: carol })).json() as CapacityChange;
  t.equal(view.status, 'RUNNING', 'the forged cancel changed nothing');
  t.equal(view.requestedBy, 'carol@example.com', 'requestedBy is the proxy user');
  t.match(view.audit, [{ action: 'create', by: 'carol@example.com', requestId: created.headers['x-request-id'] }]);
  const noRole = { 'x-forwarded-user': 'dave@example.com', 'x-forwarded-groups': 'dev' };
  t.equal(
    (await proxied.inject({ method: 'POST', url: `${url}/cancel`, payload: {}, headers: noRole })).statusCode,
    403,
  );
  const cancel = await proxied.inject({ method: 'POST', url: `${url}/cancel`, payload: {}, headers: carol });
  t.equal(cancel.statusCode, 202, cancel.body);
  t.match(
    auditLines(h).find((l) => l.requestId === cancel.headers['x-request-id']),
    { action: 'cancel', by: 'carol@example.com' },
    'the audit log names carol',
  );
  await h.waitForWindow(created.json().id, 'COMPLETED', (s) => s.status === 'COMPLETED');
});
