// The pure rules of capacity schedules: validation codes, cron gaps, and the Temporal spec and action they build.
import t from 'tap';
import { ApiError } from '../../src/api/plugins/errors.js';
import {
  generateScheduleId,
  scheduleAction,
  scheduleSpec,
  smallestCronGapMs,
  truncateToSecond,
  validateDefinition,
  type ScheduleDefinition,
} from '../../src/schedules/spec.js';
import { loadConfig } from '../../src/config.js';

const NOW = Date.parse('2027-03-01T00:00:00Z');
const NO_LEAD = { ms: 0, notApplied: 'PROVISIONING_LEAD is 0' };
const base: ScheduleDefinition = {
  namespace: 'payments.a1b2c',
  trus: 4,
  duration: 'PT10H',
  cron: '0 8 * * 1-5',
  timezone: 'Europe/Berlin',
};

function codeOf(def: ScheduleDefinition, atMustBeFuture = true): string | undefined {
  try {
    validateDefinition(def, NOW, atMustBeFuture);
    return undefined;
  } catch (err) {
    if (err instanceof ApiError) return `${err.statusCode} ${err.code}`;
    throw err;
  }
}

t.test('validation codes', async (t) => {
  const { cron: _, ...noSpec } = base;
  t.equal(codeOf(base), undefined, 'the office-hours example is valid');
  t.equal(codeOf(noSpec), '400 INVALID_SCHEDULE_SPEC');
  t.equal(codeOf({ ...base, interval: { every: 'PT1H' } }), '400 INVALID_SCHEDULE_SPEC');
  t.equal(codeOf({ ...base, cron: '0 8 * *' }), '422 INVALID_CRON', '4 fields');
  t.equal(codeOf({ ...base, cron: '0 0 8 * * 1' }), '422 INVALID_CRON', '6 fields');
  t.equal(codeOf({ ...base, cron: '0 25 * * *' }), '422 INVALID_CRON', 'hour 25');
  t.equal(codeOf({ ...base, cron: '0 8 L * *' }), '422 INVALID_CRON', 'an extension Temporal does not read');
  t.equal(codeOf({ ...base, cron: '0 8 1 * 1' }), '422 INVALID_CRON', 'day-of-month and day-of-week together');
  t.equal(codeOf({ ...base, cron: '0 8 * JAN-MAR MON-FRI' }), undefined, 'names');
  t.equal(codeOf({ ...base, timezone: 'Europe/Atlantis' }), '422 INVALID_TIME_ZONE');
  t.equal(codeOf({ ...base, duration: 'PT0S' }), '400 INVALID_DURATION');
  t.equal(codeOf({ ...base, duration: 'P1M' }), '400 INVALID_DURATION', 'months have no fixed length');
  t.equal(
    codeOf({ ...base, startAt: '2027-03-02T00:00:00Z', endAt: '2027-03-02T00:00:00Z' }),
    '422 INVALID_SCHEDULE_BOUNDS',
  );
  t.equal(codeOf({ ...base, duration: 'PT23H59M' }), undefined, 'weekday runs are at least 24 h apart');
  t.equal(
    codeOf({ ...base, duration: 'PT24H' }),
    '422 DURATION_OVERLAPS_NEXT_RUN',
    'a window must end before the next begins',
  );
  t.equal(codeOf({ ...base, cron: '*/5 * * * *', duration: 'PT5M' }), '422 DURATION_OVERLAPS_NEXT_RUN');
  t.equal(codeOf({ ...noSpec, interval: { every: 'PT10S' }, duration: 'PT10S' }), '422 DURATION_OVERLAPS_NEXT_RUN');
  t.equal(
    codeOf({ ...noSpec, interval: { every: 'PT10S', offset: 'PT10S' }, duration: 'PT5S' }),
    '422 INVALID_INTERVAL',
  );
  t.equal(codeOf({ ...noSpec, interval: { every: 'soon' } }), '400 INVALID_DURATION');
  t.equal(codeOf({ ...noSpec, at: '2027-02-28T00:00:00Z' }), '422 AT_NOT_IN_FUTURE');
  t.equal(
    codeOf({ ...noSpec, at: '2027-02-28T00:00:00Z' }, false),
    undefined,
    'an at left untouched by a PATCH may have fired',
  );
  t.equal(codeOf({ ...noSpec, at: '2027-04-13T12:00:00Z' }), undefined);
});

t.test('cron gaps honour the zone and the bounds', async (t) => {
  const hour = 3_600_000;
  t.equal(
    smallestCronGapMs('30 3 * * *', 'Europe/Berlin', new Date('2027-03-25T00:00:00Z')),
    23 * hour,
    'the short DST day counts',
  );
  t.equal(
    smallestCronGapMs('0 8 * * *', 'UTC', new Date(NOW), new Date(NOW + 30 * hour)),
    undefined,
    'one run before the end',
  );
});

