// The capacity timeline: one lane per namespace, windows and planned schedule runs as bars on a time axis, all
// read from /v1 with the caller's own credentials. No framework and no build step: the page has to work offline,
// under a CSP that allows our own files only (no inline script or style).

const TOKEN_KEY = 'capacity-scheduler.token';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** [before now, after now] of each preset: a little of the past, to see what just ran, and more of the future. */
const PRESETS = { '24h': [6 * HOUR, 18 * HOUR], '7d': [DAY, 6 * DAY], '30d': [7 * DAY, 23 * DAY] };
/** Steps and drift are in each window's own status: read that many, a few at a time (the rate limit is per caller). */
const MAX_DETAILS = 100;
const DETAIL_CONCURRENCY = 4;
const TICK_STEPS = [MINUTE, 5 * MINUTE, 15 * MINUTE, HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY];
const PHASE_LABEL = {
  SCHEDULED: 'scheduled',
  PENDING: 'pending',
  APPLYING: 'applying',
  VERIFYING: 'verifying',
  ACTIVE: 'active',
  REVERTING: 'reverting',
  REVERT_VERIFYING: 'verifying revert',
  COMPLETED: 'completed',
  FAILED: 'failed',
};

class AuthError extends Error {}

const $ = (id) => document.getElementById(id);
const iso = (ms) => new Date(ms).toISOString();
const when = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const hours = new Intl.NumberFormat('en', { maximumFractionDigits: 2 });
const count = (n, noun) => `${n} ${noun}${n === 1 ? '' : 's'}`;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** A /v1 call with the bearer token of this tab, if any; 401 is an AuthError whatever the caller expects. */
async function request(path) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = { accept: 'application/json', ...(token && { authorization: `Bearer ${token}` }) };
  const res = await fetch(path, { headers });
  if (res.status === 401) {
    // A refused token is forgotten, so that the form asks for another.
    sessionStorage.removeItem(TOKEN_KEY);
    throw new AuthError(token ? 'The API refused this token (401).' : 'The API needs a token (401).');
  }
  return { status: res.status, body: await res.json().catch(() => null) };
}

async function api(path) {
  const { status, body } = await request(path);
  if (status !== 200) throw new Error(`${path.split('?')[0]}: ${status} ${body?.message ?? ''}`);
  return body;
}

