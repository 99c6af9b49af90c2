// The capacity timeline page (/ui) in a real headless Chromium against the real stack with bearer-token auth:
// windows scripted through the API (one finished and one scheduled on one namespace, one active, changed by hand
// through the emulator, and a schedule's planned run on another, one failed on a third) appear in their namespace's
// lane, where their times put them, with their TRUs, phase and the drift the controller found; each lane has the
// report's TRU-hours; a window that started before the range but ends in it is drawn; the page asks for a token on
// 401 and sends it on every /v1 call (and sends none without tokens); a bar is reachable by keyboard. The
// screenshot is kept in test-artifacts/timeline.png.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Locator, Page } from 'playwright-core';
import t from 'tap';
import { buildApp } from '../../src/api/app.js';
import { workflowLink } from '../../src/notify/slack.js';
import { parseWindowId } from '../../src/shared/index.js';
import { launchChromium, listenOnLoopback } from '../helpers/browser.js';
import { deleteSchedules, startHarness, waitFor, type Harness } from '../helpers/harness.js';

const ARTIFACTS_DIR = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const SCREENSHOT = `${ARTIFACTS_DIR}timeline.png`;
const UI_TIMEOUT = 20_000;
const TOKEN = `timeline-user-token-${'d4'.repeat(16)}`;
const AUTH = { authorization: `Bearer ${TOKEN}` };
const TEMPORAL_UI_URL = 'http://temporal-ui.test:8233';
const MINUTE = 60_000;
/** Short, so that the controller finds the change by hand while the test waits. */
const DRIFT_CHECK_MS = 2_000;
/** Pixels a bar's edge may be off the axis (rounding of percentages, borders). */
const TOLERANCE_PX = 3;
/**
 * WCAG contrast of each bar's text on its fill, in the page (as text: no DOM types here). Failed bars are left
 * out: their fill is a hatch of two light reds, not one colour.
 */
const BAR_CONTRASTS = String.raw`[...document.querySelectorAll('a.bar:not(.failed)')].map((bar) => {
  const luminance = (css) => {
    const [r, g, b] = css.match(/[\d.]+/g).slice(0, 3).map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const style = getComputedStyle(bar);
  const [light, dark] = [luminance(style.color), luminance(style.backgroundColor)].sort((a, b) => b - a);
  return { bar: bar.getAttribute('href'), ratio: (light + 0.05) / (dark + 0.05) };
})`;

let h: Harness;
let browser: Browser;
let baseUrl: string;
const schedules = new Set<string>();
const windows: string[] = [];

t.before(async () => {
  h = await startHarness({
    applyDelayMs: 300,
    tokens: [{ name: 'timeline-user', scopes: ['capacity:read', 'capacity:write'], token: TOKEN }],
    env: { TEMPORAL_UI_URL, DRIFT_CHECK_INTERVAL: `${DRIFT_CHECK_MS}ms` },
  });
  baseUrl = await listenOnLoopback(h.app);
  browser = await launchChromium();
});
t.teardown(async () => {
  await browser?.close();
  if (h) {
    for (const id of windows) {
      await h.app.inject({
        method: 'POST',
        url: `/v1/capacity-changes/${encodeURIComponent(id)}/cancel`,
        payload: {},
        headers: AUTH,
      });
    }
    await deleteSchedules(h, schedules);
    await h.close();
  }
});

