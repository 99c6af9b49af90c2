// What the claims ask of a namespace, and how capacities compare. Pure: unit-tested without a server.
import { ON_DEMAND, provisioned, sameTarget, type CapacityTarget } from '../../shared/capacity.js';
import type { Claim, ControllerState } from '../../shared/controller.js';

/** The namespace as read from Cloud Ops: what it has, and what its spec asks for (null: nothing asked). */
export interface NamespaceRead {
  current: CapacityTarget;
  requested: CapacityTarget | null;
}

/** Orders capacities by what they cost: On-Demand below any provisioned value. */
export function rank(target: CapacityTarget): number {
  return target.mode === 'ON_DEMAND' ? 0 : target.trus;
}

/** Where the namespace should be now: the largest claim, else its baseline; null when there is nothing to aim at. */
export function desiredTarget(
  claims: readonly Pick<Claim, 'trus'>[],
  baseline: CapacityTarget | null,
  lastRevertTo: ControllerState['lastRevertTo'],
): CapacityTarget | null {
  if (claims.length) return provisioned(Math.max(...claims.map((c) => c.trus)));
  if (baseline === null) return null;
  return lastRevertTo === 'ON_DEMAND' ? ON_DEMAND : baseline;
}

/** Whether the namespace is where it should be (nothing to aim at counts as there). */
export function settled(to: CapacityTarget | null, known: CapacityTarget | null): boolean {
  return to === null || (known !== null && sameTarget(to, known));
}

/** A read is a known state only when the spec asks for what the namespace has: otherwise a change is under way. */
export function consistent(read: NamespaceRead): boolean {
  return read.requested !== null && sameTarget(read.requested, read.current);
}

/** The namespace holds no more than `to`, in capacity and in spec: a window that released owes nothing more. */
export function covered(read: NamespaceRead, to: CapacityTarget): boolean {
  return rank(read.current) <= rank(to) && (read.requested === null || rank(read.requested) <= rank(to));
}

/**
 * Whether a change to `to` ends paid capacity: going down, going to the baseline (no claim left), or from an
 * unknown capacity. Such a change is retried until verified.
 */
export function lowering(to: CapacityTarget, known: CapacityTarget | null, claimsLeft: number): boolean {
  return claimsLeft === 0 || known === null || rank(to) < rank(known);
}
