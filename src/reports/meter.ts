// The TRU-hours counters of /metrics: each clock hour is counted once it is over and its holds are known, so the
// counters only go up and no hour is counted twice by one process (docs/api.md, "TRU-hours").
import { Counter } from 'prom-client';
import { METRIC_PREFIX, type Metrics } from '../metrics.js';
import type { ReportsService } from './service.js';

const HOUR_MS = 3_600_000;

export class TruHoursMeter {
  /** Hours before this are counted (or were over before this process started). */
  private countedUntil: number;
  private readonly billed: Counter<'namespace'>;
  private readonly used: Counter<'namespace'>;

  /** `settleMs`: how long after an hour its holds are all known (a change is reported once verified). */
  constructor(
    private readonly reports: Pick<ReportsService, 'truHours'>,
    metrics: Metrics,
    private readonly settleMs: number,
    startMs = Date.now(),
  ) {
    this.countedUntil = Math.floor(startMs / HOUR_MS) * HOUR_MS;
    const registers = [metrics.registry];
    this.billed = new Counter({
      name: `${METRIC_PREFIX}tru_hours_total`,
      help: 'TRU-hours billed under the hourly rule (GET /v1/reports/tru-hours truHours), per namespace, counted once each clock hour is over.',
      labelNames: ['namespace'],
      registers,
    });
    this.used = new Counter({
      name: `${METRIC_PREFIX}used_tru_hours_total`,
      help: 'TRU-hours the namespaces really had (usedTruHours), per namespace, counted once each clock hour is over.',
      labelNames: ['namespace'],
      registers,
    });
  }

  /** Counts the hours that are over and settled by `nowMs` and not counted yet. */
  async tick(nowMs = Date.now()): Promise<void> {
    const until = Math.floor((nowMs - this.settleMs) / HOUR_MS) * HOUR_MS;
    if (until <= this.countedUntil) return;
    const report = await this.reports.truHours({ fromMs: this.countedUntil, toMs: until }, 'namespace', () => true);
    for (const g of report.groups) {
      const namespace = g.key ?? '';
      if (g.truHours > 0) this.billed.inc({ namespace }, g.truHours);
      if (g.usedTruHours > 0) this.used.inc({ namespace }, g.usedTruHours);
    }
    this.countedUntil = until;
  }
}
