// Sandbox-safe: used by workflows, the API and config alike.

const ISO_8601 =
  /^P(?!$)(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?=\d)(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;
const SHORT = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const SHORT_UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses an ISO 8601 duration limited to weeks, days, hours, minutes and seconds ("PT2H", "P1DT30M").
 * Years and months are refused on purpose: their length depends on the calendar, and a capacity window
 * must have one exact length. Returns milliseconds, or undefined when the text is not such a duration.
 */
export function parseIsoDuration(text: string): number | undefined {
  const m = ISO_8601.exec(text);
  if (!m) return undefined;
  const [w, d, h, min, s] = m.slice(1).map((v) => (v === undefined ? 0 : Number(v)));
  const ms = Math.round(((((w * 7 + d) * 24 + h) * 60 + min) * 60 + s) * 1000);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Parses config durations: ISO 8601 ("PT2M") or a number with a unit ("2m", "500ms"). */
export function parseConfigDuration(text: string): number | undefined {
  const short = SHORT.exec(text.trim());
  if (short) return Math.round(Number(short[1]) * SHORT_UNIT_MS[short[2]]);
  return parseIsoDuration(text.trim());
}
