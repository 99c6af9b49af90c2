// A refusal that looks like the hourly rule (a cool-down between capacity changes) or a rate limit, whatever its
// code: the real API documents neither its code nor its wording, so the text decides. Sandbox-safe and pure.

const LOOKS_LIKE_A_WAIT = /cool-?down|hourly|adjusted (once )?per hour|rate.?limit|too many|try again|retry after/i;

export interface WaitRefusal {
  /** The server's own words. */
  reason: string;
  /** How long the server said to wait, when it said (null: not said). */
  waitMs: number | null;
}

/** The wait a refusal asks for, or null when it does not look like a cool-down or a rate limit. */
export function waitRefusalOf(reason: string, nowMs: number): WaitRefusal | null {
  if (!LOOKS_LIKE_A_WAIT.test(reason)) return null;
  const at = /\bat (\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?Z)/.exec(reason);
  if (at) return { reason, waitMs: Math.max(0, Date.parse(at[1]) - nowMs) };
  const seconds =
    /(?:\bin|retry after|try again in)\s+(\d+(?:\.\d+)?)\s*(s|sec|seconds?|m|min|minutes?)\b|(\d+(?:\.\d+)?)\s*s remaining/i.exec(
      reason,
    );
  if (!seconds) return { reason, waitMs: null };
  const value = Number(seconds[1] ?? seconds[3]);
  const minutes = seconds[2] !== undefined && /^m/i.test(seconds[2]);
  return { reason, waitMs: value * (minutes ? 60_000 : 1_000) };
}

/**
 * When to try again after the n-th refusal in a row (n from 1): what the server said plus a second, or else a
 * backoff that doubles from one minute up to an hour (the hourly rule's own period).
 */
export function nextTryInMs(refusal: WaitRefusal, attempt: number): number {
  if (refusal.waitMs !== null) return refusal.waitMs + 1_000;
  return Math.min(60_000 * 2 ** Math.max(0, attempt - 1), 3_600_000);
}
