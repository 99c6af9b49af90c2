// What follows a capacity change that failed. Pure.
import { FailureType } from '../../shared/capacity.js';
import type { ControllerState } from '../../shared/controller.js';
import type { StepName } from '../../shared/window.js';

/** What the controller does after a pass: go on at once, try again after a while, or wait for a message. */
export type Next = { kind: 'again' } | { kind: 'retryIn'; ms: number } | { kind: 'idle' };

export const AGAIN: Next = Object.freeze({ kind: 'again' });
export const IDLE: Next = Object.freeze({ kind: 'idle' });

/** Failure types after which the namespace certainly was not changed. */
const REFUSED_BEFORE_ANY_CHANGE: ReadonlySet<string> = new Set([
  FailureType.NonRetryable,
  FailureType.InvalidTruValue,
  FailureType.Guardrail,
]);

/** Whether an apply that failed this way left the namespace unchanged (nothing to revert). */
export function unchangedAfter(failureType: string | undefined): boolean {
  return REFUSED_BEFORE_ANY_CHANGE.has(failureType ?? '');
}

export interface FailedChange {
  /** The change would have ended paid capacity. */
  lowering: boolean;
  /** How many released windows wait for it. */
  waiters: number;
  /** The namespace certainly was not changed. */
  unchanged: boolean;
  failureType: string | undefined;
  /** Cloud Ops answered "nothing to change": its spec already asks for the target. */
  nothingWasSent: boolean;
  /** The alert cadence (revertAlertAfterMs). */
  retryAfterMs: number;
}

export interface AfterFailedChange {
  /** A failed lowering that windows wait for: they hear of every round, and it is retried. */
  blocks: boolean;
  /** A failed raise is not retried until the claims ask for something else. */
  rememberTarget: boolean;
  next: Next;
}

export function afterFailedChange(f: FailedChange): AfterFailedChange {
  const blocks = f.lowering && f.waiters > 0;
  // A refusal retrying cannot fix (a revoked key), or a spec that already asks for the target while the namespace
  // shows otherwise, is tried again at the alert cadence, not in a hot loop.
  const slow = blocks && (f.failureType === FailureType.NonRetryable || f.nothingWasSent);
  return {
    blocks,
    rememberTarget: !blocks && !f.unchanged,
    next: slow ? { kind: 'retryIn', ms: f.retryAfterMs } : AGAIN,
  };
}

/** The blocked record after one more failed round: since the first, counting rounds, with the last error. */
export function blockedAgain(
  previous: ControllerState['blocked'],
  reason: string,
  at: string,
): NonNullable<ControllerState['blocked']> {
  return { since: previous?.since ?? at, attempts: (previous?.attempts ?? 0) + 1, lastError: reason };
}

/** The step a released window hears a failure as: a failed apply is its revert, a failed verification its check. */
export function revertStep(phase: 'APPLY' | 'VERIFY'): StepName {
  return phase === 'APPLY' ? 'REVERT' : 'REVERT_VERIFY';
}
