// When the namespace's next change may go: after a cool-down the server asked for, and no sooner than
// CAPACITY_CHANGE_MIN_INTERVAL after the last accepted change. Pure.
import type { ControllerState } from '../../shared/controller.js';

/** The earliest time of the next change, or null when nothing holds it back. */
export function changeAllowedAtMs(
  state: Pick<ControllerState, 'notBefore' | 'lastChangeAt'>,
  minIntervalMs: number,
): number | null {
  const times: number[] = [];
  if (state.notBefore) times.push(Date.parse(state.notBefore));
  if (state.lastChangeAt && minIntervalMs > 0) times.push(Date.parse(state.lastChangeAt) + minIntervalMs);
  return times.length ? Math.max(...times) : null;
}
