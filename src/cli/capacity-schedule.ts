// Runbook client for capacity schedules: a thin wrapper over /v1/capacity-schedules.
// Usage: tsx src/cli/capacity-schedule.ts <command> ...   (see USAGE)
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { DEFAULT_URL, EXIT, formatHttpError } from './capacity-change.js';

export const USAGE = `usage: capacity-schedule <command>   (env CAPACITY_SCHEDULER_URL, default ${DEFAULT_URL})
  create --namespace NS --trus N --duration ISO (--cron "EXPR" [--timezone ZONE] | --every ISO [--offset ISO] | --at RFC3339)
         [--id SLUG] [--note TEXT] [--reason TEXT] [--paused]
  list
  show <id>
  pause <id> [--note TEXT]
  unpause <id> [--note TEXT]
  trigger <id>
  delete <id> [--cancel-running]`;

const BASE = '/v1/capacity-schedules';

export interface Request {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: Record<string, unknown>;
}

const OPTIONS = {
  namespace: { type: 'string' },
  trus: { type: 'string' },
  duration: { type: 'string' },
  cron: { type: 'string' },
  every: { type: 'string' },
  offset: { type: 'string' },
  at: { type: 'string' },
  timezone: { type: 'string' },
  id: { type: 'string' },
  note: { type: 'string' },
  reason: { type: 'string' },
  paused: { type: 'boolean' },
  'cancel-running': { type: 'boolean' },
} as const;

/** The command as an HTTP request; the API does the real validation, this only catches what it cannot see. */
export function parseCommand(argv: readonly string[]): Request | { error: string } {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    return { error: (err as Error).message };
  }
  const { values: v, positionals } = parsed;
  const [command, id, ...extra] = positionals;
  if (extra.length > 0) return { error: `unexpected arguments: ${extra.join(' ')}` };
  const path = id === undefined ? BASE : `${BASE}/${encodeURIComponent(id)}`;
  const needsId = (r: Request): Request | { error: string } => (id === undefined ? { error: `${command} needs a schedule id` } : r);
  const noteBody = v.note === undefined ? {} : { body: { note: v.note } };

  switch (command) {
    case 'create': {
      if (id !== undefined) return { error: 'create takes --id, not a positional id' };
      if (!v.namespace || !v.trus || !v.duration) return { error: 'create needs --namespace, --trus and --duration' };
      if (!/^[0-9]+$/.test(v.trus)) return { error: `--trus must be a positive integer (got "${v.trus}")` };
      if (v.offset !== undefined && v.every === undefined) return { error: '--offset goes with --every' };
      return {
        method: 'POST',
        path: BASE,
        body: {
          ...(v.id !== undefined && { id: v.id }),
          namespace: v.namespace,
          trus: Number(v.trus),
          duration: v.duration,
          ...(v.cron !== undefined && { cron: v.cron }),
          ...(v.every !== undefined && { interval: { every: v.every, ...(v.offset !== undefined && { offset: v.offset }) } }),
          ...(v.at !== undefined && { at: v.at }),
          ...(v.timezone !== undefined && { timezone: v.timezone }),
          ...(v.note !== undefined && { note: v.note }),
          ...(v.reason !== undefined && { reason: v.reason }),
          ...(v.paused && { paused: true }),
        },
      };
    }
    case 'list':
      return id === undefined ? { method: 'GET', path: BASE } : { error: 'list takes no id' };
    case 'show':
      return needsId({ method: 'GET', path });
    case 'pause':
    case 'unpause':
      return needsId({ method: 'POST', path: `${path}/${command}`, ...noteBody });
    case 'trigger':
      return needsId({ method: 'POST', path: `${path}/trigger` });
    case 'delete':
      return needsId({ method: 'DELETE', path: `${path}?cancelRunning=${v['cancel-running'] ? 'true' : 'false'}` });
    default:
      return { error: command === undefined ? 'no command given' : `unknown command "${command}"` };
  }
}

/** The parts of a schedule this client prints. */
export interface ScheduleView {
  id: string;
  namespace: string;
  trus: number;
  duration: string;
  cron?: string;
  interval?: { every: string; offset?: string };
  at?: string;
  timezone: string;
  paused: boolean;
  note: string | null;
  nextActionTimes: string[];
  recentActions: { scheduledAt: string; changeId: string }[];
  runningChangeIds: string[];
  actionsTaken: number;
  actionsSkipped: number;
}

function specText(s: Pick<ScheduleView, 'cron' | 'interval' | 'at' | 'timezone'>): string {
  if (s.cron !== undefined) return `cron "${s.cron}" ${s.timezone}`;
  if (s.interval !== undefined) return `every ${s.interval.every}${s.interval.offset ? ` offset ${s.interval.offset}` : ''}`;
  return `once at ${s.at}`;
}

export function scheduleLines(s: ScheduleView): string[] {
  return [
    `${s.id}: ${s.namespace} ${s.trus} TRUs for ${s.duration}, ${specText(s)}${s.paused ? ' (PAUSED)' : ''}`,
    ...(s.note ? [`  note: ${s.note}`] : []),
    `  runs taken ${s.actionsTaken}, skipped ${s.actionsSkipped}`,
    ...s.nextActionTimes.map((t) => `  next ${t}`),
    ...s.recentActions.map((a) => `  ran  ${a.scheduledAt} ${a.changeId}${s.runningChangeIds.includes(a.changeId) ? ' (running)' : ''}`),
  ];
}

export interface ScheduleSummary {
  id: string;
  namespace: string;
  trus: number;
  duration: string;
  paused: boolean;
  nextActionTime: string | null;
}

export function listLines(items: ScheduleSummary[]): string[] {
  if (items.length === 0) return ['no capacity schedules'];
  return items.map((i) => `${i.id}\t${i.namespace}\t${i.trus} TRUs\t${i.duration}\t${i.paused ? 'PAUSED' : `next ${i.nextActionTime ?? '-'}`}`);
}

/** What to print for a successful answer. */
export function resultLines(request: Request, body: unknown): string[] {
  if (request.method === 'DELETE') return ['deleted'];
  if (request.path === BASE && request.method === 'GET') return listLines((body as { items: ScheduleSummary[] }).items);
  if (request.path === BASE) {
    const created = body as { id: string; nextActionTimes: string[] };
    return [created.id, ...created.nextActionTimes.map((t) => `  next ${t}`)];
  }
  if (request.path.endsWith('/trigger')) {
    const triggered = body as { id: string; triggeredAt: string };
    return [`${triggered.id}: window triggered at ${triggered.triggeredAt}`];
  }
  return scheduleLines(body as ScheduleView);
}

async function main(argv: readonly string[], baseUrl: string): Promise<number> {
  const request = parseCommand(argv);
  if ('error' in request) {
    console.error(`${request.error}\n${USAGE}`);
    return EXIT.usage;
  }
  let res: Response;
  try {
    res = await fetch(`${baseUrl}${request.path}`, {
      method: request.method,
      ...(request.body && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(request.body) }),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    console.error(`UNREACHABLE: ${baseUrl}: ${(err as Error).message}`);
    return EXIT.http;
  }
  const body: unknown = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    console.error(formatHttpError(res.status, body));
    return EXIT.http;
  }
  for (const line of resultLines(request, body)) console.log(line);
  return EXIT.ok;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const baseUrl = (process.env.CAPACITY_SCHEDULER_URL ?? DEFAULT_URL).replace(/\/+$/, '');
  main(process.argv.slice(2), baseUrl).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(EXIT.failed);
    },
  );
}
