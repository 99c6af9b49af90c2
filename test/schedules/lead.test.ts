// How early a schedule fires: PROVISIONING_LEAD rounded up to what its spec can say, or not at all, saying why.
import t from 'tap';
import { scheduleLead } from '../../src/schedules/lead.js';
import type { ScheduleDefinition } from '../../src/schedules/spec.js';

const NOW = Date.parse('2027-03-01T00:00:00Z');
const HOUR = 3_600_000;
const base = { namespace: 'payments.a1b2c', trus: 4, duration: 'PT1H', timezone: 'UTC' };
const cron = (c: string): ScheduleDefinition => ({ ...base, cron: c });

t.test('applied: rounded up to whole minutes for a cron, whole seconds otherwise', async (t) => {
  t.same(scheduleLead(cron('0 8 * * *'), 180_000, 24 * HOUR, NOW), { ms: 180_000, notApplied: null });
  t.same(scheduleLead(cron('0 8 * * *'), 90_500, 24 * HOUR, NOW), { ms: 120_000, notApplied: null });
  const interval = { ...base, interval: { every: 'PT6H' } };
  t.same(scheduleLead(interval, 4_200, 6 * HOUR, NOW), { ms: 5_000, notApplied: null });
  t.same(scheduleLead({ ...base, at: '2027-03-01T00:10:00Z' }, 180_000, undefined, NOW), {
    ms: 180_000,
    notApplied: null,
  });
});

t.test('not applied, and why', async (t) => {
  t.same(scheduleLead(cron('0 8 * * *'), 0, 24 * HOUR, NOW), { ms: 0, notApplied: 'PROVISIONING_LEAD is 0' });
  t.match(scheduleLead(cron('0 0 1 * *'), 180_000, 28 * 24 * HOUR, NOW), {
    ms: 0,
    notApplied: /day before the 1st/,
  });
  t.match(
    scheduleLead({ ...base, at: '2027-03-01T00:02:00Z' }, 180_000, undefined, NOW),
    { ms: 0, notApplied: /at is less than the lead/ },
    'firing early would be in the past',
  );
  t.match(
    scheduleLead({ ...base, duration: 'PT59M', interval: { every: 'PT1H' } }, 180_000, HOUR, NOW),
    { ms: 0, notApplied: /too close together/ },
    'a run fired early while the previous window still holds would be skipped',
  );
});

t.test("a cron near the zone's clock change gets no lead: its shifted run would be lost or an hour off", async (t) => {
  const berlin = (c: string): ScheduleDefinition => ({ ...base, cron: c, timezone: 'Europe/Berlin' });
  // Berlin skips 02:00-03:00 on the last Sunday of March and repeats it on the last Sunday of October.
  for (const c of ['0 3 * * *', '2 3 * * *', '0 2 * * *', '30 2 * * 0'])
    t.match(
      scheduleLead(berlin(c), 180_000, 24 * HOUR, NOW),
      { ms: 0, notApplied: /clock change in Europe\/Berlin/ },
      c,
    );
  for (const c of ['0 4 * * *', '0 8 * * 1-5', '59 1 * * *'])
    t.same(scheduleLead(berlin(c), 60_000, 24 * HOUR, NOW), { ms: 60_000, notApplied: null }, c);
  t.same(
    scheduleLead(cron('0 3 * * *'), 180_000, 24 * HOUR, NOW),
    { ms: 180_000, notApplied: null },
    'UTC never changes',
  );
});
