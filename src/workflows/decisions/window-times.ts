// When a window starts and ends, and whether its end may move. Pure.
import { parseIsoDuration } from '../../shared/duration.js';
import type { Phase } from '../../shared/window.js';

/**
 * When the window begins, which its duration counts from: a future one-off's startAt; for a schedule's run, the run
 * time the user asked for, i.e. its scheduled time (not the late start of a run that waited for a worker) plus the
 * lead the schedule fired with; otherwise the request time.
 */
export function windowStartMs(
  startAt: string | undefined,
  scheduledStart: Date | undefined,
  runStart: Date,
  scheduleLeadMs = 0,
): number {
  if (startAt) return Date.parse(startAt);
  if (scheduledStart) return scheduledStart.getTime() + scheduleLeadMs;
  return runStart.getTime();
}

/**
 * When a future window's change begins: its start less the provisioning lead, so that the capacity is in place at
 * its start (provisioning takes minutes, and a change may queue for the account's budget). Never before now.
 */
export function changeBeginsMs(startMs: number, leadMs: number, nowMs: number): number {
  return Math.max(nowMs, startMs - leadMs);
}

/** When the window ends: its endAt, or its duration after its start; null for a permanent change. */
export function windowEndMs(input: { endAt?: string; duration?: string }, startMs: number): number | null {
  if (input.endAt) return Date.parse(input.endAt);
  if (input.duration) return startMs + (parseIsoDuration(input.duration) ?? 0);
  return null;
}

const FINISHED: ReadonlySet<Phase> = new Set(['COMPLETED', 'FAILED']);
/** Phases in which the window has not begun reverting, so its end can still move. */
const MOVABLE: ReadonlySet<Phase> = new Set(['SCHEDULED', 'PENDING', 'APPLYING', 'VERIFYING', 'ACTIVE']);

export function finished(phase: Phase): boolean {
  return FINISHED.has(phase);
}

export interface EndMove {
  endAt: string;
  /** The latest end the guardrails allow (null: no limit). */
  maxEndAt: string | null;
}

export interface MovableWindow {
  phase: Phase;
  cancelled: boolean;
  startMs: number;
  /** null: a permanent change. */
  endMs: number | null;
  nowMs: number;
}

/** Why the window's end cannot move to `move.endAt`, or null when it can. */
export function endMoveRefusal(move: EndMove, window: MovableWindow): string | null {
  const { endAt, maxEndAt } = move;
  const end = Date.parse(endAt);
  if (!Number.isFinite(end)) return `endAt ${endAt} is not an instant`;
  if (window.endMs === null) return 'a permanent change has no end to move';
  if (window.cancelled || !MOVABLE.has(window.phase)) {
    return `the window is ${window.phase.toLowerCase()}: its end can no longer move`;
  }
  if (end <= window.nowMs) return `endAt ${endAt} is not in the future`;
  if (end <= window.startMs)
    return `endAt ${endAt} is not after the window's start ${new Date(window.startMs).toISOString()}`;
  if (maxEndAt !== null && end > Date.parse(maxEndAt))
    return `endAt ${endAt} is past the longest window allowed (${maxEndAt})`;
  return null;
}
