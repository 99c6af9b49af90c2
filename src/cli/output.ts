// Human output of capacityctl, and the verdict on a window. Pure functions over the API's answers.
import type { CapacityChange, CapacityChangeAccepted } from '../api/routes/capacity-changes/schema.js';
import type {
  CapacitySchedule,
  CapacityScheduleCreated,
  CapacityScheduleList,
  ScheduleTriggered,
} from '../api/routes/capacity-schedules/schema.js';
import type { NamespaceCapacity } from '../api/routes/namespaces/schema.js';
import type { TruHoursReport } from '../reports/service.js';
import { EXIT } from './http.js';

/** The part of GET /v1/capacity-changes/{id} that progress and verdict read. */
export type WindowView = Pick<CapacityChange, 'id' | 'status' | 'phase' | 'steps'> &
  Partial<Pick<CapacityChange, 'revertBlocked'>>;
type Step = CapacityChange['steps'][number];

function stepLine(s: Step): string {
  const op = s.asyncOperationId ? ` [${s.asyncOperationId}]` : '';
  const detail = s.detail ? `: ${s.detail}` : '';
  return `  ${s.at} ${s.step} ${s.outcome}${op}${detail}`;
}

function revertBlockedLine(b: NonNullable<CapacityChange['revertBlocked']>): string {
  return `  REVERT BLOCKED since ${b.since}, ${b.attempts} attempt(s): ${b.lastError} (the namespace may still be provisioned)`;
}

/** What changed between two polls, as lines to print: new steps first, then a phase change, then a blocked revert. */
export function progressLines(previous: WindowView | undefined, current: WindowView): string[] {
  const lines = current.steps.slice(previous?.steps.length ?? 0).map(stepLine);
  if (previous?.phase !== current.phase) lines.push(`phase ${current.phase} (workflow ${current.status})`);
  const blocked = current.revertBlocked;
  if (blocked && blocked.attempts !== previous?.revertBlocked?.attempts) lines.push(revertBlockedLine(blocked));
  return lines;
}

/** Exit code once the window reached a state a runbook can act on, or undefined to keep watching. */
export function verdict(view: WindowView): number | undefined {
  // A window whose verification failed still holds until its end (to revert then): that is no success.
  if (view.steps.some((s) => s.step === 'VERIFY' && s.outcome === 'FAILED')) return EXIT.failed;
  if (view.phase === 'ACTIVE' || view.phase === 'COMPLETED') return EXIT.ok;
  if (view.phase === 'FAILED') return EXIT.failed;
  if (view.status !== 'RUNNING') return view.status === 'COMPLETED' ? EXIT.ok : EXIT.failed;
  return undefined;
}

/** The last line of a watch: what the runbook can rely on now. */
export function verdictLine(view: WindowView, code: number): string {
  if (code === EXIT.ok)
    return view.phase === 'ACTIVE' ? `verified: ${view.id} is ACTIVE` : `done: ${view.id} is ${view.phase}`;
  return `failed: ${view.id} is ${view.phase} (workflow ${view.status})`;
}

export function acceptedLines(a: CapacityChangeAccepted): string[] {
  return [a.id, `phase ${a.phase} (workflow ${a.status})`];
}

type WindowDetail = Pick<
  CapacityChange,
  | 'id'
  | 'namespace'
  | 'trus'
  | 'startAt'
  | 'endAt'
  | 'reason'
  | 'requestedBy'
  | 'scheduleId'
  | 'status'
  | 'phase'
  | 'steps'
  | 'revertBlocked'
> & {
  result: Pick<NonNullable<CapacityChange['result']>, 'errors'> | null;
};

export function windowLines(w: WindowDetail): string[] {
  const end = w.endAt === null ? 'permanent' : `until ${w.endAt}`;
  return [
    w.id,
    `  ${w.namespace}: ${w.trus} TRUs from ${w.startAt} ${end}`,
    `  phase ${w.phase} (workflow ${w.status})`,
    ...(w.reason !== null ? [`  reason: ${w.reason}`] : []),
    ...(w.requestedBy !== null ? [`  requested by: ${w.requestedBy}`] : []),
    ...(w.scheduleId !== null ? [`  schedule: ${w.scheduleId}`] : []),
    ...w.steps.map(stepLine),
    ...(w.revertBlocked ? [revertBlockedLine(w.revertBlocked)] : []),
    ...(w.result ? w.result.errors.map((e) => `  error: ${e}`) : []),
  ];
}

/** The recommendation is optional here: an older API does not send one. */
const targetText = (t: { mode: string; trus?: number }) => (t.mode === 'ON_DEMAND' ? 'On-Demand' : `${t.trus} TRUs`);

