// When a window starts and ends, and whether its end may move: pure decisions, no server.
import t from 'tap';
import type { Phase } from '../../src/shared/window.js';
import {
  endMoveRefusal,
  finished,
  windowEndMs,
  windowStartMs,
  type MovableWindow,
} from '../../src/workflows/decisions/window-times.js';

const iso = (ms: number) => new Date(ms).toISOString();
const NOW = Date.parse('2026-12-06T10:00:00.000Z');
const HOUR = 3_600_000;

t.test('a window starts at its startAt, else its scheduled time, else when its run started', async (t) => {
  const scheduled = new Date(NOW - HOUR);
  const run = new Date(NOW);
  t.equal(windowStartMs(iso(NOW + HOUR), scheduled, run), NOW + HOUR);
  t.equal(windowStartMs(undefined, scheduled, run), NOW - HOUR, 'not the late start of a run that waited for a worker');
  t.equal(windowStartMs(undefined, scheduled, run, 180_000), NOW - HOUR + 180_000, 'a run fired early by its lead');
  t.equal(windowStartMs(undefined, undefined, run), NOW);
  t.equal(windowStartMs('', undefined, run), NOW, 'an empty startAt is none');
});

t.test('a window ends at its endAt, else its duration after its start; a permanent change never', async (t) => {
  t.equal(windowEndMs({ endAt: iso(NOW + 2 * HOUR) }, NOW), NOW + 2 * HOUR);
  t.equal(windowEndMs({ duration: 'PT2H' }, NOW), NOW + 2 * HOUR);
  t.equal(windowEndMs({ duration: 'PT2H' }, NOW + HOUR), NOW + 3 * HOUR, 'counted from the start');
  t.equal(windowEndMs({ endAt: iso(NOW + HOUR), duration: 'PT5H' }, NOW), NOW + HOUR, 'endAt wins');
  t.equal(windowEndMs({}, NOW), null);
  t.equal(windowEndMs({ duration: 'P1M' }, NOW), NOW, 'an unparsable duration adds nothing');
});

t.test('a window is finished once COMPLETED or FAILED', async (t) => {
  const phases: Phase[] = ['SCHEDULED', 'PENDING', 'APPLYING', 'VERIFYING', 'ACTIVE', 'REVERTING', 'REVERT_VERIFYING'];
  for (const p of phases) t.notOk(finished(p), p);
  t.ok(finished('COMPLETED'));
  t.ok(finished('FAILED'));
});

const active: MovableWindow = { phase: 'ACTIVE', cancelled: false, startMs: NOW - HOUR, endMs: NOW + HOUR, nowMs: NOW };
const move = (endAt: string, maxEndAt: string | null = null) => ({ endAt, maxEndAt });

t.test('an end moves to any later instant while the window has not begun reverting', async (t) => {
  t.equal(endMoveRefusal(move(iso(NOW + 3 * HOUR)), active), null, 'extended');
  t.equal(endMoveRefusal(move(iso(NOW + 1)), active), null, 'shortened to just after now');
  for (const phase of ['SCHEDULED', 'PENDING', 'APPLYING', 'VERIFYING', 'ACTIVE'] as const) {
    t.equal(endMoveRefusal(move(iso(NOW + 2 * HOUR)), { ...active, phase }), null, phase);
  }
  t.equal(
    endMoveRefusal(move(iso(NOW + 2 * HOUR), iso(NOW + 2 * HOUR)), active),
    null,
    'up to the longest window allowed',
  );
});

t.test('what an end cannot move to, and why', async (t) => {
  t.equal(endMoveRefusal(move('tomorrow'), active), 'endAt tomorrow is not an instant');
  t.equal(endMoveRefusal(move(iso(NOW + HOUR)), { ...active, endMs: null }), 'a permanent change has no end to move');
  for (const phase of ['REVERTING', 'REVERT_VERIFYING', 'COMPLETED', 'FAILED'] as const) {
    t.equal(
      endMoveRefusal(move(iso(NOW + HOUR)), { ...active, phase }),
      `the window is ${phase.toLowerCase()}: its end can no longer move`,
    );
  }
  t.equal(
    endMoveRefusal(move(iso(NOW + HOUR)), { ...active, cancelled: true }),
    'the window is active: its end can no longer move',
  );
  t.equal(endMoveRefusal(move(iso(NOW)), active), `endAt ${iso(NOW)} is not in the future`);
  t.equal(endMoveRefusal(move(iso(NOW - 1)), active), `endAt ${iso(NOW - 1)} is not in the future`);
  const future = { ...active, phase: 'SCHEDULED' as const, startMs: NOW + HOUR };
  t.equal(
    endMoveRefusal(move(iso(NOW + HOUR)), future),
    `endAt ${iso(NOW + HOUR)} is not after the window's start ${iso(NOW + HOUR)}`,
  );
  t.equal(endMoveRefusal(move(iso(NOW + HOUR + 1)), future), null, 'a millisecond after the start');
  t.equal(
    endMoveRefusal(move(iso(NOW + 2 * HOUR + 1), iso(NOW + 2 * HOUR)), active),
    `endAt ${iso(NOW + 2 * HOUR + 1)} is past the longest window allowed (${iso(NOW + 2 * HOUR)})`,
  );
});

t.test('the first reason wins', async (t) => {
  t.equal(endMoveRefusal(move('x'), { ...active, endMs: null, phase: 'FAILED' }), 'endAt x is not an instant');
  t.equal(
    endMoveRefusal(move(iso(NOW - 1)), { ...active, endMs: null, phase: 'FAILED' }),
    'a permanent change has no end to move',
  );
  t.equal(
    endMoveRefusal(move(iso(NOW - 1)), { ...active, phase: 'REVERTING' }),
    'the window is reverting: its end can no longer move',
  );
});
