// Sandbox-safe contracts shared by the API, the workflows and the activities. No Node imports here.

/** A capacity mode as this service speaks of it: On-Demand, or provisioned with a TRU count. */
export type CapacityTarget = { mode: 'ON_DEMAND' } | { mode: 'PROVISIONED'; trus: number };

export const ON_DEMAND: CapacityTarget = { mode: 'ON_DEMAND' };

export function provisioned(trus: number): CapacityTarget {
  return { mode: 'PROVISIONED', trus };
}

export function describeTarget(target: CapacityTarget): string {
  return target.mode === 'ON_DEMAND' ? 'On-Demand' : `${target.trus} TRUs`;
}

export function sameTarget(a: CapacityTarget, b: CapacityTarget): boolean {
  if (a.mode !== b.mode) return false;
  return a.mode === 'ON_DEMAND' || a.trus === (b as { trus: number }).trus;
}

/**
 * Where a window goes back to at its end. A baseline equal to the window's own value is no baseline (it can
 * only be a window left behind), so that one, like revertTo ON_DEMAND, means On-Demand.
 */
export function revertTarget(baseline: CapacityTarget | null, target: CapacityTarget, revertTo: 'BASELINE' | 'ON_DEMAND' = 'BASELINE'): CapacityTarget {
  if (revertTo === 'ON_DEMAND' || baseline === null || sameTarget(baseline, target)) return ON_DEMAND;
  return baseline;
}

/** What a namespace looks like from the Cloud Ops API, reduced to what the service reasons about. */
export interface ObservedCapacity {
  namespace: string;
  current: CapacityTarget;
  latestRequest: {
    state: 'COMPLETED' | 'IN_PROGRESS' | 'FAILED' | 'UNSPECIFIED';
    asyncOperationId: string | null;
    startTime: string | null;
    endTime: string | null;
  } | null;
}

/** Stable codes for failures that cross the activity → workflow boundary (ApplicationFailure types). */
export const FailureType = {
  /** The Cloud Ops API refused for good (permission, unknown namespace, invalid argument). */
  NonRetryable: 'CloudOpsNonRetryable',
  /** The TRU value is not one the namespace can take right now. */
  InvalidTruValue: 'InvalidTruValue',
  /** The async operation ended FAILED, CANCELLED or REJECTED. */
  OperationUnsuccessful: 'OperationUnsuccessful',
  /** The change did not show up on the namespace before the verification deadline. */
  VerificationTimeout: 'VerificationTimeout',
  /** A configured guardrail refuses the window. */
  Guardrail: 'Guardrail',
} as const;
