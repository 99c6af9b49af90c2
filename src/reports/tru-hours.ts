// TRU-hours: what a namespace's capacity cost, and which windows asked for it. Pure: holds in, figures out.
//
// A namespace has, at each instant, the largest claim among the windows whose claim had taken effect and not yet
// been released (what its controller does). Attribution: the namespace's TRUs are split in layers; the layer
// between the k-th and (k+1)-th largest claims is shared equally by the k windows claiming at least its top.
// Billing (our model of Temporal's): each UTC clock hour in which the namespace was provisioned is billed at the
// highest TRU level it had in that hour, for the whole hour; that bill goes to the windows in proportion to the
// TRU-hours they used in that hour.

export const ATTRIBUTION_RULE =
  "usedTruHours: at each instant a namespace has the largest TRU claim among windows whose claim took effect (Cloud Ops' finish time of the change) and was not yet released; its TRUs are split in layers, the layer between the k-th and (k+1)-th largest claims shared equally by the k windows claiming at least its top (claims 4 and 8: TRUs 0-4 shared by both, 4-8 to the 8 one). Never double-counted: the windows' figures add up to the namespace's.";
export const BILLING_RULE =
  "truHours: each UTC clock hour in which the namespace was provisioned is billed at the highest TRU level it had in that hour, for the whole hour (Temporal bills TRUs by the hour with a minimum hourly charge); the hour's bill is attributed to the windows in proportion to their usedTruHours in that hour. Figures in a range count the part of each hour inside it.";

const HOUR_MS = 3_600_000;

/** One window's hold on its namespace, in epoch ms: from when its claim took effect until its release did. */
export interface Hold {
  id: string;
  namespace: string;
  trus: number;
  fromMs: number;
  /** null: still held (counted until `nowMs`), or a permanent change (until the next permanent one of its namespace). */
  untilMs: number | null;
  permanent: boolean;
}

export interface TruFigures {
  /** TRU-hours billed under the hourly rule, attributed. */
  truHours: number;
  /** TRU-hours the namespace really had, attributed. */
  usedTruHours: number;
}

export interface Range {
  fromMs: number;
  toMs: number;
}

interface Span {
  id: string;
  trus: number;
  fromMs: number;
  untilMs: number;
}

/** Each window's figures within `range` (windows with nothing there are absent); `nowMs` ends open holds. */
export function truHoursOf(holds: readonly Hold[], range: Range, nowMs: number): Map<string, TruFigures> {
  const byNamespace = new Map<string, Hold[]>();
  for (const h of holds) {
    const group = byNamespace.get(h.namespace);
    if (group) group.push(h);
    else byNamespace.set(h.namespace, [h]);
  }
  const out = new Map<string, TruFigures>();
  for (const group of byNamespace.values()) {
    for (const [id, f] of namespaceFigures(spansOf(group, nowMs), range)) out.set(id, f);
  }
  return out;
}

/** Holds as closed spans: open ones end now; a permanent change ends where the next permanent one begins. */
export function spansOf(holds: readonly Hold[], nowMs: number): Span[] {
  const permanents = holds.filter((h) => h.permanent).sort((a, b) => a.fromMs - b.fromMs);
  return holds.flatMap((h) => {
    const next = h.permanent ? permanents.find((p) => p.fromMs > h.fromMs) : undefined;
    const end = h.untilMs ?? nowMs;
    const untilMs = next === undefined ? end : Math.min(end, next.fromMs);
    return untilMs > h.fromMs && h.trus > 0 ? [{ id: h.id, trus: h.trus, fromMs: h.fromMs, untilMs }] : [];
  });
}

/** Each span's share of the TRUs of one instant: the layer rule. The shares add up to the largest claim. */
export function layerShares(claims: readonly { id: string; trus: number }[]): Map<string, number> {
  const sorted = [...claims].sort((a, b) => b.trus - a.trus);
  const shares = new Map<string, number>();
  let carried = 0;
  // From the smallest claim up: the layer under sorted[k] (down to the next smaller claim) is shared by k + 1.
  for (let k = sorted.length - 1; k >= 0; k--) {
    const below = k + 1 < sorted.length ? (sorted[k + 1] as { trus: number }).trus : 0;
    carried += ((sorted[k] as { trus: number }).trus - below) / (k + 1);
    shares.set((sorted[k] as { id: string }).id, carried);
  }
  return shares;
}

/** One namespace: walks its clock hours that meet the range, segment by segment. */
function namespaceFigures(spans: readonly Span[], range: Range): Map<string, TruFigures> {
  const out = new Map<string, TruFigures>();
  if (spans.length === 0 || range.toMs <= range.fromMs) return out;
  const firstHour = Math.floor(range.fromMs / HOUR_MS) * HOUR_MS;
  const lastHour = Math.ceil(range.toMs / HOUR_MS) * HOUR_MS;
  const inHours = spans.filter((s) => s.untilMs > firstHour && s.fromMs < lastHour);
  if (inHours.length === 0) return out;
  for (let hour = firstHour; hour < lastHour; hour += HOUR_MS) {
    const here = inHours.filter((s) => s.untilMs > hour && s.fromMs < hour + HOUR_MS);
    if (here.length > 0) addHour(out, here, hour, range);
  }
  return out;
}

/** One clock hour: the TRU-ms each span used (whole hour and inside the range), and its share of the hour's bill. */
function addHour(out: Map<string, TruFigures>, spans: readonly Span[], hour: number, range: Range): void {
  const end = hour + HOUR_MS;
  const cuts = new Set([hour, end, clamp(range.fromMs, hour, end), clamp(range.toMs, hour, end)]);
  for (const s of spans) for (const t of [s.fromMs, s.untilMs]) if (t > hour && t < end) cuts.add(t);
  const points = [...cuts].sort((a, b) => a - b);
  const used = new Map<string, number>();
  const usedInRange = new Map<string, number>();
  let peak = 0;
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i] as number;
    const b = points[i + 1] as number;
    const active = spans.filter((s) => s.fromMs <= a && s.untilMs >= b);
    if (active.length === 0) continue;
    peak = Math.max(peak, ...active.map((s) => s.trus));
    const inRange = a >= range.fromMs && b <= range.toMs;
    for (const [id, share] of layerShares(active)) {
      used.set(id, (used.get(id) ?? 0) + share * (b - a));
      if (inRange) usedInRange.set(id, (usedInRange.get(id) ?? 0) + share * (b - a));
    }
  }
  const total = [...used.values()].reduce((x, y) => x + y, 0);
  if (total === 0) return;
  const billedMs = Math.max(0, Math.min(end, range.toMs) - Math.max(hour, range.fromMs));
  for (const [id, u] of used) {
    const f = out.get(id) ?? { truHours: 0, usedTruHours: 0 };
    f.usedTruHours += (usedInRange.get(id) ?? 0) / HOUR_MS;
    f.truHours += (peak * billedMs * (u / total)) / HOUR_MS;
    out.set(id, f);
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

/** Figures as the API shows them: TRU-hours to 6 decimals (3.6 TRU-milliseconds). */
export function rounded(f: TruFigures): TruFigures {
  return { truHours: round6(f.truHours), usedTruHours: round6(f.usedTruHours) };
}

export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
