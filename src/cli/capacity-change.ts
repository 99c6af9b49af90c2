// Runbook client: start a capacity window through the REST API and follow it until the change is live.
// Usage: tsx src/cli/capacity-change.ts <namespace> <trus> <minutes>
import { pathToFileURL } from 'node:url';

export const USAGE = 'usage: capacity-change <namespace> <trus> <minutes>   (env CAPACITY_SCHEDULER_URL, default http://127.0.0.1:8080)';
export const DEFAULT_URL = 'http://127.0.0.1:8080';

export const EXIT = { ok: 0, failed: 1, http: 2, usage: 64 } as const;

export interface Args {
  namespace: string;
  trus: number;
  minutes: number;
}

/** The part of GET /v1/capacity-changes/{id} this client follows. */
export interface WindowView {
  id: string;
  status: string;
  phase: string;
  steps: { step: string; outcome: string; at: string; detail?: string; asyncOperationId?: string }[];
}

function positiveInteger(text: string | undefined): number | undefined {
  if (text === undefined || !/^[0-9]+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

export function parseArgs(argv: readonly string[]): Args | { error: string } {
  if (argv.length !== 3) return { error: `expected 3 arguments, got ${argv.length}` };
  const [namespace, trusText, minutesText] = argv;
  const trus = positiveInteger(trusText);
  if (trus === undefined) return { error: `trus must be a positive integer (got "${trusText}")` };
  const minutes = positiveInteger(minutesText);
  if (minutes === undefined) return { error: `minutes must be a positive integer (got "${minutesText}")` };
  return { namespace, trus, minutes };
}

export function requestBody(args: Args) {
  return { namespace: args.namespace, trus: args.trus, duration: `PT${args.minutes}M`, reason: 'runbook: capacity-change' };
}

/** What changed between two polls, as lines to print: new steps first, then a phase change. */
export function progressLines(previous: WindowView | undefined, current: WindowView): string[] {
  const lines = current.steps.slice(previous?.steps.length ?? 0).map((s) => {
    const op = s.asyncOperationId ? ` [${s.asyncOperationId}]` : '';
    const detail = s.detail ? `: ${s.detail}` : '';
    return `  ${s.at} ${s.step} ${s.outcome}${op}${detail}`;
  });
  if (previous?.phase !== current.phase) lines.push(`phase ${current.phase} (workflow ${current.status})`);
  return lines;
}

/** Exit code once the window reached a state a runbook can act on, or undefined to keep polling. */
export function verdict(view: WindowView): number | undefined {
  // A window whose verification failed still holds until its end (to revert then): that is no success.
  if (view.steps.some((s) => s.step === 'VERIFY' && s.outcome === 'FAILED')) return EXIT.failed;
  if (view.phase === 'ACTIVE' || view.phase === 'COMPLETED') return EXIT.ok;
  if (view.phase === 'FAILED') return EXIT.failed;
  if (view.status !== 'RUNNING') return view.status === 'COMPLETED' ? EXIT.ok : EXIT.failed;
  return undefined;
}

export function formatHttpError(status: number, body: unknown): string {
  const e = body as { code?: unknown; message?: unknown } | null;
  if (e && typeof e.code === 'string' && typeof e.message === 'string') return `${e.code}: ${e.message}`;
  return `HTTP_${status}: unexpected answer from the Capacity Scheduler`;
}

class HttpError extends Error {}

async function call(url: string, init?: RequestInit): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  } catch (err) {
    throw new HttpError(`UNREACHABLE: ${url}: ${(err as Error).message}`);
  }
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) throw new HttpError(formatHttpError(res.status, body));
  return body;
}

async function main(argv: readonly string[], baseUrl: string): Promise<number> {
  const args = parseArgs(argv);
  if ('error' in args) {
    console.error(`${args.error}\n${USAGE}`);
    return EXIT.usage;
  }
  try {
    const started = (await call(`${baseUrl}/v1/capacity-changes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(requestBody(args)),
    })) as { id: string; links: { self: string } };
    console.log(started.id);

    let previous: WindowView | undefined;
    for (;;) {
      const view = (await call(`${baseUrl}${started.links.self}`)) as WindowView;
      for (const line of progressLines(previous, view)) console.log(line);
      previous = view;
      const code = verdict(view);
      if (code !== undefined) return code;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    console.error(err.message);
    return EXIT.http;
  }
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
