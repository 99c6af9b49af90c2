// Pure rules of a capacity schedule: validation, and the Temporal Schedule spec and action built from it.
import { randomBytes } from 'node:crypto';
import { MONTHS, type ScheduleOptionsAction, type ScheduleSpec } from '@temporalio/client';
import { CronExpressionParser } from 'cron-parser';
import type { Config } from '../config.js';
import {
  SA,
  CAPACITY_WINDOW_WORKFLOW,
  parseIsoDuration,
  scheduledWindowWorkflowId,
  type AuditStamp,
  type CapacityWindowInput,
  type WindowMemo,
} from '../shared/index.js';
import { ApiError } from '../api/plugins/errors.js';
import { shiftCronEarlier } from './cron-shift.js';
import type { ScheduleLead } from './lead.js';

export interface IntervalForm {
  every: string;
  offset?: string;
}

/** A capacity schedule as users write it; stored in the action's args and memo, read back by GET. */
export interface ScheduleDefinition {
  namespace: string;
  trus: number;
  duration: string;
  cron?: string;
  interval?: IntervalForm;
  at?: string;
  timezone: string;
  startAt?: string;
  endAt?: string;
  reason?: string;
  acknowledgeShortWindow?: boolean;
  /** The token name of whoever created the schedule: every run's window shows it. */
  requestedBy?: string;
}

/** The action's memo: what each run's window shows, plus the user's spec form (a Schedule's own memo is immutable). */
export interface ScheduleActionMemo extends WindowMemo {
  schedule: {
    id: string;
    cron?: string;
    interval?: IntervalForm;
    at?: string;
    timezone: string;
    /** The lead the schedule fires with (absent on schedules created before schedules had one). */
    lead?: ScheduleLead;
    /** Who changed the schedule through the API (absent on schedules created before the audit trail). */
    audit?: AuditEntry[];
  };
}

/** One change of a schedule, and who made it. */
export interface AuditEntry extends AuditStamp {
  action: string;
}

export const DEFAULT_TIME_ZONE = 'UTC';
/** How far ahead the cron gap check looks: enough to cover every weekday/month pattern of a realistic cron. */
const CRON_LOOKAHEAD_RUNS = 500;
const CRON_LOOKAHEAD_MS = 9 * 366 * 24 * 3_600_000;
const CRON_FIELD_PART = /^(\*|\d+|[a-z]{3})(-(\d+|[a-z]{3}))?(\/\d+)?$/i;

export function generateScheduleId(namespace: string): string {
  return `${namespace.slice(0, namespace.indexOf('.'))}-${randomBytes(3).toString('hex')}`;
}

function positiveDuration(field: string, text: string): number {
  const ms = parseIsoDuration(text);
  if (ms === undefined || ms <= 0) {
    throw new ApiError(
      400,
      'INVALID_DURATION',
      `${field} "${text}" is not a positive ISO 8601 duration such as "PT2H" or "P1DT30M"`,
    );
  }
  return ms;
}

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Checks a 5-field cron the way Temporal will read it; throws INVALID_CRON. */
export function checkCron(cron: string, timezone: string): void {
  const fields = cron.trim().split(/\s+/);
  const bad = (why: string) => new ApiError(422, 'INVALID_CRON', `cron "${cron}" ${why}`);
  if (fields.length !== 5) throw bad(`has ${fields.length} fields; give 5: minute hour day-of-month month day-of-week`);
  // cron-parser accepts extensions (L, #, H, ?) that Temporal's parser does not: allow only what both read alike.
  if (!fields.every((f) => f.split(',').every((part) => CRON_FIELD_PART.test(part))))
    throw bad('uses syntax other than numbers, names, *, ranges, steps and lists');
  // Classic cron fires when day-of-month OR day-of-week matches; Temporal requires both, so refuse the ambiguous form.
  if (fields[2] !== '*' && fields[4] !== '*')
    throw bad('restricts both day-of-month and day-of-week; leave one of them as *');
  try {
    CronExpressionParser.parse(cron, { tz: timezone });
  } catch (err) {
    throw bad(`is not valid: ${(err as Error).message}`);
  }
}

