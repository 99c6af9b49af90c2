// Drift: the namespace changed outside the scheduler (the Cloud UI, tcld, Terraform) while windows held it. What
// counts as drift, when the controller looks, and what DRIFT_POLICY makes of it. Pure: unit-tested without a server.
import { describeTarget, sameTarget, type CapacityTarget } from '../../shared/capacity.js';
import type { ControllerState } from '../../shared/controller.js';
import type { DriftPolicy, DriftSeen } from '../../shared/window.js';
import { rank, type NamespaceRead } from './capacity.js';

/** A read of the namespace, with whether a capacity request is under way on it. */
export type DriftRead = NamespaceRead & { inProgress: boolean };

/**
 * What the namespace shows instead of what the controller verified (null: no drift). The spec says what someone
 * asked for, so a spec asking for another value is drift at once, even while that request is under way; a capacity
 * other than expected with nothing under way is drift too. Other spec fields (retention, regions) are not.
 */
export function driftedTo(expected: CapacityTarget | null, read: DriftRead): CapacityTarget | null {
  if (expected === null) return null;
  if (read.requested !== null && !sameTarget(read.requested, expected)) return read.requested;
  return read.inProgress || sameTarget(read.current, expected) ? null : read.current;
}

/**
 * When the controller next re-reads its namespace (DRIFT_CHECK_INTERVAL after its last look): only while a claim is
 * active, it knows what to expect, and no late change of its own is still watched. undefined: no look due.
 */
export function nextLookAt(
  lastLookMs: number,
  intervalMs: number,
  state: Pick<ControllerState, 'claims' | 'known' | 'unverified'>,
): number | undefined {
  if (intervalMs <= 0 || state.claims.length === 0 || state.known === null || state.unverified) return undefined;
  return lastLookMs + intervalMs;
}

/** The earlier of two wake-up times (undefined: none). */
export function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.min(a, b);
}

export interface DriftDecision {
  seen: DriftSeen;
  /** What the controller knows of the namespace from now on (null: unknown; the next change is sent without check). */
  known: CapacityTarget | null;
  /** respect: the value that holds by hand (null: nothing holds, the windows' value is back or the policy enforces). */
  manual: CapacityTarget | null;
  /** The DRIFT step's words, and the alert's. */
  detail: string;
}

/**
 * What the policy makes of a drift. respect: the value found stands and holds (unless it is what the windows ask:
 * then they have it back). enforce: the controller takes what it found as the namespace's state, so that its normal
 * flow puts back `desired`; a request still under way leaves that state unknown.
 */
export function decideDrift(d: {
  policy: DriftPolicy;
  expected: CapacityTarget;
  found: CapacityTarget;
  read: DriftRead;
  desired: CapacityTarget | null;
  at: string;
}): DriftDecision {
  const seen: DriftSeen = { expected: d.expected, found: d.found, at: d.at, policy: d.policy };
  const what = `the namespace was changed outside the scheduler: expected ${describeTarget(d.expected)}, found ${describeTarget(d.found)} at ${d.at}`;
  const settledRead = !d.read.inProgress && sameTarget(d.read.current, d.found);
  const handedBack = d.desired !== null && sameTarget(d.found, d.desired);
  if (handedBack) {
    return {
      seen,
      known: settledRead ? d.found : null,
      manual: null,
      detail: `${what}; it is what the windows ask, so the scheduler goes on (DRIFT_POLICY=${d.policy})`,
    };
  }
  if (d.policy === 'enforce') {
    const back = d.desired === null ? 'nothing to put back' : `putting back ${describeTarget(d.desired)}`;
    return {
      seen,
      known: settledRead ? d.found : null,
      manual: null,
      detail: `${what}; DRIFT_POLICY=enforce: ${back}`,
    };
  }
  return {
    seen,
    known: d.found,
    manual: d.found,
    detail: `${what}; DRIFT_POLICY=respect: ${describeTarget(d.found)} stands, no change is made while it holds, and the namespace is not reverted when its windows end`,
  };
}

/** Whether a value held by hand gives a window what it claims. */
export function coversClaim(manual: CapacityTarget, trus: number): boolean {
  return rank(manual) >= trus;
}

/** A claim answered while a value holds by hand: covered, or refused with why. */
export function heldClaimAnswer(manual: CapacityTarget, trus: number): { covered: boolean; detail: string } {
  const held = `the namespace is held at ${describeTarget(manual)}, set by hand (DRIFT_POLICY=respect)`;
  return coversClaim(manual, trus)
    ? { covered: true, detail: `nothing to change: ${held}, which covers the ${trus} TRUs asked` }
    : {
        covered: false,
        detail: `${held}: the ${trus} TRUs asked are not applied while it holds; set the namespace back by hand, or cancel the windows that hold it, then ask again`,
      };
}

/**
 * A window ends while a value holds by hand: nothing is reverted. The last one to end asks, by alert, what to do,
 * unless the value held is where the namespace would have gone anyway.
 */
export function leftByHand(manual: CapacityTarget, revertTo: CapacityTarget | null): { ask: boolean; detail: string } {
  if (revertTo !== null && sameTarget(manual, revertTo)) {
    return { ask: false, detail: `nothing to change: the namespace has ${describeTarget(manual)}, set by hand` };
  }
  const instead = revertTo === null ? '' : `; not reverted to ${describeTarget(revertTo)}`;
  return { ask: true, detail: `left at ${describeTarget(manual)} set by hand (DRIFT_POLICY=respect)${instead}` };
}

/** The alert that asks what to do with a namespace left at a value set by hand when its last window ended. */
export function askText(manual: CapacityTarget, revertTo: CapacityTarget | null, windowIds: string[]): string {
  const instead = revertTo === null ? '' : ` (the windows would have reverted it to ${describeTarget(revertTo)})`;
  return (
    `the last window ended; the namespace is left at ${describeTarget(manual)}, set by hand, and was not reverted${instead} ` +
    `because DRIFT_POLICY=respect. What should it be? Keep it, or set it by hand (Cloud UI, tcld), or start a short window ` +
    `with "revertTo": "ON_DEMAND", which ends by putting it On-Demand. Windows: ${windowIds.join(', ')}`
  );
}
