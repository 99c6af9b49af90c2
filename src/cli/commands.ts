// The command table of capacityctl. Each command names its positional arguments and options, turns them into one
// API request, and renders the answer for people. A new subcommand (window cancel, window extend) is one entry.
import type { CapacityChange, CapacityChangeAccepted } from '../api/routes/capacity-changes/schema.js';
import type {
  CapacitySchedule,
  CapacityScheduleCreated,
  CapacityScheduleList,
  ScheduleTriggered,
} from '../api/routes/capacity-schedules/schema.js';
import type { Diagnostics } from '../api/routes/diagnostics/schema.js';
import type { NamespaceCapacity } from '../api/routes/namespaces/schema.js';
import { checklistLines } from '../health/checklist.js';
import { reportCsv } from '../reports/csv.js';
import type { TruHoursReport } from '../reports/service.js';
import { EXIT, type Request } from './http.js';
import {
  acceptedLines,
  capacityLines,
  listLines,
  reportLines,
  scheduleCreatedLines,
  scheduleLines,
  triggeredLines,
  windowLines,
} from './output.js';

/** Every option any command takes; one type per name across commands. */
export const OPTIONS = {
  namespace: { type: 'string', value: 'NS', help: 'Temporal Cloud namespace id, <name>.<account>' },
  trus: { type: 'string', value: 'N', help: 'TRUs to provision (a positive integer)' },
  duration: { type: 'string', value: 'ISO', help: 'ISO 8601 duration, e.g. PT2H, PT90M, P1DT30M' },
  minutes: { type: 'string', value: 'M', help: 'duration in minutes' },
  'end-at': { type: 'string', value: 'RFC3339', help: 'end instant with a time zone' },
  'start-at': { type: 'string', value: 'RFC3339', help: 'begin later (phase SCHEDULED until then)' },
  reason: { type: 'string', value: 'TEXT', help: 'why; shown in alerts' },
  'requested-by': { type: 'string', value: 'NAME', help: 'who asks (default: $USER)' },
  wait: { type: 'boolean', help: 'follow the window until verified or failed' },
  cron: { type: 'string', value: 'EXPR', help: '5-field cron, read in --timezone' },
  timezone: { type: 'string', value: 'ZONE', help: 'IANA time zone of --cron (default UTC)' },
  every: { type: 'string', value: 'ISO', help: 'interval between runs' },
  offset: { type: 'string', value: 'ISO', help: 'offset of --every' },
  at: { type: 'string', value: 'RFC3339', help: 'one run at this instant' },
  id: { type: 'string', value: 'SLUG', help: 'schedule id (default: generated)' },
  note: { type: 'string', value: 'TEXT', help: 'note on the schedule' },
  paused: { type: 'boolean', help: 'create the schedule paused' },
  'cancel-running': { type: 'boolean', help: 'also cancel its running windows (they revert at once)' },
  'slack-test': { type: 'boolean', help: 'doctor: post a visible test message to the Slack webhook' },
  from: { type: 'string', value: 'RFC3339', help: 'report: start of the range (inclusive)' },
  to: { type: 'string', value: 'RFC3339', help: 'report: end of the range (exclusive)' },
  'group-by': { type: 'string', value: 'KEY', help: 'report: namespace (default), requestedBy or scheduleId' },
  csv: { type: 'boolean', help: 'report: print CSV instead of a table' },
} as const satisfies Record<string, { type: 'string' | 'boolean'; value?: string; help: string }>;
export type OptionName = keyof typeof OPTIONS;

export interface Input {
  /** Positional arguments by the names the command gives them. */
  args: Record<string, string>;
  opts: Partial<Record<OptionName, string | boolean>>;
}

export interface Command {
  /** Words that select it: "window create". */
  name: string;
  summary: string;
  args?: readonly string[];
  options?: readonly OptionName[];
  /** Options that must be given (checked before request()). */
  required?: readonly OptionName[];
  /** The API request; the API validates for real, this only catches what the API cannot see. */
  request(input: Input): Request | { error: string };
  /** Human output of a successful answer. */
  render(body: unknown, input: Input): string[];
  /** Follow the window the answer names until it is verified or failed. */
  watch?(input: Input): boolean;
  /** The JSON document printed for an answer without a body (204). */
  emptyAnswer?(input: Input): unknown;
  /** The exit code of a successful answer, when the answer itself can say "failed" (default 0). */
  exitCode?(body: unknown): number;
}

const WINDOWS = '/v1/capacity-changes';
const SCHEDULES = '/v1/capacity-schedules';
const enc = encodeURIComponent;
const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

