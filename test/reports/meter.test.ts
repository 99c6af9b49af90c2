// The TRU-hours counters: each clock hour counted once, after it is over and settled; never twice, never down.
import t from 'tap';
import { createMetrics } from '../../src/metrics.js';
import { TruHoursMeter } from '../../src/reports/meter.js';
import type { Range } from '../../src/reports/tru-hours.js';
import type { TruHoursReport } from '../../src/reports/service.js';

const H = 3_600_000;
const T0 = Date.parse('2026-12-07T10:20:00.000Z');
const SETTLE = 5 * 60_000;

t.test('an hour is counted once it is over and settled, and only once', async (t) => {
  const asked: Range[] = [];
  // Two TRUs for every hour asked about, on one namespace.
  const reports = {
    truHours: async (range: Range) => {
      asked.push(range);
      const hours = (range.toMs - range.fromMs) / H;
      const group = { key: 'ns.a1', truHours: 2 * hours, usedTruHours: 1.5 * hours, windows: 1 };
      return { groups: [group] } as unknown as TruHoursReport;
    },
  };
  const metrics = createMetrics();
  const meter = new TruHoursMeter(reports, metrics, SETTLE, T0);
  const value = async (name: string) =>
    (await metrics.registry.getSingleMetric(name)?.get())?.values.find((v) => v.labels.namespace === 'ns.a1')?.value ??
    0;

  await meter.tick(T0 + 30 * 60_000);
  t.same(asked, [], 'the hour in progress is not counted');
  await meter.tick(Date.parse('2026-12-07T11:04:00.000Z'));
  t.same(asked, [], 'over, but not settled yet');
  await meter.tick(Date.parse('2026-12-07T11:06:00.000Z'));
  t.same(asked, [{ fromMs: Date.parse('2026-12-07T10:00:00.000Z'), toMs: Date.parse('2026-12-07T11:00:00.000Z') }]);
  t.equal(await value('capacity_scheduler_tru_hours_total'), 2);
  t.equal(await value('capacity_scheduler_used_tru_hours_total'), 1.5);
  await meter.tick(Date.parse('2026-12-07T11:30:00.000Z'));
  t.equal(asked.length, 1, 'not counted twice');
  await meter.tick(Date.parse('2026-12-07T14:10:00.000Z'));
  t.same(asked[1], { fromMs: Date.parse('2026-12-07T11:00:00.000Z'), toMs: Date.parse('2026-12-07T14:00:00.000Z') });
  t.equal(await value('capacity_scheduler_tru_hours_total'), 8, 'three more hours of 2');
});