t.test(
  'the page is a static shell: served without a token, under a strict CSP; its config needs the token',
  async (t) => {
    const page = await h.app.inject({ method: 'GET', url: '/ui' });
    t.equal(page.statusCode, 200);
    t.match(page.headers['content-type'], /^text\/html/);
    const csp = String(page.headers['content-security-policy']);
    t.match(csp, /default-src 'none'/, 'nothing is allowed unless named');
    t.match(csp, /script-src 'self'(;|$)/, 'scripts only from the service, none inline');
    t.match(csp, /style-src 'self'(;|$)/, 'styles only from the service, none inline');
    t.match(csp, /connect-src 'self'(;|$)/, 'and it calls nothing but the service');
    for (const asset of ['/ui/timeline.js', '/ui/timeline.css']) {
      t.equal((await h.app.inject({ method: 'GET', url: asset })).statusCode, 200, `${asset} is served`);
    }
    t.equal((await h.app.inject({ method: 'GET', url: '/v1/ui/config' })).statusCode, 401, 'config needs the token');
    const config = await h.app.inject({ method: 'GET', url: '/v1/ui/config', headers: AUTH });
    t.same(config.json(), { temporalUi: { url: TEMPORAL_UI_URL, namespace: h.config.temporal.namespace } });
  },
);

/** The horizontal position on screen of an instant, from the page's own axis (the track and its range). */
async function axisX(page: Page, track: Locator, at: number): Promise<number> {
  const box = (await track.boundingBox())!;
  const from = Number(await page.locator('#timeline').getAttribute('data-from'));
  const to = Number(await page.locator('#timeline').getAttribute('data-to'));
  return box.x + ((Math.min(Math.max(at, from), to) - from) / (to - from)) * box.width;
}