export function capacityLines(
  c: Omit<NamespaceCapacity, 'recommendation' | 'drift'> & Partial<Pick<NamespaceCapacity, 'recommendation' | 'drift'>>,
): string[] {
  const rec = c.recommendation;
  const r = c.latestRequest;
  const d = c.drift;
  return [
    `${c.namespace}: ${c.mode === 'PROVISIONED' ? `PROVISIONED ${c.trus ?? '?'} TRUs` : 'ON_DEMAND'}`,
    ...(r
      ? [
          `  latest request ${r.state}${r.asyncOperationId ? ` [${r.asyncOperationId}]` : ''} ${r.startTime ?? '-'} → ${r.endTime ?? '-'}`,
        ]
      : []),
    `  valid TRU values: ${c.validTruValues.join(', ') || '-'}`,
    ...(c.maxAvailableTruValue !== null ? [`  max available now: ${c.maxAvailableTruValue}`] : []),
    ...(c.apsStats ? [`  actions/s: mean ${c.apsStats.mean}, p90 ${c.apsStats.p90}, p99 ${c.apsStats.p99}`] : []),
    ...(rec && rec.trus !== null
      ? [
          `  recommended: ${rec.trus} TRUs (p99 ${rec.basis.apsP99} APS / ${rec.basis.apsPerTru} per TRU${rec.cappedAt !== null ? `, capped at ${rec.cappedAt}` : ''})`,
        ]
      : []),
    ...(d
      ? [
          `  changed by hand at ${d.at}: expected ${targetText(d.expected)}, found ${targetText(d.found)} (DRIFT_POLICY=${d.policy}; windows ${d.windowIds.join(', ') || '-'})`,
        ]
      : []),
  ];
}

type ScheduleView = Pick<
  CapacitySchedule,
  | 'id'
  | 'namespace'
  | 'trus'
  | 'duration'
  | 'cron'
  | 'interval'
  | 'at'
  | 'timezone'
  | 'paused'
  | 'note'
  | 'nextActionTimes'
  | 'runningChangeIds'
  | 'actionsTaken'
  | 'actionsSkipped'
> & { recentActions: Pick<CapacitySchedule['recentActions'][number], 'scheduledAt' | 'changeId'>[] };

function specText(s: Pick<ScheduleView, 'cron' | 'interval' | 'at' | 'timezone'>): string {
  if (s.cron !== undefined) return `cron "${s.cron}" ${s.timezone}`;
  if (s.interval !== undefined)
    return `every ${s.interval.every}${s.interval.offset ? ` offset ${s.interval.offset}` : ''}`;
  return `once at ${s.at}`;
}

export function scheduleLines(s: ScheduleView): string[] {
  return [
    `${s.id}: ${s.namespace} ${s.trus} TRUs for ${s.duration}, ${specText(s)}${s.paused ? ' (PAUSED)' : ''}`,
    ...(s.note ? [`  note: ${s.note}`] : []),
    `  runs taken ${s.actionsTaken}, skipped ${s.actionsSkipped}`,
    ...s.nextActionTimes.map((t) => `  next ${t}`),
    ...s.recentActions.map(
      (a) => `  ran  ${a.scheduledAt} ${a.changeId}${s.runningChangeIds.includes(a.changeId) ? ' (running)' : ''}`,
    ),
  ];
}

export function listLines(items: CapacityScheduleList['items']): string[] {
  if (items.length === 0) return ['no capacity schedules'];
  return items.map(
    (i) =>
      `${i.id}\t${i.namespace}\t${i.trus} TRUs\t${i.duration}\t${i.paused ? 'PAUSED' : `next ${i.nextActionTime ?? '-'}`}`,
  );
}

export function scheduleCreatedLines(c: Pick<CapacityScheduleCreated, 'id' | 'nextActionTimes'>): string[] {
  return [c.id, ...c.nextActionTimes.map((t) => `  next ${t}`)];
}

export function triggeredLines(t: ScheduleTriggered): string[] {
  return [`${t.id}: window triggered at ${t.triggeredAt}`];
}

/** Control characters (ANSI escapes, carriage returns, backspaces) and bidi overrides stripped; newlines and tabs kept. */
export function inert(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g, '');
}

/** The TRU-hours report as a table: one row per group, then the totals. */
export function reportLines(r: TruHoursReport): string[] {
  const rows = [
    [r.groupBy, 'TRU-HOURS', 'USED', 'WINDOWS'],
    ...r.groups.map((g) => [g.key ?? '(none)', fixed(g.truHours), fixed(g.usedTruHours), String(g.windows)]),
    ['total', fixed(r.totals.truHours), fixed(r.totals.usedTruHours), String(r.totals.windows)],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (row: string[]) =>
    row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [`TRU-hours from ${r.from} to ${r.to}`, ...rows.map(line), `billing: ${r.billingRule}`];
}

const fixed = (n: number) => n.toFixed(3);
