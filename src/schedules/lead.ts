// How early a schedule fires so that each run's capacity is in place at the run time the user asked for. Pure.
import { parseIsoDuration } from '../shared/index.js';
import { shiftCronEarlier } from './cron-shift.js';
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
    return 'refused' in shift ? notApplied(shift.refused) : { ms, notApplied: null };
  }
  if (def.at !== undefined && Date.parse(def.at) - ms <= nowMs) {
    return notApplied(`at is less than the lead (${ms / 1000} s) away`);
  }
  return { ms, notApplied: null };
}
