// A refusal that looks like the hourly rule or a rate limit, whatever its code, and when to try again: no server.
import t from 'tap';
import { nextTryInMs, waitRefusalOf } from '../../src/shared/refusal.js';
import { changeAllowedAtMs } from '../../src/workflows/decisions/change-gate.js';

const NOW = Date.parse('2026-12-06T10:00:00.000Z');

t.test(
  'a cool-down or a rate limit is recognised by its words, and its wait read when the server says it',
  async (t) => {
    t.same(
      waitRefusalOf('FAILED_PRECONDITION: capacity cool-down: next change allowed at 2026-12-06T10:30:00.000Z', NOW),
      {
        reason: 'FAILED_PRECONDITION: capacity cool-down: next change allowed at 2026-12-06T10:30:00.000Z',
        waitMs: 1_800_000,
      },
    );
    t.equal(waitRefusalOf('capacity cool-down: 59 s remaining', NOW)?.waitMs, 59_000);
    t.equal(waitRefusalOf('RESOURCE_EXHAUSTED: rate limit exceeded, retry after 3 s', NOW)?.waitMs, 3_000);
    t.equal(waitRefusalOf('TRUs can be adjusted hourly; try again in 12 minutes', NOW)?.waitMs, 720_000);
    t.equal(waitRefusalOf('too many concurrent async operations for account a1 (limit 10)', NOW)?.waitMs, null);
    t.equal(waitRefusalOf('PERMISSION_DENIED: the key may not change this namespace', NOW), null);
    t.equal(waitRefusalOf('FAILED_PRECONDITION: capacity request in progress', NOW), null);
    t.equal(
      waitRefusalOf('capacity cool-down: allowed at 2026-12-06T09:00:00Z', NOW)?.waitMs,
      0,
      'a time past: no wait',
    );
  },
);

t.test(
  'the next try: what the server said and a second, else a backoff doubling from a minute to an hour',
  async (t) => {
    t.equal(nextTryInMs({ reason: '', waitMs: 59_000 }, 1), 60_000);
    t.equal(nextTryInMs({ reason: '', waitMs: null }, 1), 60_000);
    t.equal(nextTryInMs({ reason: '', waitMs: null }, 3), 240_000);
    t.equal(nextTryInMs({ reason: '', waitMs: null }, 20), 3_600_000);
  },
);

t.test('the next change waits for a cool-down and for CAPACITY_CHANGE_MIN_INTERVAL, whichever is later', async (t) => {
  const at = (ms: number) => new Date(NOW + ms).toISOString();
  t.equal(changeAllowedAtMs({ notBefore: null, lastChangeAt: null }, 3_600_000), null);
  t.equal(changeAllowedAtMs({ lastChangeAt: at(0) }, 0), null, 'no minimum interval');
  t.equal(changeAllowedAtMs({ lastChangeAt: at(0) }, 3_600_000), NOW + 3_600_000);
  t.equal(changeAllowedAtMs({ notBefore: at(60_000), lastChangeAt: at(0) }, 30_000), NOW + 60_000);
  t.equal(changeAllowedAtMs({ notBefore: at(60_000) }, 0), NOW + 60_000);
});