t.test('spec and action', async (t) => {
  t.same(scheduleSpec({ ...base, startAt: '2027-03-24T00:00:00Z' }, 0), {
    cronExpressions: ['0 8 * * 1-5'],
    timezone: 'Europe/Berlin',
    startAt: new Date('2027-03-24T00:00:00Z'),
  });
  const { cron: _, ...noSpec } = base;
  t.same(scheduleSpec({ ...noSpec, interval: { every: 'PT6H', offset: 'PT1H' } }, 0), {
    intervals: [{ every: 6 * 3_600_000, offset: 3_600_000 }],
  });
  t.same(scheduleSpec({ ...noSpec, at: '2027-04-13T12:30:05Z' }, 0), {
    calendars: [{ year: 2027, month: 'APRIL', dayOfMonth: 13, hour: 12, minute: 30, second: 5 }],
    timezone: 'UTC',
  });
  t.equal(truncateToSecond('2027-04-13T14:30:05.900+02:00'), '2027-04-13T12:30:05Z');
  t.match(generateScheduleId('payments.a1b2c'), /^payments-[0-9a-f]{6}$/);

  const config = loadConfig({});
  const action = scheduleAction('office-hours', { ...base, reason: 'office' }, config, [], NO_LEAD);
  t.match(action, {
    workflowType: 'capacityWindowWorkflow',
    taskQueue: config.temporal.taskQueue,
    workflowId: 'capacity-window-payments.a1b2c@office-hours',
    memo: {
      window: { namespace: 'payments.a1b2c', trus: 4, scheduleId: 'office-hours' },
      schedule: { cron: '0 8 * * 1-5', timezone: 'Europe/Berlin' },
    },
  });
  t.same(
    action.args,
    [{ namespace: 'payments.a1b2c', trus: 4, duration: 'PT10H', reason: 'office', policy: config.policy }],
    'a duration, never an end',
  );
});

t.test(
  'the cron gap check looks nine years ahead: a leap-day cron sees the eight-year gap over 2100, and no further',
  async (t) => {
    const day = 24 * 3_600_000;
    // From 2095-03-01 the runs are 2096-02-29 and 2104-02-29 (2100 is no leap year); 2108 is past the horizon.
    t.equal(smallestCronGapMs('0 0 29 2 *', 'UTC', new Date('2095-03-01T00:00:00Z')), 2921 * day);
    t.equal(
      smallestCronGapMs('0 0 29 2 *', 'UTC', new Date('2026-11-26T00:00:00Z')),
      1461 * day,
      'four years otherwise',
    );
    t.equal(
      smallestCronGapMs('0 3 1 1 *', 'UTC', new Date('2026-11-26T00:00:00Z'), new Date('2027-06-01T00:00:00Z')),
      undefined,
      'one run before the end: no gap',
    );
  },
);

t.test('a lead: the spec fires that much before each run time the user asked for, and the run knows it', async (t) => {
  const lead = 3 * 60_000;
  const { cron: _, ...noSpec } = base;
  t.same(
    scheduleSpec({ ...base, startAt: '2027-03-24T00:00:00Z', endAt: '2027-04-24T00:00:00Z' }, lead),
    {
      cronExpressions: ['57 7 * * 1-5'],
      timezone: 'Europe/Berlin',
      startAt: new Date('2027-03-23T23:57:00Z'),
      endAt: new Date('2027-04-23T23:57:00Z'),
    },
    'the bounds move with the fire times, so the run at startAt still fires',
  );
  t.same(scheduleSpec({ ...noSpec, interval: { every: 'PT6H', offset: 'PT1H' } }, lead), {
    intervals: [{ every: 6 * 3_600_000, offset: 3_600_000 - lead }],
  });
  t.same(
    scheduleSpec({ ...noSpec, interval: { every: 'PT6H' } }, lead),
    { intervals: [{ every: 6 * 3_600_000, offset: 6 * 3_600_000 - lead }] },
    'an offset below zero wraps to the previous interval',
  );
  t.same(scheduleSpec({ ...noSpec, at: '2027-04-13T12:00:05Z' }, lead), {
    calendars: [{ year: 2027, month: 'APRIL', dayOfMonth: 13, hour: 11, minute: 57, second: 5 }],
    timezone: 'UTC',
  });

  const config = loadConfig({});
  const action = scheduleAction('office-hours', base, config, [], { ms: lead, notApplied: null });
  t.match(action.args, [{ scheduleLeadMs: lead }], "the run's window starts at its fire time + the lead");
  t.match(action.memo, { schedule: { lead: { ms: lead, notApplied: null } } });
  t.notOk('scheduleLeadMs' in (scheduleAction('office-hours', base, config, [], NO_LEAD).args?.[0] as object));
});
