// The faults a soak injects through the emulator's control plane (POST /faults; shapes: parseFault in
// src/emulator/state.ts). Each is chosen with the soak's seeded PRNG. Faults are global to the emulator: the
// next calls or operations of ANY namespace meet them, so which window a fault hits is up to timing.
import type { Rng } from './rng.js';

export const FAULT_KINDS = [
  'rpc:UNAVAILABLE',
  'rpc:DEADLINE_EXCEEDED',
  'rpc:RESOURCE_EXHAUSTED',
  'outcome:FAILED',
  'outcome:REJECTED',
  'capacityNotApplied',
  'cooldownSeconds',
  'applyDelayMs',
  'concurrentSpecChange',
  'maxAvailableTruValue',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The emulator's RPCs (IMPLEMENTED_RPCS in src/emulator/state.ts), listed here so this file loads nothing. */
const RPCS = ['GetNamespace', 'UpdateNamespace', 'GetAsyncOperation', 'GetNamespaceCapacityInfo'] as const;

/** A setting fault (cool-down, operation time, inventory) is put back after a while; counted faults wear off. */
export interface PlannedFault {
  kind: FaultKind;
  body: Record<string, unknown>;
  restore?: { afterMs: number; body: Record<string, unknown> };
}

export interface FaultLimits {
  /** The emulator's normal operation time, which an applyDelayMs fault is restored to. */
  baseApplyDelayMs: number;
  /** VERIFY_TIMEOUT: some slow operations are made slower than it. */
  verifyTimeoutMs: number;
}

export function planFault(rng: Rng, kinds: readonly FaultKind[], limits: FaultLimits): PlannedFault {
  const kind = rng.pick(kinds);
  switch (kind) {
    case 'rpc:UNAVAILABLE':
    case 'rpc:DEADLINE_EXCEEDED':
    case 'rpc:RESOURCE_EXHAUSTED':
      return { kind, body: { rpc: rng.pick(RPCS), code: kind.slice(4), count: rng.int(1, 4) } };
    case 'outcome:FAILED':
    case 'outcome:REJECTED':
      return { kind, body: { nextOperationOutcome: kind.slice(8), count: rng.int(1, 2) } };
    case 'capacityNotApplied':
      return { kind, body: { capacityNotApplied: true, count: 1 } };
    case 'concurrentSpecChange':
      return { kind, body: { concurrentSpecChange: true, count: rng.int(1, 3) } };
    case 'cooldownSeconds':
      return {
        kind,
        body: { cooldownSeconds: rng.int(2, 6) },
        restore: { afterMs: rng.int(2_000, 8_000), body: { cooldownSeconds: 0 } },
      };
    case 'applyDelayMs':
      // From a little slow to slower than the verification deadline.
      return {
        kind,
        body: { applyDelayMs: rng.int(1_500, limits.verifyTimeoutMs + 3_000) },
        restore: { afterMs: rng.int(1_000, 5_000), body: { applyDelayMs: limits.baseApplyDelayMs } },
      };
    case 'maxAvailableTruValue':
      // 0: no inventory at all (even a provisioned baseline of 2 cannot be restored until it comes back).
      return {
        kind,
        body: { maxAvailableTruValue: rng.pick([0, 3, 4, 6]) },
        restore: { afterMs: rng.int(1_000, 4_000), body: { maxAvailableTruValue: 12 } },
      };
  }
}

/** Which setting a restorable fault changes: a restore only applies if no newer fault changed it since. */
export function settingOf(kind: FaultKind): string | null {
  return kind === 'cooldownSeconds' || kind === 'applyDelayMs' || kind === 'maxAvailableTruValue' ? kind : null;
}
