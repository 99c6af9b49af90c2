// A schedule's definition as users write it: from a create request, a PATCH over the stored one, and back from
// what Temporal stores (the action's args and memo).
import type { ScheduleDescription } from '@temporalio/client';
import type { CreateCapacitySchedule, PatchCapacitySchedule } from '../api/routes/capacity-schedules/schema.js';
import type { CapacityWindowInput } from '../shared/index.js';
import type { ScheduleLead } from './lead.js';
import {
  DEFAULT_TIME_ZONE,
  truncateToSecond,
  type AuditEntry,
  type ScheduleActionMemo,
  type ScheduleDefinition,
} from './spec.js';

/** `requestedBy` is the caller's token name, when authentication is on. */
export function definitionOf(body: CreateCapacitySchedule, requestedBy: string | undefined): ScheduleDefinition {
  return {
    namespace: body.namespace,
    trus: body.trus,
    duration: body.duration,
    ...(body.cron !== undefined && { cron: body.cron }),
    ...(body.interval !== undefined && { interval: body.interval }),
    ...(body.at !== undefined && { at: truncateToSecond(body.at) }),
    timezone: body.timezone ?? DEFAULT_TIME_ZONE,
    ...(body.startAt !== undefined && { startAt: body.startAt }),
    ...(body.endAt !== undefined && { endAt: body.endAt }),
    ...(body.reason !== undefined && { reason: body.reason }),
    ...(body.acknowledgeShortWindow !== undefined && { acknowledgeShortWindow: body.acknowledgeShortWindow }),
    ...(requestedBy !== undefined && { requestedBy }),
  };
}

/** The stored definition with a PATCH applied: a new cron, interval or at replaces the old kind; null bounds clear. */
export function patchedDefinition(prev: ScheduleDefinition, body: PatchCapacitySchedule): ScheduleDefinition {
  const specGiven = body.cron !== undefined || body.interval !== undefined || body.at !== undefined;
  const kind = specGiven ? body : prev;
  const startAt = body.startAt === undefined ? prev.startAt : body.startAt;
  const endAt = body.endAt === undefined ? prev.endAt : body.endAt;
  return {
    namespace: prev.namespace,
    trus: body.trus ?? prev.trus,
    duration: body.duration ?? prev.duration,
    ...(kind.cron !== undefined && { cron: kind.cron }),
    ...(kind.interval !== undefined && { interval: kind.interval }),
    ...(kind.at !== undefined && { at: truncateToSecond(kind.at) }),
    timezone: body.timezone ?? prev.timezone,
    ...(startAt != null && { startAt }),
    ...(endAt != null && { endAt }),
    ...(prev.reason !== undefined && { reason: prev.reason }),
    ...(prev.acknowledgeShortWindow !== undefined && { acknowledgeShortWindow: prev.acknowledgeShortWindow }),
    ...(prev.requestedBy !== undefined && { requestedBy: prev.requestedBy }),
  };
}

/** The definition back from the action's args and memo, in the form the user wrote it. */
export function readDefinition(desc: ScheduleDescription): ScheduleDefinition {
  const input = desc.action.args?.[0] as CapacityWindowInput | undefined;
  const memo = desc.action.memo as ScheduleActionMemo | undefined;
  if (!input?.duration || !memo?.schedule)
    throw new Error(`schedule ${desc.scheduleId} does not start a capacity window`);
  const { cron, interval, at, timezone } = memo.schedule;
  // The spec's bounds were moved by the lead with the fire times: the user's are that much later.
  const userTime = (bound: Date) => new Date(bound.getTime() + (input.scheduleLeadMs ?? 0)).toISOString();
  return {
    namespace: input.namespace,
    trus: input.trus,
    duration: input.duration,
    ...(cron !== undefined && { cron }),
    ...(interval !== undefined && { interval }),
    ...(at !== undefined && { at }),
    timezone,
    ...(desc.spec.startAt && { startAt: userTime(desc.spec.startAt) }),
    ...(desc.spec.endAt && { endAt: userTime(desc.spec.endAt) }),
    ...(input.reason !== undefined && { reason: input.reason }),
    ...(input.acknowledgeShortWindow !== undefined && { acknowledgeShortWindow: input.acknowledgeShortWindow }),
    ...(input.requestedBy !== undefined && { requestedBy: input.requestedBy }),
  };
}

/** The lead the schedule fires with; a schedule created before schedules had one fires at the user's times. */
export function readLead(desc: ScheduleDescription): ScheduleLead {
  const memo = desc.action.memo as ScheduleActionMemo | undefined;
  return memo?.schedule?.lead ?? { ms: 0, notApplied: 'created before schedules had a lead: change it to apply one' };
}

/** The schedule's audit trail, oldest first (empty for a schedule created before it). */
export function readAudit(desc: ScheduleDescription): AuditEntry[] {
  return (desc.action.memo as ScheduleActionMemo | undefined)?.schedule?.audit ?? [];
}