t.test('the timeline shows the scripted windows in their lanes, at their times, and asks for the token', async (t) => {
  const [nsA, nsB, nsC] = [h.newNamespace(), h.newNamespace(), h.newNamespace()];
  // First, alone: the emulator's fault applies to the next operation, whichever namespace it is for.
  h.emulator.state.injectFault({ nextOperationOutcome: 'FAILED', count: 1 });
  const failed = await h.startWindow({ namespace: nsC, trus: 8, duration: 'PT2S' });
  await h.waitForWindow(failed, 'FAILED', (s) => s.phase === 'FAILED' && s.status !== 'RUNNING', 60_000);
  // Cancelled once it holds its namespace: its bar must end where the hold did, not at its endAt 30 minutes on.
  const cancelled = await h.startWindow({ namespace: nsC, trus: 4, duration: 'PT30M' });
  await h.waitForWindow(cancelled, 'ACTIVE', (s) => s.phase === 'ACTIVE', 60_000);
  const cancel = await h.app.inject({
    method: 'POST',
    url: `/v1/capacity-changes/${encodeURIComponent(cancelled)}/cancel`,
    headers: AUTH,
    payload: {},
  });
  t.equal(cancel.statusCode, 202, cancel.body);
  const cancelledDone = await h.waitForWindow(cancelled, 'COMPLETED', (s) => s.status === 'COMPLETED', 60_000);
  const heldUntil = Date.parse(cancelledDone.result!.heldUntil!);
  const now = Date.now();
  const finished = await h.startWindow({ namespace: nsA, trus: 2, duration: 'PT2S' });
  const scheduledStart = now + 3 * MINUTE;
  const scheduledEnd = scheduledStart + 2 * MINUTE;
  const scheduled = await h.startWindow({
    namespace: nsA,
    trus: 4,
    startAt: new Date(scheduledStart).toISOString(),
    endAt: new Date(scheduledEnd).toISOString(),
  });
  const active = await h.startWindow({ namespace: nsB, trus: 6, duration: 'PT10M' });
  windows.push(scheduled, active);
  const runAt = now + 6 * MINUTE;
  const created = await h.app.inject({
    method: 'POST',
    url: '/v1/capacity-schedules',
    headers: AUTH,
    payload: { namespace: nsB, trus: 3, duration: 'PT1M', at: new Date(runAt).toISOString() },
  });
  t.equal(created.statusCode, 201, created.body);
  const scheduleId: string = created.json().id;
  schedules.add(scheduleId);

  await h.waitForWindow(finished, 'COMPLETED', (s) => s.phase === 'COMPLETED', 60_000);
  await h.waitForWindow(active, 'ACTIVE', (s) => s.phase === 'ACTIVE', 60_000);
  // Someone raises the active window's namespace by hand (a person's tool, through Cloud Ops): the controller's
  // next look finds it and records a DRIFT step on the window (DRIFT_POLICY=respect: 10 TRUs stands).
  const manual = await fetch(`${h.emulator.controlUrl}/namespaces/${nsB}/manual-change`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ trus: 10 }),
  });
  t.equal(manual.status, 202, 'the change by hand is made');
  const drifted = await h.waitForWindow(
    active,
    'a DRIFT step',
    (s) => s.steps.some((x) => x.step === 'DRIFT'),
    4 * DRIFT_CHECK_MS + 10_000,
  );
  t.match(drifted.drift, { expected: { trus: 6 }, found: { trus: 10 } }, 'the window reports the drift');
  // Visibility is eventually consistent: the page lists what the listing shows.
  await waitFor('the listing to show the four windows in their phases', async () => {
    const phases = new Map<string, string>();
    for (const ns of [nsA, nsB, nsC]) {
      const res = await h.app.inject({ method: 'GET', url: `/v1/capacity-changes?namespace=${ns}`, headers: AUTH });
      for (const w of res.json().items) phases.set(w.id, w.phase);
    }
    const seen = [finished, scheduled, active, failed, cancelled].map((id) => phases.get(id));
    return seen.join() === 'COMPLETED,SCHEDULED,ACTIVE,FAILED,COMPLETED' ? true : undefined;
  });

  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  t.teardown(() => page.close());
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const cspViolations: string[] = [];
  page.on('console', (m) => {
    if (/Content.Security.Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  const apiCalls: Array<{ url: string; authorization: string | undefined }> = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.startsWith('/v1/'))
      apiCalls.push({ url: r.url(), authorization: r.headers().authorization });
  });
  const range = { from: now - 2 * MINUTE, to: now + 8 * MINUTE };
  const query = new URLSearchParams({ from: new Date(range.from).toISOString(), to: new Date(range.to).toISOString() });
  await page.goto(`${baseUrl}/ui?${query}`);

  // No token yet: the API answers 401 and the page asks for one.
  const tokenForm = page.locator('#token-form');
  await tokenForm.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
  t.match(await page.locator('#token-message').innerText(), /401/, 'the page says the API wants a token');
  t.equal(apiCalls.length, 1, 'one refused call, not a burst of failed authentications');
  t.equal(await page.locator('a.bar').count(), 0, 'and shows no data');

  await page.locator('#token').fill(TOKEN);
  await page.locator('#token-form button[type="submit"]').click();
  const laneA = page.locator(`section.lane[data-namespace="${nsA}"]`);
  const laneB = page.locator(`section.lane[data-namespace="${nsB}"]`);
  const scheduledBar = laneA.locator(`a.bar[data-id="${scheduled}"]`);
  await scheduledBar.waitFor({ timeout: UI_TIMEOUT });
  t.ok(await tokenForm.isHidden(), 'the token form goes away once the token works');

  // The scheduled window: in its namespace's lane, from its start to its end on the page's axis.
  const trackA = laneA.locator('.track');
  const box = (await scheduledBar.boundingBox())!;
  t.ok(
    Math.abs(box.x - (await axisX(page, trackA, scheduledStart))) <= TOLERANCE_PX,
    'the scheduled bar starts at its startAt',
  );
  t.ok(
    Math.abs(box.x + box.width - (await axisX(page, trackA, scheduledEnd))) <= TOLERANCE_PX,
    'and ends at its endAt',
  );
  t.match(await scheduledBar.getAttribute('class'), /\bphase-SCHEDULED\b/, 'with the class of its phase');
  t.match(await scheduledBar.innerText(), /4 TRU/, 'its TRUs');
  t.match(await scheduledBar.innerText(), /scheduled/, 'and its phase in words');

  const finishedBar = laneA.locator(`a.bar[data-id="${finished}"]`);
  const finishedStatus = await h.windowStatus(finished);
  t.match(await finishedBar.getAttribute('class'), /\bphase-COMPLETED\b/, 'the finished window shows COMPLETED');
  t.match(await finishedBar.innerText(), /2 TRU/);
  const finishedX = (await finishedBar.boundingBox())!.x;
  t.ok(
    Math.abs(finishedX - (await axisX(page, trackA, Date.parse(finishedStatus.startAt)))) <= TOLERANCE_PX,
    'at its start',
  );
  t.ok((await finishedBar.boundingBox())!.height < box.height, 'a bar of 2 TRUs is lower than one of 4 TRUs');
  t.notMatch(await finishedBar.getAttribute('class'), /\bdrift\b/, 'no drift on the finished window');

  const activeBar = laneB.locator(`a.bar[data-id="${active}"]`);
  const activeClass = await activeBar.getAttribute('class');
  t.match(activeClass, /\bphase-ACTIVE\b/, 'the active window shows ACTIVE');
  t.match(activeClass, /\bclipped-end\b/, 'running past the end of the range');
  t.match(activeClass, /\bdrift\b/, 'with the drift the controller found');
  t.match(await activeBar.innerText(), /6 TRU/);
  t.match(await activeBar.innerText(), /drift/, 'marked in words on the bar');
  t.equal(await laneA.locator(`a.bar[data-id="${active}"]`).count(), 0, 'and it is in its own lane only');

  const failedBar = page.locator(`section.lane[data-namespace="${nsC}"] a.bar[data-id="${failed}"]`);
  t.match(await failedBar.getAttribute('class'), /\bphase-FAILED\b/, 'the failed window shows FAILED');
  t.match(await failedBar.innerText(), /8 TRU\s+failed\s+✕/, 'marked failed in words and with ✕');
  const cancelledBar = page.locator(`section.lane[data-namespace="${nsC}"] a.bar[data-id="${cancelled}"]`);
  const cancelledBox = (await cancelledBar.boundingBox())!;
  const holdEndX = await axisX(page, page.locator(`section.lane[data-namespace="${nsC}"] .track`), heldUntil);
  t.notMatch(await cancelledBar.getAttribute('class'), /\bclipped-end\b/, 'the cancelled bar stops inside the range');
  // A bar is at least 6 px wide (CSS), and this one held for a few seconds.
  t.ok(
    cancelledBox.x + cancelledBox.width <= holdEndX + 6 + TOLERANCE_PX,
    'and ends where its hold ended, not at its requested end',
  );

  const plannedBar = laneB.locator(`a.bar.planned[data-schedule="${scheduleId}"]`);
  t.equal(await plannedBar.count(), 1, "the schedule's coming run is drawn as planned");
  t.ok(
    Math.abs((await plannedBar.boundingBox())!.x - (await axisX(page, laneB.locator('.track'), runAt))) <= TOLERANCE_PX,
    'at its run time',
  );
  t.match(await plannedBar.innerText(), /3 TRU/);

  // TRU-hours per lane: the report's figure for the range, read with the same query.
  const report = await h.app.inject({
    method: 'GET',
    url: `/v1/reports/tru-hours?${new URLSearchParams({ ...Object.fromEntries(query), groupBy: 'namespace' })}`,
    headers: AUTH,
  });
  t.equal(report.statusCode, 200, report.body);
  const figures = new Map<string, number>(
    report.json().groups.map((g: { key: string; truHours: number }) => [g.key, g.truHours]),
  );
  t.ok((figures.get(nsA) ?? 0) > 0 && (figures.get(nsB) ?? 0) > 0, 'the held windows have TRU-hours');
  const format = new Intl.NumberFormat('en', { maximumFractionDigits: 2 });
  for (const [ns, lane] of [
    [nsA, laneA],
    [nsB, laneB],
    [nsC, page.locator(`section.lane[data-namespace="${nsC}"]`)],
  ] as const) {
    t.equal(
      await lane.locator('.tru-hours').innerText(),
      `TRU-hours: ${format.format(figures.get(ns) ?? 0)}`,
      `the lane of ${ns} has the report's figure`,
    );
  }

  // Other test files' windows share the dev server and may add lanes: bring this test's into view.
  await laneB.scrollIntoViewIfNeeded();
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: SCREENSHOT });
  t.comment(`screenshot of the timeline: ${SCREENSHOT}`);

  // Every call after the token carries it, in a header, never in a URL.
  const withToken = apiCalls.slice(1);
  t.ok(withToken.length >= 4, 'the page read the API');
  t.ok(
    withToken.every((c) => c.authorization === `Bearer ${TOKEN}`),
    'every /v1 call carries the bearer token',
  );
  t.notOk(apiCalls.some((c) => c.url.includes(TOKEN)) || page.url().includes(TOKEN), 'the token is in no URL');
  t.ok(
    apiCalls.some((c) => c.url.includes('/v1/capacity-changes?')),
    'windows come from the listing',
  );

  // Keyboard: Tab reaches a bar, Enter opens its JSON, Escape returns. (Page code as text: no DOM types here.)
  const focused = page.locator(':focus');
  let focusedBar: string | null = null;
  for (let presses = 0; presses < 40 && focusedBar === null; presses++) {
    await page.keyboard.press('Tab');
    if (await page.locator('a.bar:focus').count()) focusedBar = await focused.getAttribute('href');
  }
  t.ok(focusedBar, 'Tab reaches a bar');
  t.not(
    await page.evaluate('getComputedStyle(document.activeElement).outlineStyle'),
    'none',
    'the focused bar shows its focus',
  );
  await page.keyboard.press('Enter');
  await page.locator('#details-body', { hasText: /^\{/ }).waitFor({ timeout: UI_TIMEOUT });
  const shown = JSON.parse(await page.locator('#details-body').innerText());
  t.equal(shown.links.self, focusedBar, 'Enter opens the JSON of the focused bar, read with the token');
  await page.keyboard.press('Escape');
  t.ok(await page.locator('#details').isHidden(), 'Escape closes it');
  t.equal(await focused.getAttribute('href'), focusedBar, 'and focus returns to the bar');

  // The active window's links: its JSON, and its workflow run in the Temporal Web UI.
  await activeBar.click();
  await page.locator('#details-temporal').waitFor({ state: 'visible' });
  const { workflowId, runId } = parseWindowId(active)!;
  t.equal(
    await page.locator('#details-temporal').getAttribute('href'),
    `${workflowLink(TEMPORAL_UI_URL, h.config.temporal.namespace, workflowId)}/${runId}/history`,
    'the Temporal Web UI link names the workflow and run, as alerts do',
  );
  t.equal(
    await page.locator('#details-json').getAttribute('href'),
    `/v1/capacity-changes/${encodeURIComponent(active)}`,
  );
  await page.locator('#details-close').click();

  // The range picker re-queries: the 7 days preset widens the axis and the windows are read again.
  const callsBefore = apiCalls.length;
  await page.getByRole('button', { name: '7 days' }).click();
  await waitFor('the wider range', async () => {
    const from = Number(await page.locator('#timeline').getAttribute('data-from'));
    return Date.now() - from > 20 * 60 * MINUTE ? true : undefined;
  });
  await scheduledBar.waitFor({ timeout: UI_TIMEOUT });
  t.ok(
    apiCalls.slice(callsBefore).some((c) => c.url.includes('/v1/capacity-changes?')),
    'the windows were listed again',
  );
  t.match(page.url(), /[?&]from=/, 'the range is in the address, to share');

  const contrasts = (await page.evaluate(BAR_CONTRASTS)) as Array<{ bar: string; ratio: number }>;
  t.ok(contrasts.length >= 4, 'the contrast of every bar but the failed one is measured');
  t.same(
    contrasts.filter((c) => c.ratio < 4.5),
    [],
    'every bar label reads at WCAG AA contrast (4.5:1) on its fill',
  );
  // A range that begins while the finished window ran (and ends soon after, so that its bar is wide): the page asks
  // for the windows overlapping the range, so the window is drawn from the range's start although it began before.
  const finishedEnd = Date.parse(finishedStatus.endAt!);
  const midFinished = new Date((Date.parse(finishedStatus.startAt) + finishedEnd) / 2).toISOString();
  const callsBeforeOverlap = apiCalls.length;
  await page.goto(
    `${baseUrl}/ui?${new URLSearchParams({ from: midFinished, to: new Date(finishedEnd + 3_000).toISOString() })}`,
  );
  await finishedBar.waitFor({ timeout: UI_TIMEOUT });
  t.match(await finishedBar.getAttribute('class'), /\bclipped-start\b/, 'the finished window, cut at the range start');
  const clipped = (await finishedBar.boundingBox())!;
  t.ok(
    Math.abs(clipped.x + clipped.width - (await axisX(page, trackA, finishedEnd))) <= TOLERANCE_PX,
    'and ending at its endAt',
  );
  t.ok(
    apiCalls.slice(callsBeforeOverlap).some((c) => new URL(c.url).searchParams.get('endAfter') === midFinished),
    'read from the listing of the windows that overlap the range',
  );

  t.same(pageErrors, [], 'no JavaScript error on the page');
  t.same(cspViolations, [], 'nothing the CSP refused');
});

