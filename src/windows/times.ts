// When a requested window begins and ends, checked before anything is read or started.
import { ApiError } from '../api/plugins/errors.js';
import type { CreateCapacityChange, MoveEnd } from '../api/routes/capacity-changes/schema.js';
import type { GuardedRequest } from '../guardrails.js';
import { parseIsoDuration } from '../shared/index.js';

/** When a window begins (epoch ms) and ends (null: a permanent change). */
export interface WindowTimes {
  start: number;
  endAt: string | null;
}

/** Throws ApiError for times that cannot be honoured. */
export function resolveWindow(
  body: Pick<CreateCapacityChange, 'duration' | 'endAt' | 'startAt'>,
  now: number,
): WindowTimes {
  let start = now;
  if (body.startAt !== undefined) {
    start = Date.parse(body.startAt);
    if (start <= now) throw new ApiError(422, 'START_NOT_IN_FUTURE', `startAt ${body.startAt} is not in the future`);
  }
  if (body.duration !== undefined && body.endAt !== undefined) {
    throw new ApiError(400, 'CONFLICTING_END', 'give either duration or endAt, not both');
  }
  if (body.duration !== undefined) {
    const ms = parseIsoDuration(body.duration);
    if (ms === undefined || ms <= 0) {
      throw new ApiError(
        400,
        'INVALID_DURATION',
        `duration "${body.duration}" is not a positive ISO 8601 duration such as "PT2H" or "P1DT30M"`,
      );
    }
    return { start, endAt: new Date(start + ms).toISOString() };
  }
  if (body.endAt !== undefined) {
    const end = Date.parse(body.endAt);
    if (end <= now) throw new ApiError(422, 'END_NOT_IN_FUTURE', `endAt ${body.endAt} is not in the future`);
    if (end <= start)
      throw new ApiError(422, 'END_NOT_AFTER_START', `endAt ${body.endAt} is not after startAt ${body.startAt}`);
    return { start, endAt: new Date(end).toISOString() };
  }
  return { start, endAt: null };
}

/** What the guardrails judge of a requested window. */
export function guardedRequest(body: CreateCapacityChange, window: WindowTimes): GuardedRequest {
  return {
    namespace: body.namespace,
    trus: body.trus,
    windowMs: window.endAt === null ? null : Date.parse(window.endAt) - window.start,
    acknowledgeShortWindow: body.acknowledgeShortWindow,
  };
}

/** Throws CONFLICTING_END unless a PATCH gives exactly one of endAt and duration. */
export function checkOneEnd({ endAt, duration }: MoveEnd): void {
  if ((endAt === undefined) === (duration === undefined)) {
    throw new ApiError(400, 'CONFLICTING_END', 'give exactly one of endAt and duration');
  }
}

/** The end a PATCH asks for: endAt as given, or its duration counted from the window's start. */
export function requestedEnd(startAt: string, { endAt, duration }: MoveEnd): string {
  if (duration === undefined) return endAt as string;
  const ms = parseIsoDuration(duration);
  if (ms === undefined || ms <= 0)
    throw new ApiError(400, 'INVALID_DURATION', `duration "${duration}" is not a positive ISO 8601 duration`);
  return new Date(Date.parse(startAt) + ms).toISOString();
}
