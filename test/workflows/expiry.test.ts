// When a claim expires: pure decisions, no server.
import t from 'tap';
import type { HeldClaim } from '../../src/shared/controller.js';
import { claimGraceMs, expiredClaims, nextExpiry, wakeUpAt } from '../../src/workflows/decisions/expiry.js';

const T0 = Date.parse('2026-12-06T10:00:00.000Z');
const GRACE = 60_000;

function claim(id: string, endAt: number | null, answered = true): HeldClaim {
  return {
    workflowId: id,
    windowId: id,
    trus: 2,
    revertTo: 'BASELINE',
    endAt: endAt === null ? null : new Date(endAt).toISOString(),
    startAt: null,
    requestedBy: null,
    reason: null,
    answered,
    since: new Date(T0).toISOString(),
  };
}

t.test('the grace period is two alert intervals', async (t) => {
  t.equal(claimGraceMs(30_000), 60_000);
  t.equal(claimGraceMs(0), 0);
});

t.test('the next expiry is the earliest end of an answered claim, plus the grace period', async (t) => {
  t.equal(nextExpiry([], GRACE), undefined);
  t.equal(
    nextExpiry([claim('a', T0 + 5_000), claim('b', T0 + 1_000), claim('c', T0 + 9_000)], GRACE),
    T0 + 1_000 + GRACE,
  );
  t.equal(nextExpiry([claim('a', T0, false)], GRACE), undefined, "an unanswered claim is the controller's own backlog");
  t.equal(nextExpiry([claim('p', null)], GRACE), undefined, 'a permanent claim never expires');
  t.equal(nextExpiry([claim('u', T0, false), claim('p', null), claim('a', T0 + 7)], GRACE), T0 + 7 + GRACE);
});

t.test('a claim expires once its end plus the grace period has come, not a millisecond before', async (t) => {
  const a = claim('a', T0);
  t.same(expiredClaims([a], GRACE, T0 + GRACE - 1), []);
  t.same(expiredClaims([a], GRACE, T0 + GRACE), [a]);
  t.same(expiredClaims([a], GRACE, T0 + GRACE + 1), [a]);
});

t.test('only answered claims with an end expire, each on its own time', async (t) => {
  const early = claim('early', T0);
  const late = claim('late', T0 + 10 * GRACE);
  const unanswered = claim('unanswered', T0 - 10 * GRACE, false);
  const permanent = claim('permanent', null);
  t.same(expiredClaims([early, late, unanswered, permanent], GRACE, T0 + 2 * GRACE), [early]);
});

t.test('the controller wakes for a retry or the first expiry, whichever comes first', async (t) => {
  const a = claim('a', T0);
  t.equal(wakeUpAt(undefined, [], GRACE), undefined);
  t.equal(wakeUpAt(T0 + 5, [], GRACE), T0 + 5);
  t.equal(wakeUpAt(undefined, [a], GRACE), T0 + GRACE);
  t.equal(wakeUpAt(T0 + 5, [a], GRACE), T0 + 5, 'the retry first');
  t.equal(wakeUpAt(T0 + GRACE + 5, [a], GRACE), T0 + GRACE, 'the expiry first');
});