/**
 * The smallest gap between consecutive runs of a cron within the next runs from `from`, or undefined with fewer
 * than two. Bounded in time as well as in runs: a yearly cron's 500 runs are 500 years of date arithmetic on the
 * request thread (about 1 s; 3 s for "0 0 29 2 *"), while nine years already hold every leap-day pattern.
 */
export function smallestCronGapMs(cron: string, timezone: string, from: Date, until?: Date): number | undefined {
  const horizon = from.getTime() + CRON_LOOKAHEAD_MS;
  const endDate = new Date(until ? Math.min(until.getTime(), horizon) : horizon);
  const expr = CronExpressionParser.parse(cron, { tz: timezone, currentDate: from, endDate });
  let previous: number | undefined;
  let smallest: number | undefined;
  for (let i = 0; i < CRON_LOOKAHEAD_RUNS; i++) {
    let t: number;
    try {
      t = expr.next().getTime();
    } catch {
      break; // past endDate: cron-parser has no more runs
    }
    if (previous !== undefined && (smallest === undefined || t - previous < smallest)) smallest = t - previous;
    previous = t;
  }
  return smallest;
}

/** A one-off instant, to the second (a calendar spec has no finer unit). */
export function truncateToSecond(instant: string): string {
  return new Date(Math.floor(Date.parse(instant) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function specKinds(def: Pick<ScheduleDefinition, 'cron' | 'interval' | 'at'>): number {
  return [def.cron, def.interval, def.at].filter((v) => v !== undefined).length;
}

/**
 * Every rule a schedule must meet before anything is created; throws ApiError. `atMustBeFuture` is off when a
 * PATCH leaves an `at` that may already have fired untouched. Answers the smallest gap between runs, if any.
 */
export function validateDefinition(def: ScheduleDefinition, now: number, atMustBeFuture = true): number | undefined {
  if (specKinds(def) !== 1) {
    throw new ApiError(400, 'INVALID_SCHEDULE_SPEC', 'give exactly one of cron, interval or at');
  }
  const durationMs = positiveDuration('duration', def.duration);
  if (!isTimeZone(def.timezone)) {
    throw new ApiError(
      422,
      'INVALID_TIME_ZONE',
      `timezone "${def.timezone}" is not an IANA time zone such as "Europe/Berlin"`,
    );
  }
  if (def.startAt !== undefined && def.endAt !== undefined && Date.parse(def.endAt) <= Date.parse(def.startAt)) {
    throw new ApiError(422, 'INVALID_SCHEDULE_BOUNDS', `endAt ${def.endAt} is not after startAt ${def.startAt}`);
  }
  const overlaps = (what: string) =>
    new ApiError(
      422,
      'DURATION_OVERLAPS_NEXT_RUN',
      `duration ${def.duration} is not shorter than ${what}, so a window would still be running when the next one is due`,
    );

  if (def.cron !== undefined) {
    checkCron(def.cron, def.timezone);
    const from = new Date(Math.max(now, def.startAt ? Date.parse(def.startAt) : now));
    const gap = smallestCronGapMs(def.cron, def.timezone, from, def.endAt ? new Date(def.endAt) : undefined);
    if (gap !== undefined && durationMs >= gap) throw overlaps(`the smallest gap between runs (${gap / 1000} s)`);
    return gap;
  } else if (def.interval !== undefined) {
    const every = positiveDuration('interval.every', def.interval.every);
    if (every < 1000) throw new ApiError(422, 'INVALID_INTERVAL', 'interval.every must be at least 1 second');
    if (def.interval.offset !== undefined) {
      const offset = parseIsoDuration(def.interval.offset);
      if (offset === undefined)
        throw new ApiError(
          400,
          'INVALID_DURATION',
          `interval.offset "${def.interval.offset}" is not an ISO 8601 duration`,
        );
      if (offset >= every)
        throw new ApiError(422, 'INVALID_INTERVAL', 'interval.offset must be shorter than interval.every');
    }
    if (durationMs >= every) throw overlaps(`interval.every (${def.interval.every})`);
    return every;
  } else if (def.at !== undefined && atMustBeFuture && Date.parse(def.at) <= now) {
    throw new ApiError(422, 'AT_NOT_IN_FUTURE', `at ${def.at} is not in the future`);
  }
  return undefined;
}

/**
 * The Temporal Schedule spec, firing `leadMs` before each of the user's run times (a lead that scheduleLead gave
 * for this definition); `at` becomes a calendar entry in UTC, which matches exactly one instant.
 */
export function scheduleSpec(def: ScheduleDefinition, leadMs: number): ScheduleSpec {
  const bounds = {
    ...(def.startAt !== undefined && { startAt: new Date(Date.parse(def.startAt) - leadMs) }),
    ...(def.endAt !== undefined && { endAt: new Date(Date.parse(def.endAt) - leadMs) }),
  };
  if (def.cron !== undefined) {
    const shift = leadMs > 0 ? shiftCronEarlier(def.cron, leadMs / 60_000) : { cron: def.cron };
    if (!('cron' in shift)) throw new Error(`no lead of ${leadMs} ms for cron "${def.cron}": ${shift.refused}`);
    return { cronExpressions: [shift.cron], timezone: def.timezone, ...bounds };
  }
  if (def.interval !== undefined) {
    const every = parseIsoDuration(def.interval.every) ?? 0;
    const userOffset = def.interval.offset === undefined ? 0 : (parseIsoDuration(def.interval.offset) ?? 0);
    const offset = (((userOffset - leadMs) % every) + every) % every;
    return { intervals: [{ every, ...(offset && { offset }) }], ...bounds };
  }
  const at = new Date(Date.parse(def.at ?? '') - leadMs);
  return {
    calendars: [
      {
        year: at.getUTCFullYear(),
        month: MONTHS[at.getUTCMonth()],
        dayOfMonth: at.getUTCDate(),
        hour: at.getUTCHours(),
        minute: at.getUTCMinutes(),
        second: at.getUTCSeconds(),
      },
    ],
    timezone: 'UTC',
    ...bounds,
  };
}

/**
 * What every run starts: a normal capacity window carrying a DURATION, never an absolute end, so that each
 * run ends at its own scheduled start + duration.
 */
export function scheduleAction(
  id: string,
  def: ScheduleDefinition,
  config: Config,
  audit: AuditEntry[],
  lead: ScheduleLead,
): ScheduleOptionsAction {
  const input: CapacityWindowInput = {
    namespace: def.namespace,
    trus: def.trus,
    duration: def.duration,
    ...(def.reason !== undefined && { reason: def.reason }),
    ...(def.acknowledgeShortWindow !== undefined && { acknowledgeShortWindow: def.acknowledgeShortWindow }),
    ...(def.requestedBy !== undefined && { requestedBy: def.requestedBy }),
    ...(lead.ms > 0 && { scheduleLeadMs: lead.ms }),
    policy: config.policy,
  };
  const memo: ScheduleActionMemo = {
    window: {
      namespace: def.namespace,
      trus: def.trus,
      requestedBy: def.requestedBy ?? null,
      reason: def.reason ?? null,
      scheduleId: id,
    },
    schedule: {
      id,
      ...(def.cron !== undefined && { cron: def.cron }),
      ...(def.interval !== undefined && { interval: def.interval }),
      ...(def.at !== undefined && { at: def.at }),
      timezone: def.timezone,
      lead,
      audit,
    },
  };
  return {
    type: 'startWorkflow',
    workflowType: CAPACITY_WINDOW_WORKFLOW,
    taskQueue: config.temporal.taskQueue,
    workflowId: scheduledWindowWorkflowId(def.namespace, id),
    args: [input],
    memo: { ...memo },
    typedSearchAttributes: [
      { key: SA.namespace, value: def.namespace },
      { key: SA.trus, value: def.trus },
      { key: SA.scheduleId, value: id },
      { key: SA.phase, value: 'PENDING' },
      ...(def.requestedBy === undefined ? [] : [{ key: SA.requestedBy, value: def.requestedBy }]),
    ],
  };
}

/**
 * SKIP: a run due while this schedule's previous window is still active is skipped (and counted), never
 * stacked. The catch-up window is the duration: a run starting later than its own end would be pointless.
 */
export function schedulePolicies(def: ScheduleDefinition) {
  return { overlap: 'SKIP' as const, catchupWindow: parseIsoDuration(def.duration) ?? 0 };
}
