// Sandbox-safe contracts of a capacity window: the workflow's input, progress and result.
import type { CapacityTarget, ObservedCapacity } from './capacity.js';

export const CAPACITY_WINDOW_WORKFLOW = 'capacityWindowWorkflow';

export interface WindowPolicy {
  /** How long the change may take to show up on the namespace (VERIFY_TIMEOUT). */
  verifyTimeoutMs: number;
  /** A change not verified after this raises a WARNING (CHANGE_SLOW_AFTER); absent in inputs of older versions. */
  slowChangeAfterMs?: number;
  /** How long a failing revert is retried before a CRITICAL alert, and then how often the alert repeats. */
  revertAlertAfterMs: number;
  /** History events after which a namespace controller continues as new. */
  controllerHistoryLimit: number;
  /** CLOUD_OPS_MAX_CONCURRENT_OPERATIONS (unset in windows started before it existed: 10). */
  maxConcurrentOperations?: number;
  /** PROVISIONING_LEAD: a future window's change begins this much before its start (unset: 0). */
  provisioningLeadMs?: number;
  /** CAPACITY_CHANGE_MIN_INTERVAL: the least time between two changes of one namespace (unset: 0). */
  minChangeIntervalMs?: number;
  /** DRIFT_CHECK_INTERVAL: how often a controller re-reads a namespace its windows hold (unset or 0: never). */
  driftCheckIntervalMs?: number;
  /** DRIFT_POLICY: what a controller does when someone else changed its namespace (unset: respect). */
  driftPolicy?: DriftPolicy;
}

/** respect: a value set by hand stands and is never reverted silently; enforce: the windows' value is put back. */
export type DriftPolicy = 'respect' | 'enforce';

/** The namespace was changed outside the scheduler: what the controller expected, what it found, when, and the policy. */
export interface DriftSeen {
  expected: CapacityTarget;
  found: CapacityTarget;
  at: string;
  policy: DriftPolicy;
}

export interface CapacityWindowInput {
  namespace: string;
  trus: number;
  /** ISO 8601 duration counted from the window's start; exclusive with endAt. */
  duration?: string;
  /** RFC 3339 instant at which the window ends; exclusive with duration. */
  endAt?: string;
  /**
   * RFC 3339 instant at which the window begins (a future one-off). Unset: when a schedule fired it (its
   * scheduled time), or else when the request was made.
   */
  startAt?: string;
  /**
   * A schedule's run: the schedule fires this much before the run time the user asked for (PROVISIONING_LEAD), so
   * the window starts at its scheduled time plus this. Unset (0) in runs of schedules without a lead.
   */
  scheduleLeadMs?: number;
  reason?: string;
  requestedBy?: string;
  /** The requester accepted a window shorter than the hourly guardrail. */
  acknowledgeShortWindow?: boolean;
  /** What the namespace returns to at the end: what it had before the window (default), or On-Demand. */
  revertTo?: 'BASELINE' | 'ON_DEMAND';
  policy: WindowPolicy;
}

export type Phase =
  | 'SCHEDULED'
  | 'PENDING'
  | 'APPLYING'
  | 'VERIFYING'
  | 'ACTIVE'
  | 'REVERTING'
  | 'REVERT_VERIFYING'
  | 'COMPLETED'
  | 'FAILED';

export type StepName =
  'VALIDATE' | 'BUDGET' | 'APPLY' | 'VERIFY' | 'WAIT' | 'CANCEL' | 'REVERT' | 'REVERT_VERIFY' | 'DRIFT';

export interface Step {
  step: StepName;
  outcome: 'STARTED' | 'SUCCEEDED' | 'FAILED';
  at: string;
  detail?: string;
  asyncOperationId?: string;
  /** Set on the steps a caller caused (cancel, end moved): who, and in which API request. */
  by?: string | null;
  requestId?: string;
}

export interface WindowProgress {
  phase: Phase;
  startAt: string;
  endAt: string | null;
  steps: Step[];
  /** Set while a revert keeps failing: the namespace may still be provisioned past its window. */
  revertBlocked: { since: string; attempts: number; lastError: string } | null;
  /** What the window waits for now (the account's Cloud Ops budget); null or absent: nothing but its own steps. */
  waitingFor?: string | null;
  /** What the namespace has, as its controller last reported it (has null: unknown after a failed change). */
  namespaceCapacity?: { has: CapacityTarget | null; at: string } | null;
  /** The latest drift seen while the window held the namespace (absent or null: none). */
  drift?: DriftSeen | null;
  /**
   * When the window's claim took effect on the namespace and when its release did (until null: still held); absent
   * until the claim took effect. What TRU-hours are counted from.
   */
  held?: { from: string; until: string | null };
}

