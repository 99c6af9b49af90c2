// The cron shifter: a schedule fires PROVISIONING_LEAD before each run; the shifted cron plus the lead must be
// exactly the user's cron, or the shift is refused with a reason.
import { CronExpressionParser } from 'cron-parser';
import fc from 'fast-check';
import t from 'tap';
import { shiftCronEarlier } from '../../src/schedules/cron-shift.js';

const MINUTE = 60_000;
// A Monday, so that eight days cover every weekday and the wrap from Sunday to Saturday.
const FROM = Date.parse('2027-03-01T00:00:00Z');

/** Every minute of `days` days: the shifted cron fires at t exactly when the original fires at t + lead. */
function sameRuns(original: string, shifted: string, leadMinutes: number, days: number): boolean {
  const a = CronExpressionParser.parse(original, { tz: 'UTC' });
  const b = CronExpressionParser.parse(shifted, { tz: 'UTC' });
  for (let i = 0; i < days * 24 * 60; i++) {
    const t = FROM + i * MINUTE;
    if (a.includesDate(new Date(t + leadMinutes * MINUTE)) !== b.includesDate(new Date(t))) return false;
  }
  return true;
}

const list = (max: number) =>
  fc.uniqueArray(fc.integer({ min: 0, max }), { minLength: 1, maxLength: 4 }).map((v) => v.join(','));
const field = (max: number) => fc.oneof(list(max), fc.constant('*'), fc.constant(`*/${max === 59 ? 15 : 6}`));

t.test(
  'a shifted cron fires exactly the lead before every run of the original (random minutes and hours)',
  async () => {
    fc.assert(
      fc.property(field(59), field(23), fc.integer({ min: 1, max: 90 }), (minute, hour, lead) => {
        const cron = `${minute} ${hour} * * *`;
        const shift = shiftCronEarlier(cron, lead);
        return !('cron' in shift) || sameRuns(cron, shift.cron, lead, 2);
      }),
      { numRuns: 60 },
    );
  },
);

t.test('with a day of the week, a run moved before midnight moves to the day before', async () => {
  // Runs just after midnight, often enough that many shifts move a run to the day before.
  const minutes = fc.oneof(list(59), list(9));
  const hours = fc.oneof(list(23), fc.constant('0'));
  fc.assert(
    fc.property(minutes, hours, list(6), fc.integer({ min: 1, max: 59 }), (minute, hour, dow, lead) => {
      const cron = `${minute} ${hour} * * ${dow}`;
      const shift = shiftCronEarlier(cron, lead);
      return !('cron' in shift) || sameRuns(cron, shift.cron, lead, 8);
    }),
    { numRuns: 40 },
  );
});

t.test('one minute a day, every day: the shift is always possible', async () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 59 }), list(23), fc.integer({ min: 1, max: 59 }), (minute, hour, lead) => {
      const shift = shiftCronEarlier(`${minute} ${hour} * * *`, lead);
      return 'cron' in shift;
    }),
    { numRuns: 100 },
  );
});

t.test('the shifted crons, as a reader would write them', async (t) => {
  const shifted = (cron: string, lead: number) => shiftCronEarlier(cron, lead);
  t.same(shifted('0 8 * * 1-5', 3), { cron: '57 7 * * 1-5' }, 'an hour borrowed');
  t.same(shifted('30 8 * * 1-5', 3), { cron: '27 8 * * 1-5' }, 'the same hour');
  t.same(shifted('0 * * * *', 3), { cron: '57 * * * *' }, '* stays *');
  t.same(shifted('*/20 * * * *', 3), { cron: '17,37,57 * * * *' }, 'a step becomes a list');
  t.same(shifted('15,45 9-17 * * *', 3), { cron: '12,42 9-17 * * *' });
  t.same(shifted('0 9-17 * * *', 3), { cron: '57 8-16 * * *' });
  t.same(shifted('0 0 * * mon-fri', 3), { cron: '57 23 * * 0-4' }, 'hour 0 wraps to 23 of the day before');
  t.same(shifted('0 0 * * 0', 3), { cron: '57 23 * * 6' }, 'Sunday wraps to Saturday');
  t.same(shifted('0 0 * * 7', 3), { cron: '57 23 * * 6' }, '7 is Sunday too');
  t.same(shifted('0 0 15 * *', 3), { cron: '57 23 14 * *' });
  t.same(shifted('0 0 * * *', 3), { cron: '57 23 * * *' }, 'every day: the day before is a day like any');
  t.same(shifted('0 8 1 * *', 3), { cron: '57 7 1 * *' }, 'no day borrowed: the day of the month stays');
});

t.test('where cron cannot say it, the shift is refused with why', async (t) => {
  const refused = (cron: string, lead: number, why: RegExp) => {
    const shift = shiftCronEarlier(cron, lead);
    t.ok('refused' in shift && why.test(shift.refused), `${cron} less ${lead} min: ${JSON.stringify(shift)}`);
  };
  refused('0 0 1 * *', 3, /day before the 1st/);
  refused('0 0 * 3 *', 3, /day before the 1st/);
  refused('0 0 * 3 1', 3, /day before the 1st of its month/);
  refused('0 0 31 * *', 3, /days some months do not have/);
  refused('0,30 8 * * *', 10, /no single-cron form/);
  refused('*/15 9-17 * * *', 3, /no single-cron form/);
  refused('0 0,12 * * 1', 3, /some runs .* day before and others not/);
  refused('0 * * * 1', 3, /some runs .* day before and others not/);
});