t.test(
  'without tokens (local mode, a trusted proxy) the page asks for none and sends none; it reads every page',
  async (t) => {
    // A second app on the same Temporal and Cloud Ops, with authentication off as in local mode.
    const open = await buildApp({
      config: { ...h.config, auth: { ...h.config.auth, mode: 'disabled', tokens: [] } },
      logger: h.logger,
      temporal: h.client,
      capacity: h.capacity,
    });
    t.teardown(() => open.close());
    const openUrl = await listenOnLoopback(open);

    const ns = h.newNamespace();
    const startAt = Date.now() + 4 * MINUTE;
    const id = await h.startWindow({
      namespace: ns,
      trus: 2,
      startAt: new Date(startAt).toISOString(),
      duration: 'PT1M',
    });
    windows.push(id);
    await waitFor('the listing to show the window', async () => {
      const res = await h.app.inject({ method: 'GET', url: `/v1/capacity-changes?namespace=${ns}`, headers: AUTH });
      return res.json().items.some((w: { id: string }) => w.id === id) ? true : undefined;
    });

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    t.teardown(() => page.close());
    const requests: Array<{ url: URL; authorization: string | undefined }> = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname.startsWith('/v1/')) requests.push({ url, authorization: r.headers().authorization });
    });
    // Pages of two windows, so that the page has to follow nextPageToken to find every window.
    await page.route(
      (url) => url.pathname === '/v1/capacity-changes',
      (route) => {
        const url = new URL(route.request().url());
        url.searchParams.set('pageSize', '2');
        return route.continue({ url: url.toString() });
      },
    );
    await page.goto(`${openUrl}/ui`);
    await page.locator(`section.lane[data-namespace="${ns}"] a.bar.phase-SCHEDULED[data-id="${id}"]`).waitFor({
      timeout: 3 * UI_TIMEOUT,
    });
    t.ok(await page.locator('#token-form').isHidden(), 'no token asked for');
    t.ok(requests.length >= 4 && requests.every((r) => r.authorization === undefined), 'and none sent');
    t.ok(
      requests.some((r) => r.url.pathname === '/v1/capacity-changes' && r.url.searchParams.has('pageToken')),
      'the listing was read past its first page',
    );
  },
);