export function positiveInteger(text: string | undefined): number | undefined {
  if (text === undefined || !/^[0-9]+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

export function createWindowRequest({ opts: o }: Input): Request | { error: string } {
  const trus = positiveInteger(str(o.trus));
  if (trus === undefined) return { error: `--trus must be a positive integer (got "${o.trus}")` };
  const ends = (['duration', 'end-at', 'minutes'] as const).filter((k) => o[k] !== undefined);
  if (ends.length !== 1) return { error: 'give exactly one of --duration, --end-at and --minutes' };
  let end: Record<string, unknown>;
  if (o.minutes !== undefined) {
    const minutes = positiveInteger(str(o.minutes));
    if (minutes === undefined) return { error: `--minutes must be a positive integer (got "${o.minutes}")` };
    end = { duration: `PT${minutes}M` };
  } else end = o.duration !== undefined ? { duration: o.duration } : { endAt: o['end-at'] };
  return {
    method: 'POST',
    path: WINDOWS,
    body: {
      namespace: o.namespace,
      trus,
      ...(o['start-at'] !== undefined && { startAt: o['start-at'] }),
      ...end,
      reason: o.reason ?? 'runbook: capacityctl',
      ...(o['requested-by'] !== undefined && { requestedBy: o['requested-by'] }),
    },
  };
}

function createScheduleRequest({ opts: v }: Input): Request | { error: string } {
  if (positiveInteger(str(v.trus)) === undefined)
    return { error: `--trus must be a positive integer (got "${v.trus}")` };
  if (v.offset !== undefined && v.every === undefined) return { error: '--offset goes with --every' };
  return {
    method: 'POST',
    path: SCHEDULES,
    body: {
      ...(v.id !== undefined && { id: v.id }),
      namespace: v.namespace,
      trus: Number(v.trus),
      duration: v.duration,
      ...(v.cron !== undefined && { cron: v.cron }),
      ...(v.every !== undefined && {
        interval: { every: v.every, ...(v.offset !== undefined && { offset: v.offset }) },
      }),
      ...(v.at !== undefined && { at: v.at }),
      ...(v.timezone !== undefined && { timezone: v.timezone }),
      ...(v.note !== undefined && { note: v.note }),
      ...(v.reason !== undefined && { reason: v.reason }),
      ...(v.paused === true && { paused: true }),
    },
  };
}

const schedulePath = (i: Input) => `${SCHEDULES}/${enc(i.args.id!)}`;
const noteBody = (i: Input) => (typeof i.opts.note === 'string' ? { body: { note: i.opts.note } } : {});

export const COMMANDS: readonly Command[] = [
  {
    name: 'window create',
    summary: 'start a capacity window (exactly one of --duration, --end-at, --minutes)',
    options: ['namespace', 'trus', 'duration', 'end-at', 'minutes', 'start-at', 'reason', 'requested-by', 'wait'],
    required: ['namespace', 'trus'],
    request: createWindowRequest,
    render: (b) => [
      ...acceptedLines(b as CapacityChangeAccepted),
      `follow it: capacityctl window watch '${(b as CapacityChangeAccepted).id}'`,
    ],
    watch: (i) => i.opts.wait === true,
  },
  {
    name: 'window show',
    summary: 'read a window: phase, steps, result',
    args: ['id'],
    request: (i) => ({ method: 'GET', path: `${WINDOWS}/${enc(i.args.id!)}` }),
    render: (b) => windowLines(b as CapacityChange),
  },
  {
    name: 'window watch',
    summary: 'follow a window until it is ACTIVE (verified), COMPLETED or FAILED',
    args: ['id'],
    request: (i) => ({ method: 'GET', path: `${WINDOWS}/${enc(i.args.id!)}` }),
    render: (b) => windowLines(b as CapacityChange),
    watch: () => true,
  },
  {
    name: 'window cancel',
    summary: 'end a window early: before its start nothing changes; while active the namespace goes back now',
    args: ['id'],
    options: ['reason', 'requested-by'],
    request: (i) => ({
      method: 'POST',
      path: `${WINDOWS}/${enc(i.args.id!)}/cancel`,
      body: {
        ...(typeof i.opts.reason === 'string' && { reason: i.opts.reason }),
        ...(typeof i.opts['requested-by'] === 'string' && { requestedBy: i.opts['requested-by'] }),
      },
    }),
    render: (b) => acceptedLines(b as CapacityChangeAccepted),
  },
  {
    name: 'window extend',
    summary: "move a window's end (exactly one of --end-at, --duration counted from its start)",
    args: ['id'],
    options: ['end-at', 'duration'],
    request: (i) => ({
      method: 'PATCH',
      path: `${WINDOWS}/${enc(i.args.id!)}`,
      body: typeof i.opts['end-at'] === 'string' ? { endAt: i.opts['end-at'] } : { duration: i.opts.duration },
    }),
    render: (b) => windowLines(b as CapacityChange),
  },
  {
    name: 'namespace capacity',
    summary: 'what the Cloud Ops API reports for a namespace now',
    args: ['namespace'],
    request: (i) => ({ method: 'GET', path: `/v1/namespaces/${enc(i.args.namespace!)}/capacity` }),
    render: (b) => capacityLines(b as NamespaceCapacity),
  },
  {
    name: 'doctor',
    summary:
      'preflight checklist of the setup (Temporal, search attributes, Cloud Ops key and namespaces, Slack); exits 1 when a check fails',
    options: ['namespace', 'slack-test'],
    request: (i) => {
      const query = new URLSearchParams();
      if (typeof i.opts.namespace === 'string') query.set('namespace', i.opts.namespace);
      if (i.opts['slack-test'] === true) query.set('slackTest', 'true');
      return { method: 'GET', path: `/v1/diagnostics${query.size > 0 ? `?${query}` : ''}` };
    },
    render: (b) => checklistLines(b as Diagnostics),
    exitCode: (b) => ((b as Diagnostics).ok ? EXIT.ok : EXIT.failed),
  },
  {
    name: 'report',
    summary: 'TRU-hours billed and used per namespace, requester or schedule over [--from, --to)',
    options: ['from', 'to', 'group-by', 'csv'],
    required: ['from', 'to'],
    request: (i) => {
      const query = new URLSearchParams({ from: String(i.opts.from), to: String(i.opts.to) });
      query.set('groupBy', str(i.opts['group-by']) ?? 'namespace');
      return { method: 'GET', path: `/v1/reports/tru-hours?${query}` };
    },
    render: (b, i) =>
      i.opts.csv === true
        ? reportCsv(b as TruHoursReport)
            .trimEnd()
            .split('\r\n')
        : reportLines(b as TruHoursReport),
  },
  {
    name: 'schedule create',
    summary: 'create a recurring or one-off schedule (exactly one of --cron, --every, --at)',
    options: [
      'namespace',
      'trus',
      'duration',
      'cron',
      'timezone',
      'every',
      'offset',
      'at',
      'id',
      'note',
      'reason',
      'paused',
    ],
    required: ['namespace', 'trus', 'duration'],
    request: createScheduleRequest,
    render: (b) => scheduleCreatedLines(b as CapacityScheduleCreated),
  },
  {
    name: 'schedule list',
    summary: 'list the schedules',
    request: () => ({ method: 'GET', path: SCHEDULES }),
    render: (b) => listLines((b as CapacityScheduleList).items),
  },
  {
    name: 'schedule show',
    summary: 'read a schedule: spec, next and recent runs',
    args: ['id'],
    request: (i) => ({ method: 'GET', path: schedulePath(i) }),
    render: (b) => scheduleLines(b as CapacitySchedule),
  },
  ...(['pause', 'unpause'] as const).map((verb): Command => ({
    name: `schedule ${verb}`,
    summary: verb === 'pause' ? 'stop new runs (missed runs are not made up)' : 'resume new runs',
    args: ['id'],
    options: ['note'],
    request: (i) => ({ method: 'POST', path: `${schedulePath(i)}/${verb}`, ...noteBody(i) }),
    render: (b) => scheduleLines(b as CapacitySchedule),
  })),
  {
    name: 'schedule trigger',
    summary: 'start one window of the schedule now',
    args: ['id'],
    request: (i) => ({ method: 'POST', path: `${schedulePath(i)}/trigger` }),
    render: (b) => triggeredLines(b as ScheduleTriggered),
  },
  {
    name: 'schedule delete',
    summary: 'delete a schedule; running windows continue unless --cancel-running',
    args: ['id'],
    options: ['cancel-running'],
    request: (i) => ({
      method: 'DELETE',
      path: `${schedulePath(i)}?cancelRunning=${i.opts['cancel-running'] === true}`,
    }),
    render: () => ['deleted'],
    emptyAnswer: (i) => ({ id: i.args.id, deleted: true, cancelRunning: i.opts['cancel-running'] === true }),
  },
];

/** The shortcut `capacityctl <namespace> <trus> <minutes>`: window create --minutes, then watch until verified. */
export const SHORTCUT = {
  name: 'window create',
  args: ['namespace', 'trus', 'minutes'] as const,
  options: ['reason', 'requested-by'] as const,
};
