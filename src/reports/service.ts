// TRU-hours from Temporal visibility: the report over a range, grouped, and the figures of given windows (their
// status and list items). Every visibility page is walked; the rules themselves are in tru-hours.ts.
import type { Client } from '@temporalio/client';
import { ApiError, withTemporalDeadline } from '../api/plugins/errors.js';
import type { Config } from '../config.js';
import {
  ATTRIBUTION_RULE,
  BILLING_RULE,
  rounded,
  round6,
  truHoursOf,
  type Range,
  type TruFigures,
} from './tru-hours.js';
import { holdOf, holdsQuery, type WindowHold } from './visibility.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** The longest range one report covers. */
export const MAX_REPORT_DAYS = 366;
export const GROUP_BYS = ['namespace', 'requestedBy', 'scheduleId'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];

export interface ReportGroup extends TruFigures {
  key: string | null;
  windows: number;
}

export interface TruHoursReport {
  from: string;
  to: string;
  groupBy: GroupBy;
  billingRule: string;
  attributionRule: string;
  groups: ReportGroup[];
  totals: TruFigures & { windows: number };
}

/** A window's hold, enough to find the other windows it shared its namespace's hours with (untilMs null: held now). */
export type WindowRef = Pick<WindowHold, 'id' | 'namespace' | 'fromMs' | 'untilMs'>;

export const ZERO: TruFigures = { truHours: 0, usedTruHours: 0 };

export class ReportsService {
  private readonly temporal: Client;
  private readonly pageSize: number;
  private readonly leadMs: number;

  constructor({ temporal, config }: { temporal: Client; config: Config }) {
    this.temporal = temporal;
    this.pageSize = config.reports.pageSize;
    // Windows created under a longer lead than today's are still found: an hour of slack beyond it.
    this.leadMs = config.policy.provisioningLeadMs ?? 0;
  }

  /** The report a caller asked for: its range checked (422), then the report over it. */
  async truHoursReport(
    query: { from: string; to: string; groupBy: GroupBy },
    visible: (namespace: string) => boolean,
  ): Promise<TruHoursReport> {
    return this.truHours(reportRange(query.from, query.to), query.groupBy, visible);
  }

  /** The report over [from, to), grouped; `visible` leaves out namespaces the caller may not see. */
  async truHours(range: Range, groupBy: GroupBy, visible: (namespace: string) => boolean): Promise<TruHoursReport> {
    const nowMs = Date.now();
    const holds = (await this.holds(hoursAround(range))).filter((h) => visible(h.namespace));
    const figures = truHoursOf(holds, range, nowMs);
    const groups = new Map<string | null, ReportGroup>();
    for (const h of holds) {
      const f = figures.get(h.id);
      if (f === undefined || (f.truHours === 0 && f.usedTruHours === 0)) continue;
      const key = h[groupBy];
      const g = groups.get(key) ?? { key, truHours: 0, usedTruHours: 0, windows: 0 };
      g.truHours += f.truHours;
      g.usedTruHours += f.usedTruHours;
      g.windows += 1;
      groups.set(key, g);
    }
    const list = [...groups.values()]
      .map((g) => ({ ...g, ...rounded(g) }))
      .sort((a, b) => (a.key ?? '').localeCompare(b.key ?? '') || (a.key === null ? -1 : 1));
    const sum = (k: 'truHours' | 'usedTruHours') => round6([...groups.values()].reduce((x, g) => x + g[k], 0));
    return {
      from: new Date(range.fromMs).toISOString(),
      to: new Date(range.toMs).toISOString(),
      groupBy,
      billingRule: BILLING_RULE,
      attributionRule: ATTRIBUTION_RULE,
      groups: list,
      totals: { truHours: sum('truHours'), usedTruHours: sum('usedTruHours'), windows: list.reduce((x, g) => x + g.windows, 0) },
    };
  }

  /**
   * Each window's whole figures (every clock hour it held its namespace), from one walk of visibility over the
   * hours and namespaces they span; windows that never held their namespace need no query.
   */
  async figuresOf(held: readonly WindowRef[]): Promise<Map<string, TruFigures>> {
    if (held.length === 0) return new Map();
    const nowMs = Date.now();
    const fromMs = Math.min(...held.map((w) => w.fromMs));
    const toMs = Math.max(...held.map((w) => w.untilMs ?? nowMs));
    const span = hoursAround({ fromMs, toMs: Math.max(toMs, fromMs + 1) });
    const namespaces = [...new Set(held.map((w) => w.namespace))];
    const figures = truHoursOf(await this.holds(span, namespaces), span, nowMs);
    return new Map(held.map((w) => [w.id, rounded(figures.get(w.id) ?? ZERO)]));
  }

  /** Every window that may have held a namespace in the span, page after page. */
  private async holds(span: Range, namespaces?: string[]): Promise<WindowHold[]> {
    const query = holdsQuery(span, this.leadMs, namespaces);
    const { namespace } = this.temporal.options;
    const holds: WindowHold[] = [];
    let nextPageToken: Uint8Array = Buffer.alloc(0);
    do {
      const token = nextPageToken;
      const page = await withTemporalDeadline(this.temporal, () =>
        this.temporal.workflowService.listWorkflowExecutions({
          namespace,
          query,
          pageSize: this.pageSize,
          nextPageToken: token,
        }),
      );
      for (const raw of page.executions ?? []) {
        const hold = holdOf(raw);
        if (hold !== undefined) holds.push(hold);
      }
      nextPageToken = page.nextPageToken ?? Buffer.alloc(0);
    } while (nextPageToken.length > 0);
    return holds;
  }
}

/** A report's range from its RFC 3339 bounds: `to` after `from`, at most MAX_REPORT_DAYS apart. */
function reportRange(from: string, to: string): Range {
  const fromMs = Date.parse(from);
  const toMs = Date.parse(to);
  if (toMs <= fromMs) throw new ApiError(422, 'INVALID_TIME_RANGE', 'querystring.to must be after querystring.from');
  if (toMs - fromMs > MAX_REPORT_DAYS * DAY_MS)
    throw new ApiError(422, 'TIME_RANGE_TOO_LONG', `a report covers at most ${MAX_REPORT_DAYS} days`);
  return { fromMs, toMs };
}

/** The whole clock hours a range touches: each hour's bill depends on every window in it. */
function hoursAround(range: Range): Range {
  return {
    fromMs: Math.floor(range.fromMs / HOUR_MS) * HOUR_MS,
    toMs: Math.ceil(range.toMs / HOUR_MS) * HOUR_MS,
  };
}