/** Every page of a listing. */
async function listAll(filters) {
  const items = [];
  let pageToken = null;
  do {
    const query = new URLSearchParams({ ...filters, pageSize: '100', ...(pageToken && { pageToken }) });
    const page = await api(`/v1/capacity-changes?${query}`);
    items.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return items;
}

async function eachLimited(items, limit, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Windows overlapping the range, with their status (steps, drift) where it was read. */
async function readWindows(from, to) {
  // The listing's overlap also has running windows past their end (a revert not verified yet): no bar to draw.
  const windows = (await listAll({ endAfter: iso(from), to: iso(to) })).filter(
    (w) => Date.parse(w.startAt) < to && (w.endAt === null || Date.parse(w.endAt) > from),
  );
  // A scheduled window has no steps yet, so it cannot have drifted.
  const started = windows.filter((w) => w.phase !== 'SCHEDULED');
  const details = new Map();
  await eachLimited(started.slice(0, MAX_DETAILS), DETAIL_CONCURRENCY, async (w) => {
    try {
      details.set(w.id, await api(w.links.self));
    } catch (err) {
      if (err instanceof AuthError) throw err;
      // A status that cannot be read leaves the bar as the listing has it.
    }
  });
  return {
    windows: windows.map((w) => ({ ...w, ...details.get(w.id) })),
    unread: Math.max(0, started.length - MAX_DETAILS),
  };
}

/** ISO 8601 weeks to seconds, the only units the API accepts (src/shared/duration.ts). */
function durationMs(text) {
  const m = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(text);
  if (!m) return 0;
  const [w, d, h, min, s] = m.slice(1).map((v) => Number(v ?? 0));
  return ((((w * 7 + d) * 24 + h) * 60 + min) * 60 + s) * 1000;
}

/** The coming runs of every schedule (its next few run times, as the API lists them) inside the range. */
async function readPlannedRuns(from, to) {
  const { items } = await api('/v1/capacity-schedules');
  const due = items.filter((s) => !s.paused && s.nextActionTime !== null && Date.parse(s.nextActionTime) < to);
  const schedules = await Promise.all(due.map((s) => api(`/v1/capacity-schedules/${encodeURIComponent(s.id)}`)));
  return schedules
    .flatMap((s) =>
      s.nextActionTimes.map((at) => {
        const start = Date.parse(at);
        return { schedule: s, start, end: start + durationMs(s.duration) };
      }),
    )
    .filter((run) => run.start < to && run.end > from);
}

/** TRU-hours per namespace, or null when the report cannot be had (an older service answers 404). */
async function readTruHours(from, to) {
  const query = new URLSearchParams({ from: iso(from), to: iso(to), groupBy: 'namespace' });
  const { status, body } = await request(`/v1/reports/tru-hours?${query}`);
  return status === 200 ? new Map(body.groups.map((g) => [g.key, g.truHours])) : null;
}

// The drift contract: a DRIFT step in the window's steps, or a non-null drift field.
const drifted = (w) => (w.drift ?? null) !== null || (w.steps ?? []).some((s) => s.step === 'DRIFT');
const failed = (w) => w.phase === 'FAILED' || (w.revertBlocked ?? null) !== null;

/** The window's workflow in the Temporal Web UI: its id is the workflow id less "capacity-window-", "~", the run. */
function temporalLink(temporalUi, windowId) {
  const at = windowId.lastIndexOf('~');
  const workflowId = `capacity-window-${windowId.slice(0, at)}`;
  const base = temporalUi.url.replace(/\/$/, '');
  return `${base}/namespaces/${encodeURIComponent(temporalUi.namespace)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(windowId.slice(at + 1))}/history`;
}

/** Places a bar over [start, end) of the range, as percentages of its track, its height by TRUs. */
function place(node, { from, to }, start, end, trus, maxTrus) {
  const x = (t) => (Math.min(Math.max(t, from), to) - from) / (to - from);
  node.style.left = `${x(start) * 100}%`;
  node.style.width = `${(x(end) - x(start)) * 100}%`;
  node.style.height = `${40 + (60 * trus) / maxTrus}%`;
  node.classList.toggle('clipped-start', start < from);
  node.classList.toggle('clipped-end', end > to);
}

/**
 * Where a window's bar ends: its requested end, or earlier when it finished early (cancelled, failed): where its
 * hold ended, else its last step. A bar must not show capacity a finished window no longer holds.
 */
function barEnd(w, start, range) {
  const requested = w.endAt === null ? range.to : Date.parse(w.endAt);
  if (w.status === 'RUNNING' || !w.steps?.length) return requested;
  const finished = Date.parse(w.result?.heldUntil ?? w.steps.at(-1).at);
  return Number.isNaN(finished) ? requested : Math.max(start, Math.min(requested, finished));
}

function windowBar(w, range, maxTrus) {
  const start = Date.parse(w.startAt);
  const end = barEnd(w, start, range);
  const marks = [failed(w) && '✕', drifted(w) && '⚠ drift'].filter(Boolean);
  const bar = el(
    'a',
    { class: `bar phase-${w.phase}`, href: w.links.self, 'data-id': w.id },
    el('span', { class: 'trus' }, `${w.trus} TRU`),
    el('span', { class: 'phase' }, PHASE_LABEL[w.phase] ?? w.phase),
    ...marks.map((m) => el('span', { class: 'mark' }, m)),
  );
  bar.classList.toggle('failed', failed(w));
  bar.classList.toggle('drift', drifted(w));
  const until = w.endAt === null ? 'permanent' : when.format(end);
  const label = `${w.namespace}: ${w.trus} TRUs, ${PHASE_LABEL[w.phase] ?? w.phase}, ${when.format(start)} to ${until}${failed(w) ? ', failed' : ''}${drifted(w) ? ', drift' : ''}`;
  bar.setAttribute('aria-label', label);
  bar.title = label;
  place(bar, range, start, end, w.trus, maxTrus);
  return bar;
}

function plannedBar(run, range, maxTrus) {
  const s = run.schedule;
  const href = `/v1/capacity-schedules/${encodeURIComponent(s.id)}`;
  const bar = el(
    'a',
    { class: 'bar planned', href, 'data-schedule': s.id },
    el('span', { class: 'trus' }, `${s.trus} TRU`),
    el('span', { class: 'phase' }, 'planned'),
  );
  const label = `${s.namespace}: ${s.trus} TRUs, planned run of schedule ${s.id}, ${when.format(run.start)} to ${when.format(run.end)}`;
  bar.setAttribute('aria-label', label);
  bar.title = label;
  place(bar, range, run.start, run.end, s.trus, maxTrus);
  return bar;
}

/** Tick marks at round local times, about ten across the range. */
function axis(range) {
  const step = TICK_STEPS.find((s) => (range.to - range.from) / s <= 10) ?? TICK_STEPS.at(-1);
  const offset = new Date(range.from).getTimezoneOffset() * MINUTE;
  const format = new Intl.DateTimeFormat(
    undefined,
    step < DAY ? { weekday: 'short', hour: '2-digit', minute: '2-digit' } : { month: 'short', day: 'numeric' },
  );
  const track = el('div', { class: 'track', 'aria-hidden': 'true' });
  for (let t = Math.ceil((range.from - offset) / step) * step + offset; t < range.to; t += step) {
    const tick = el('span', { class: 'tick' }, format.format(t));
    tick.style.left = `${((t - range.from) / (range.to - range.from)) * 100}%`;
    track.append(tick);
  }
  track.append(...nowLine(range));
  return el('div', { class: 'row axis' }, el('div', { class: 'lane-label' }, 'Namespace · TRU-hours'), track);
}

/** A line at the present time, when it is in the range. */
function nowLine(range) {
  const now = Date.now();
  if (now <= range.from || now >= range.to) return [];
  const line = el('span', { class: 'now', 'aria-hidden': 'true' });
  line.style.left = `${((now - range.from) / (range.to - range.from)) * 100}%`;
  return [line];
}

function render(range, windows, planned, truHours) {
  const main = $('timeline');
  main.dataset.from = String(range.from);
  main.dataset.to = String(range.to);
  const namespaces = [...new Set([...windows.map((w) => w.namespace), ...planned.map((r) => r.schedule.namespace)])];
  const maxTrus = Math.max(1, ...windows.map((w) => w.trus), ...planned.map((r) => r.schedule.trus));
  const lanes = namespaces.sort().map((ns) => {
    const figure = truHours === null ? 'n/a' : hours.format(truHours.get(ns) ?? 0);
    const track = el('div', { class: 'track' }, ...nowLine(range));
    // Larger claims first, so that a smaller overlapping one is drawn over them and stays visible.
    const bars = [
      ...windows.filter((w) => w.namespace === ns).map((w) => [w.trus, windowBar(w, range, maxTrus)]),
      ...planned
        .filter((r) => r.schedule.namespace === ns)
        .map((r) => [r.schedule.trus, plannedBar(r, range, maxTrus)]),
    ];
    track.append(...bars.sort((a, b) => b[0] - a[0]).map(([, bar]) => bar));
    return el(
      'section',
      { class: 'row lane', 'data-namespace': ns, 'aria-label': `Namespace ${ns}` },
      el(
        'div',
        { class: 'lane-label' },
        el('strong', {}, ns),
        el('span', { class: 'tru-hours' }, `TRU-hours: ${figure}`),
      ),
      track,
    );
  });
  const empty = el('p', { class: 'empty' }, 'No windows and no planned runs in this range.');
  main.replaceChildren(axis(range), ...(lanes.length > 0 ? lanes : [empty]));
}

function setStatus(text, isError = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', isError);
}

function askForToken(message) {
  $('token-message').textContent = `${message} Enter an API token to see the timeline.`;
  $('token-form').hidden = false;
  $('timeline').replaceChildren();
  setStatus('');
  $('token').focus();
}

let temporalUi = null;
/** The range on screen, and the bar whose details are open (focus returns to it). */
let shown = null;
let detailsOf = null;
/** Counts loads, so that a slow answer for an older range never replaces a newer one. */
let loads = 0;

async function show(range) {
  const load = ++loads;
  setStatus('Loading…');
  try {
    // One call first: without a valid token it is the only one refused (failed authentications are throttled).
    ({ temporalUi } = await api('/v1/ui/config'));
    const [{ windows, unread }, planned, truHours] = await Promise.all([
      readWindows(range.from, range.to),
      readPlannedRuns(range.from, range.to),
      readTruHours(range.from, range.to),
    ]);
    if (load !== loads) return;
    $('token-form').hidden = true;
    render(range, windows, planned, truHours);
    const notes = [
      `${count(windows.length, 'window')} and ${count(planned.length, 'planned run')}`,
      truHours === null && 'TRU-hours not available from this service',
      unread > 0 && `steps and drift not read for ${unread} windows (more than ${MAX_DETAILS})`,
    ];
    setStatus(`${notes.filter(Boolean).join(' · ')}. Updated ${when.format(Date.now())}.`);
  } catch (err) {
    if (err instanceof AuthError) askForToken(err.message);
    else setStatus(`Could not load the timeline: ${err.message}`, true);
  }
}

/** The value of a datetime-local input for an instant, in local time. */
function localInput(ms) {
  return new Date(ms - new Date(ms).getTimezoneOffset() * MINUTE).toISOString().slice(0, 19);
}

function currentRange() {
  return { from: new Date($('from').value).getTime(), to: new Date($('to').value).getTime() };
}

/** Shows a range, kept in the address (?from=&to=) so that a view can be shared; never the token. */
function go(range) {
  if (!(range.from < range.to)) {
    setStatus('The range must end after it starts.', true);
    return;
  }
  $('from').value = localInput(range.from);
  $('to').value = localInput(range.to);
  history.replaceState(null, '', `?${new URLSearchParams({ from: iso(range.from), to: iso(range.to) })}`);
  shown = range;
  void show(range);
}

async function openDetails(link) {
  $('details-title').textContent = link.getAttribute('aria-label');
  $('details-json').href = link.getAttribute('href');
  const windowId = link.dataset.id;
  $('details-temporal').hidden = !(temporalUi && windowId);
  if (temporalUi && windowId) $('details-temporal').href = temporalLink(temporalUi, windowId);
  $('details-body').textContent = 'Loading…';
  $('details').hidden = false;
  detailsOf = link;
  $('details-close').focus();
  try {
    $('details-body').textContent = JSON.stringify(await api(link.getAttribute('href')), null, 2);
  } catch (err) {
    if (err instanceof AuthError) askForToken(err.message);
    $('details-body').textContent = err.message;
  }
}

function closeDetails() {
  $('details').hidden = true;
  detailsOf?.focus();
}

function start() {
  const params = new URLSearchParams(location.search);
  const now = Date.now();
  const given = { from: Date.parse(params.get('from') ?? ''), to: Date.parse(params.get('to') ?? '') };
  const [before, after] = PRESETS['24h'];
  go(Number.isNaN(given.from) || Number.isNaN(given.to) ? { from: now - before, to: now + after } : given);

  $('range').addEventListener('submit', (event) => {
    event.preventDefault();
    go(currentRange());
  });
  for (const button of document.querySelectorAll('[data-preset]')) {
    button.addEventListener('click', () => {
      const [back, ahead] = PRESETS[button.dataset.preset];
      go({ from: Date.now() - back, to: Date.now() + ahead });
    });
  }
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
    $('token').value = '';
    void show(shown);
  });
  // A bar is a real link (to its JSON in the API); opened here, it is read with the token, which a plain link lacks.
  $('timeline').addEventListener('click', (event) => {
    const link = event.target.closest('a.bar');
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    void openDetails(link);
  });
  $('details-close').addEventListener('click', closeDetails);
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !$('details').hidden) closeDetails();
  });
}

start();
