// When a claim expires: a window terminated by hand must not hold paid capacity forever. Pure.
import type { HeldClaim } from '../../shared/controller.js';

/** How long past its end a claim outlives a window that never released it: two alert intervals. */
export function claimGraceMs(revertAlertAfterMs: number): number {
  return 2 * revertAlertAfterMs;
}

/** Only an answered claim with an end can expire: an unanswered one is the controller's own backlog. */
function expiryOf(claim: HeldClaim, graceMs: number): number | undefined {
  return claim.answered && claim.endAt !== null ? Date.parse(claim.endAt) + graceMs : undefined;
}

/** When the first claim expires (undefined: none can). */
export function nextExpiry(claims: readonly HeldClaim[], graceMs: number): number | undefined {
  const times = claims.map((c) => expiryOf(c, graceMs)).filter((t): t is number => t !== undefined);
  return times.length ? Math.min(...times) : undefined;
}

/** The claims whose expiry has come. */
export function expiredClaims(claims: readonly HeldClaim[], graceMs: number, nowMs: number): HeldClaim[] {
  return claims.filter((c) => {
    const at = expiryOf(c, graceMs);
    return at !== undefined && at <= nowMs;
  });
}

/** When the controller must wake with no message: for a retry (`retryAt`) or the first expiry, whichever is first. */
export function wakeUpAt(
  retryAt: number | undefined,
  claims: readonly HeldClaim[],
  graceMs: number,
): number | undefined {
  const expiry = nextExpiry(claims, graceMs);
  if (retryAt === undefined) return expiry;
  return expiry === undefined ? retryAt : Math.min(retryAt, expiry);
}
