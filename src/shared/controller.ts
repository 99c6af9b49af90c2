// Sandbox-safe contracts between capacity windows and the one controller workflow per namespace that makes
// every Cloud Ops change for that namespace.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CapacityTarget } from './capacity.js';
import type { DriftSeen, StepName, WindowPolicy } from './window.js';

export const NAMESPACE_CONTROLLER_WORKFLOW = 'namespaceCapacityWorkflow';

/** What a window asks of its namespace while it is active. */
export interface Claim {
  /** The window's workflow id: where the controller sends its reports. */
  workflowId: string;
  /** The window's public id, for logs and alerts. */
  windowId: string;
  trus: number;
  revertTo: 'BASELINE' | 'ON_DEMAND';
  /** When the window ends (null: a permanent change, which becomes the namespace's baseline once applied). */
  endAt: string | null;
  /** For alerts the controller sends itself, when no window is left to send them. */
  startAt: string | null;
  requestedBy: string | null;
  reason: string | null;
}

export type ControllerMessage =
  /** Adds a claim, or updates it (a moved end); a repeated claim is answered again, never applied twice. */
  | { kind: 'claim'; claim: Claim }
  /** The window has ended: its claim no longer counts. */
  | { kind: 'release'; workflowId: string };

export interface ControllerInput {
  namespace: string;
  policy: WindowPolicy;
  /** Carried through continue-as-new. */
  state?: ControllerState;
}

/** A claim as the controller holds it: answered once its window heard how the change went. */
export type HeldClaim = Claim & { answered: boolean; since: string };

export interface ControllerState {
  claims: HeldClaim[];
  /** Windows that released and wait to hear where the namespace went. */
  releasing: Claim[];
  /** What the namespace goes back to when no window is active; read before the first claim took effect. */
  baseline: CapacityTarget | null;
  /** The capacity the controller last verified on the namespace (null: unknown, e.g. after a failed change). */
  known: CapacityTarget | null;
  /** A raise that failed without a certain outcome: not retried until the set of claims asks for something else. */
  failedTarget: CapacityTarget | null;
  /** The last window to end chose where the namespace goes when none is left. */
  lastRevertTo: 'BASELINE' | 'ON_DEMAND';
  /** Counts change attempts, for Cloud Ops operation ids that stay stable across retries and continue-as-new. */
  seq: number;
  blocked: { since: string; attempts: number; lastError: string } | null;
  /** A raise that missed its verification deadline, still watched so that its windows hear if it lands late. */
  unverified?: { asyncOperationId: string; to: CapacityTarget; workflowIds: string[] } | null;
  /** When Cloud Ops last accepted a change (CAPACITY_CHANGE_MIN_INTERVAL counts from it); absent in older runs. */
  lastChangeAt?: string | null;
  /** No change before this: Cloud Ops refused for a cool-down or a rate limit, and said (or we guessed) until when. */
  notBefore?: string | null;
  /** Such refusals in a row, for the backoff when the server does not say how long. */
  mustWaitRefusals?: number;
  /** DRIFT_POLICY=respect: a value someone set by hand holds, and the controller changes nothing while it does. */
  manual?: { target: CapacityTarget; since: string } | null;
  /** The latest drift the controller saw, for the namespace view. */
  lastDrift?: DriftSeen | null;
}

/** A report from the controller to one window, about its claim ("claim") or its release ("release"). */
export interface ControllerReport {
  about: 'claim' | 'release';
  step: StepName;
  /** WAITING: only with step BUDGET, the change waits for the account's budget. */
  outcome: 'SUCCEEDED' | 'FAILED' | 'WAITING';
  detail?: string;
  asyncOperationId?: string | null;
  /** What the namespace has now, as far as the controller verified it (null: unknown). */
  namespaceHas: CapacityTarget | null;
  baseline: CapacityTarget | null;
  /** For a failed raise: true when the namespace was certainly not changed (nothing to revert). */
  unchanged?: boolean;
  revertBlocked?: { since: string; attempts: number; lastError: string } | null;
  /** The change is slower than Temporal's aim (CHANGE_SLOW_AFTER) and still being verified: a warning, no outcome yet. */
  slow?: boolean;
  /** A change that failed its verification deadline has landed since: the claim's verification succeeded, late. */
  late?: boolean;
  /** With step DRIFT: the namespace was changed outside the scheduler. */
  drift?: DriftSeen;
  /**
   * With a VERIFY or REVERT_VERIFY that succeeded after a change: when the namespace took it, by Cloud Ops (the
   * operation's finish time). Absent: when the report was sent (nothing to change, or sent before TRU-hours).
   */
  changedAt?: string;
  /** The last report this window will get about this claim or release. */
  final: boolean;
}

export const controllerSignal = defineSignal<[ControllerMessage]>('capacityMessage');
export const controllerReportSignal = defineSignal<[ControllerReport]>('controllerReport');
export const controllerStateQuery = defineQuery<ControllerState>('controllerState');

export function controllerWorkflowId(namespace: string): string {
  return `capacity-namespace-${namespace}`;
}
