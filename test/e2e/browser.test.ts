// Swagger UI in a real headless Chromium (Debian's `chromium`, driven by playwright-core) against the real stack:
// open /docs, authorize with a bearer token, create a window with "Try it out", see the 202 and the id, then
// read the window back through Swagger UI's GET operation and through the API until it has completed.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Locator, Page } from 'playwright-core';
import t from 'tap';
import { launchChromium, listenOnLoopback } from '../helpers/browser.js';
import { startHarness, type Harness } from '../helpers/harness.js';

const ARTIFACTS_DIR = fileURLToPath(new URL('../../.tap/artifacts/', import.meta.url));
const SCREENSHOT = `${ARTIFACTS_DIR}swagger-try-it-out.png`;
const UI_TIMEOUT = 20_000;
const TOKEN = `swagger-user-token-${'c3'.repeat(16)}`;

let h: Harness;
let browser: Browser;
let baseUrl: string;
t.before(async () => {
  h = await startHarness({
    applyDelayMs: 300,
    tokens: [{ name: 'swagger-user', scopes: ['capacity:read', 'capacity:write'], token: TOKEN }],
  });
  baseUrl = await listenOnLoopback(h.app);
  browser = await launchChromium();
});
t.teardown(async () => {
  await browser?.close();
  await h?.close();
});

/** The operation block of Swagger UI for `method path`, expanded, with "Try it out" switched on. */
async function openOperation(page: Page, method: 'get' | 'post', path: string): Promise<Locator> {
  const block = page
    .locator(`.opblock.opblock-${method}`)
    .filter({ has: page.locator(`.opblock-summary-path[data-path="${path}"]`) });
  await block.locator('.opblock-summary').first().click();
  await block.getByRole('button', { name: 'Try it out' }).click();
  return block;
}

/**
 * Clicks Execute and returns the status code and body of the live response Swagger UI shows. A click that sent no
 * request (a loaded machine, Swagger UI not ready for it yet) is repeated; one that sent a request never is.
 */
async function execute(page: Page, block: Locator): Promise<{ status: number; body: string; live: Locator }> {
  for (let clicks = 1; ; clicks++) {
    const sent = page
      .waitForRequest((r) => r.url().startsWith(`${baseUrl}/v1/`), { timeout: 5_000 })
      .then(
        () => true,
        () => false,
      );
    await block.getByRole('button', { name: 'Execute' }).click();
    if (await sent) break;
    if (clicks === 3) throw new Error('Swagger UI sent no request after three clicks on Execute');
  }
  const live = block.locator('.live-responses-table');
  const status = live.locator('tbody .response-col_status').first();
  await status.waitFor({ timeout: UI_TIMEOUT });
  const body = await live
    .locator('.response-col_description .microlight, .response-col_description pre')
    .first()
    .innerText();
  return { status: Number((await status.innerText()).trim()), body, live };
}

t.test(
  'Swagger UI: create a window with "Try it out", see the 202 and its id, then follow it to COMPLETED',
  async (t) => {
    const ns = h.newNamespace();
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    t.teardown(() => page.close());
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));

    await page.goto(`${baseUrl}/docs`);
    await page.locator('.swagger-ui .info .title').waitFor({ timeout: UI_TIMEOUT });
    t.match(
      await page.locator('.swagger-ui .info .title').innerText(),
      /Capacity Scheduler API/,
      'Swagger UI rendered the API document',
    );

    // Authorize: the bearerAuth scheme of the document, with the token pasted into Swagger UI's dialog.
    await page.locator('.swagger-ui .auth-wrapper .btn.authorize').click();
    const dialog = page.locator('.swagger-ui .dialog-ux .modal-ux');
    await dialog.locator('input[type="text"], input[type="password"]').first().fill(TOKEN);
    await dialog.locator('button.modal-btn.authorize').click();
    await dialog.locator('button.btn-done').click();

    // POST /v1/capacity-changes through the UI.
    const post = await openOperation(page, 'post', '/v1/capacity-changes');
    const bodyInput = post.locator('textarea.body-param__text');
    await bodyInput.fill(JSON.stringify({ namespace: ns, trus: 4, duration: 'PT2S' }));
    const created = await execute(page, post);
    t.equal(created.status, 202, `the response panel shows 202 (${created.body})`);
    const body = JSON.parse(created.body) as { id: string; links?: { self?: string } };
    t.match(body.id, new RegExp(`^${ns.replace('.', '\\.')}_[0-9a-f]{16}~`), 'and the new window id');
    t.equal(body.links?.self, `/v1/capacity-changes/${body.id}`, 'with a self link');

    // Scroll so that the request URL sits at the top, followed by the server response (code 202 and body).
    const requestUrl = await post.locator('.request-url').boundingBox();
    if (requestUrl) await page.evaluate(`window.scrollBy(0, ${Math.round(requestUrl.y) - 40})`);
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    t.comment(`screenshot of the 202 in Swagger UI: ${SCREENSHOT}`);

    // The same window through the API.
    const status = await h.windowStatus(body.id);
    t.match(status, { id: body.id, namespace: ns, trus: 4 }, 'the API knows the window');

    // GET /v1/capacity-changes/{id} through the UI.
    const get = await openOperation(page, 'get', '/v1/capacity-changes/{id}');
    await get.locator('tr[data-param-name="id"] input').fill(body.id);
    const read = await execute(page, get);
    t.equal(read.status, 200, 'Swagger UI reads the window back with 200');
    t.match(
      JSON.parse(read.body),
      { id: body.id, namespace: ns, trus: 4, requestedBy: 'swagger-user' },
      "and shows it, requested by the token's name",
    );

    const done = await h.waitForWindow(body.id, 'COMPLETED', (s) => s.status === 'COMPLETED', 60_000);
    t.equal(done.phase, 'COMPLETED', 'the window completed: applied, verified, held and reverted');
    t.ok(h.emulator.state.snapshot(ns).updates.length >= 1, 'the emulated namespace was provisioned');
    t.same(pageErrors, [], 'no JavaScript error on the page');
  },
);
