// A capacity schedule as the API shows it, from Temporal's description of the Schedule.
import type { ScheduleDescription } from '@temporalio/client';
import type { CapacitySchedule, CapacityScheduleList } from '../api/routes/capacity-schedules/schema.js';
import { windowIdOf } from '../shared/index.js';
import { readAudit, readDefinition, readLead } from './definition.js';

export const SCHEDULES_PATH = '/v1/capacity-schedules';
const NEXT_ACTION_TIMES = 5;

export const scheduleLink = (id: string) => `${SCHEDULES_PATH}/${encodeURIComponent(id)}`;

/** A fire time as the user's run time: the schedule fires the lead before it. */
const runTime = (desc: ScheduleDescription, fired: Date) => new Date(fired.getTime() + readLead(desc).ms).toISOString();

export const nextActionTimes = (desc: ScheduleDescription) =>
  desc.info.nextActionTimes.slice(0, NEXT_ACTION_TIMES).map((d) => runTime(desc, d));

/** Whether the schedule fires PROVISIONING_LEAD early, and why not. */
export function leadView(desc: ScheduleDescription) {
  const lead = readLead(desc);
  return { leadApplied: lead.ms > 0, leadNotAppliedReason: lead.notApplied };
}

export function scheduleView(id: string, desc: ScheduleDescription): CapacitySchedule {
  const def = readDefinition(desc);
  return {
    id,
    namespace: def.namespace,
    trus: def.trus,
    duration: def.duration,
    ...(def.cron !== undefined && { cron: def.cron }),
    ...(def.interval !== undefined && { interval: def.interval }),
    ...(def.at !== undefined && { at: def.at }),
    timezone: def.timezone,
    startAt: def.startAt ?? null,
    endAt: def.endAt ?? null,
    paused: desc.state.paused,
    note: desc.state.note || null,
    reason: def.reason ?? null,
    nextActionTimes: nextActionTimes(desc),
    ...leadView(desc),
    recentActions: desc.info.recentActions.map((a) => ({
      scheduledAt: runTime(desc, a.scheduledAt),
      startedAt: a.takenAt.toISOString(),
      changeId: windowIdOf(a.action.workflow.workflowId, a.action.workflow.firstExecutionRunId),
    })),
    runningChangeIds: desc.info.runningActions.map((a) =>
      windowIdOf(a.workflow.workflowId, a.workflow.firstExecutionRunId),
    ),
    actionsTaken: desc.info.numActionsTaken,
    actionsSkipped: desc.info.numActionsSkippedOverlap + desc.info.numActionsMissedCatchupWindow,
    audit: readAudit(desc),
    links: { self: scheduleLink(id) },
  };
}

/** A schedule's line in the list. */
export function scheduleSummary(id: string, desc: ScheduleDescription): CapacityScheduleList['items'][number] {
  const def = readDefinition(desc);
  const next = desc.info.nextActionTimes[0];
  return {
    id,
    namespace: def.namespace,
    trus: def.trus,
    duration: def.duration,
    paused: desc.state.paused,
    nextActionTime: next ? runTime(desc, next) : null,
  };
}
