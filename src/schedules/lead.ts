// How early a schedule fires so that each run's capacity is in place at the run time the user asked for. Pure.
import { parseIsoDuration } from '../shared/index.js';
import { runMinutesOfDay, shiftCronEarlier } from './cron-shift.js';
import type { ScheduleDefinition } from './spec.js';

/** The lead a schedule fires with (0: it fires at the user's times), and why not when the lead is not applied. */
export interface ScheduleLead {
  ms: number;
  notApplied: string | null;
}

const SECOND_MS = 1000;
const MINUTE_MS = 60_000;

const notApplied = (why: string): ScheduleLead => ({ ms: 0, notApplied: why });

/**
 * The lead for `def`, from PROVISIONING_LEAD: rounded up to what its spec can express (whole minutes for a cron,
 * whole seconds otherwise), since a run's window waits out any excess itself. Runs must stay apart by more than a
 * duration plus the lead, or a run would fire while the previous window still holds and be skipped.
 */
export function scheduleLead(
  def: ScheduleDefinition,
  provisioningLeadMs: number,
  smallestGapMs: number | undefined,
  nowMs: number,
): ScheduleLead {
  if (provisioningLeadMs <= 0) return notApplied('PROVISIONING_LEAD is 0');
  const unit = def.cron !== undefined ? MINUTE_MS : SECOND_MS;
  const ms = Math.ceil(provisioningLeadMs / unit) * unit;
  const durationMs = parseIsoDuration(def.duration) ?? 0;
  if (smallestGapMs !== undefined && durationMs + ms >= smallestGapMs) {
    return notApplied(`runs are too close together: the duration plus the lead (${ms / 1000} s) reach the next run`);
  }
  if (def.cron !== undefined) {
    if (ms >= 24 * 60 * MINUTE_MS) return notApplied('a cron cannot fire a day or more early');
    const shift = shiftCronEarlier(def.cron, ms / MINUTE_MS);
    if ('refused' in shift) return notApplied(shift.refused);
    const nearChange = nearClockChange(def.cron, def.timezone, ms / MINUTE_MS, nowMs);
    return nearChange ? notApplied(nearChange) : { ms, notApplied: null };
  }
  if (def.at !== undefined && Date.parse(def.at) - ms <= nowMs) {
    return notApplied(`at is less than the lead (${ms / 1000} s) away`);
  }
  return { ms, notApplied: null };
}

const wallClock = (timezone: string) =>
  new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  });

/** The zone's offset from UTC at `ms`, in minutes. */
function offsetMinutes(clock: Intl.DateTimeFormat, ms: number): number {
  const parts = clock.formatToParts(new Date(ms));
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'));
  return Math.round((wall - Math.floor(ms / MINUTE_MS) * MINUTE_MS) / MINUTE_MS);
}

/**
 * Why a cron shifted in wall-clock time would miss or misplace runs at the zone's clock changes in the next year,
 * or null. A cron fires in wall time: a fire time in the skipped hour never comes (the run is lost), and one
 * across a change is an hour off from its run time.
 */
function nearClockChange(cron: string, timezone: string, leadMinutes: number, nowMs: number): string | null {
  const day = 24 * 60 * MINUTE_MS;
  const clock = wallClock(timezone);
  for (let t = nowMs; t < nowMs + 366 * day; t += day) {
    const before = offsetMinutes(clock, t);
    const after = offsetMinutes(clock, t + day);
    if (before === after) continue;
    let [lo, hi] = [t, t + day];
    while (hi - lo > MINUTE_MS) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (offsetMinutes(clock, mid) === before) lo = mid;
      else hi = mid;
    }
    // The wall-clock minutes of the day that the change skips or repeats.
    // Clocks change on a whole minute, and `hi` lies less than a minute after it.
    const changeAt = (((Math.floor(hi / MINUTE_MS) + Math.min(before, after)) % 1440) + 1440) % 1440;
    const changeEnd = changeAt + Math.abs(after - before);
    const touches = runMinutesOfDay(cron).some((run) =>
      [0, 1440, -1440].some((wrap) => run + wrap >= changeAt && run + wrap - leadMinutes <= changeEnd),
    );
    if (touches) return `some runs of cron "${cron}" are within the lead of a clock change in ${timezone}`;
  }
  return null;
}