export interface CapacityWindowResult {
  initialChangeSuccess: boolean;
  verificationSuccess: boolean;
  revertedToOnDemand: boolean;
  revertVerificationSuccess: boolean;
  errors: string[];
  startedAt: string;
  verifiedAt: string | null;
  revertedAt: string | null;
  completedAt: string;
  applyOperationId: string | null;
  revertOperationId: string | null;
  /** What the namespace had before the window, as read when it started (null: never read). */
  baseline: CapacityTarget | null;
  /** Whether the namespace went back (to `revertedTo`) and that was verified. */
  reverted: boolean;
  revertedTo: CapacityTarget | null;
  /** Set when someone ended the window early. */
  cancelled: { by: string | null; reason: string | null; at: string } | null;
  /** When the claim took effect (by Cloud Ops' finish time of the change, else when it was answered); absent: never. */
  heldFrom?: string;
  /** When the release took effect (the revert's finish time, else when it was answered); absent: never released. */
  heldUntil?: string;
}

/** Who changed something, when, in which API request: kept on the window or schedule it changed. */
export interface AuditStamp {
  by: string | null;
  at: string;
  requestId: string;
}

export interface CancelRequest {
  by: string | null;
  reason: string | null;
  /** Absent in signals sent before the audit trail. */
  requestId?: string;
}

/** The setEnd update's argument; `by` and `requestId` are absent in updates sent before the audit trail. */
export interface SetEndRequest {
  endAt: string;
  /** The latest end the guardrails allow (null: no limit). */
  maxEndAt: string | null;
  by?: string | null;
  requestId?: string;
}

/** The memo the window keeps up to date, so that status is readable with one describe call, worker or not. */
export interface WindowMemo {
  window: { namespace: string; trus: number; requestedBy: string | null; reason: string | null; scheduleId?: string };
  /** Absent until the workflow's first task for runs a schedule started. */
  progress?: WindowProgress;
  /** The Idempotency-Key the window was created with, and a hash of its request body. */
  request?: { idempotencyKey: string; bodySha256: string };
  /** Who created the window through the API (absent for a schedule's runs and windows created before it). */
  created?: AuditStamp;
}

export interface ValidateCapacityInput {
  namespace: string;
  trus: number;
  /** The window's length (null: permanent), for the duration guardrails. */
  windowMs: number | null;
  acknowledgeShortWindow?: boolean;
}

export interface ValidateCapacityResult {
  /** The namespace's capacity before this window changes anything: the baseline it returns to. */
  current: CapacityTarget;
}

export interface ApplyCapacityInput {
  namespace: string;
  target: CapacityTarget;
  /** Derived from the workflow run and the step, so that a retried apply is the same Cloud Ops operation. */
  asyncOperationId: string;
  /** What the controller last verified: the change is not sent when the namespace shows something else (drift). */
  expected?: CapacityTarget;
}

export interface ApplyCapacityResult {
  /** null when the namespace already had the target ("nothing to change"). */
  asyncOperationId: string | null;
}

export interface VerifyCapacityInput {
  namespace: string;
  target: CapacityTarget;
  asyncOperationId: string | null;
  /**
   * How long verification may take, counted from when the workflow scheduled it (so a retried attempt keeps the
   * first one's deadline). Not an instant the workflow computes: its clock stands still while local activities
   * run in the same workflow task, so a workflow's Date.now() can be seconds behind.
   */
  timeoutMs: number;
}

export interface VerifyCapacityResult {
  observed: ObservedCapacity;
  /** When the namespace took the target (the operation's finish time, else when it was seen); absent before TRU-hours. */
  changedAt?: string;
}

export interface AlertInput {
  severity: 'WARNING' | 'CRITICAL';
  namespace: string;
  trus: number;
  step: StepName;
  reason: string;
  windowId: string;
  workflowId?: string;
  /** Who asked for the window (the request's requestedBy). */
  requestedBy?: string | null;
  /** Why the window was asked for (the request's reason), not why this step failed. */
  requestReason?: string | null;
  /** RFC 3339 instants the window runs from and to; endAt null: a permanent change. */
  startAt?: string | null;
  endAt?: string | null;
}
