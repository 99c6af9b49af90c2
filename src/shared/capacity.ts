// Sandbox-safe contracts shared by the API, the workflows and the activities. No Node imports here.

/** A capacity mode as this service speaks of it: On-Demand, or provisioned with a TRU count. */
export type CapacityTarget = { mode: 'ON_DEMAND' } | { mode: 'PROVISIONED'; trus: number };

export const ON_DEMAND: Readonly<CapacityTarget> = { mode: 'ON_DEMAND' };

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

/** Where a namespace goes back to when no window is left: what it had before (the default), or On-Demand. */
export function revertTarget(
  baseline: CapacityTarget | null,
  revertTo: 'BASELINE' | 'ON_DEMAND' = 'BASELINE',
): CapacityTarget {
  return revertTo === 'ON_DEMAND' || baseline === null ? ON_DEMAND : baseline;
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
  /** Cloud Ops refused for a cool-down (the hourly rule) or a rate limit: the controller backs off, not the activity. */
  MustWait: 'CloudOpsMustWait',
  /** The namespace shows something else than the controller verified: someone changed it; nothing was sent. */
  Drift: 'CapacityDrift',
} as const;
