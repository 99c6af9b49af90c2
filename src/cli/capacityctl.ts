// capacityctl: the runbook client of the Capacity Scheduler API. `capacityctl --help` lists the commands, the
// options and the exit codes. Run it through bin/capacityctl.js (npx capacityctl, npm run capacityctl -- ...).
import { pathToFileURL } from 'node:url';
import type { Command, Input } from './commands.js';
import { ApiError, DEFAULT_URL, EXIT, UnreachableError, httpSender, type Request, type Send } from './http.js';
import { progressLines, verdict, verdictLine, type WindowView } from './output.js';
import { parse } from './parse.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export interface Deps {
  env: Record<string, string | undefined>;
  io: Io;
  /** Overrides the HTTP side (tests); default: fetch against the base URL. */
  send?: (baseUrl: string, token: string | undefined) => Send;
  sleep?: (ms: number) => Promise<void>;
  pollMs?: number;
}

/** The base URL from --url, else CAPACITY_SCHEDULER_URL, else the default; undefined when it is not an http(s) URL. */
export function resolveBaseUrl(flag: string | undefined, env: Record<string, string | undefined>): string | undefined {
  const raw = flag || env.CAPACITY_SCHEDULER_URL || DEFAULT_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return raw.replace(/\/+$/, '');
}

const isWindow = (b: unknown): b is WindowView =>
  typeof b === 'object' && b !== null && Array.isArray((b as WindowView).steps);

/** Polls the window until verdict() decides; prints progress unless json. Returns the exit code and the last view. */
async function watchWindow(
  first: unknown,
  send: Send,
  deps: Required<Pick<Deps, 'sleep' | 'pollMs'>> & { io: Io },
  json: boolean,
): Promise<{ code: number; view: WindowView }> {
  const id = (first as { id: string }).id;
  const path = (first as { links?: { self?: string } }).links?.self ?? `/v1/capacity-changes/${encodeURIComponent(id)}`;
  if (!json) deps.io.out(id);
  let previous: WindowView | undefined;
  try {
    let view: WindowView = isWindow(first) ? first : ((await send({ method: 'GET', path })).body as WindowView);
    for (;;) {
      if (!json) for (const line of progressLines(previous, view)) deps.io.out(line);
      const code = verdict(view);
      if (code !== undefined) {
        if (!json) deps.io.out(verdictLine(view, code));
        return { code, view };
      }
      previous = view;
      await deps.sleep(deps.pollMs);
      view = (await send({ method: 'GET', path })).body as WindowView;
    }
  } catch (err) {
    // The window goes on without us; say how to pick it up again.
    if (err instanceof Error)
      err.message += `\nthe window goes on; follow it again with: capacityctl window watch '${id}'`;
    throw err;
  }
}

async function execute(
  command: Command,
  input: Input,
  request: Request,
  send: Send,
  json: boolean,
  deps: Required<Pick<Deps, 'sleep' | 'pollMs'>> & { io: Io },
): Promise<number> {
  const answer = await send(request);
  const body = answer.body ?? command.emptyAnswer?.(input) ?? null;
  if (command.watch?.(input)) {
    const { code, view } = await watchWindow(body, send, deps, json);
    if (json) deps.io.out(JSON.stringify(view, null, 2));
    return code;
  }
  if (json) deps.io.out(JSON.stringify(body, null, 2));
  else for (const line of command.render(body, input)) deps.io.out(line);
  return command.exitCode?.(body) ?? EXIT.ok;
}

/** Runs one command line; returns the exit code. Never throws for API or network errors. */
export async function run(argv: readonly string[], deps: Deps): Promise<number> {
  const { env, io } = deps;
  // With a token the API takes requestedBy from the token's name (and refuses another one): no $USER default.
  const requester = env.CAPACITY_SCHEDULER_TOKEN ? undefined : env.USER || env.LOGNAME;
  const parsed = parse(argv, requester ? { 'requested-by': requester } : {});
  if (parsed.kind === 'help') {
    io.out(parsed.text);
    return EXIT.ok;
  }
  if (parsed.kind === 'usage') {
    io.err(`capacityctl: ${parsed.error}\n${parsed.text}`);
    return EXIT.usage;
  }
  const { command, input, request, json } = parsed;
  const baseUrl = resolveBaseUrl(parsed.url, env);
  if (baseUrl === undefined) {
    io.err(`capacityctl: the base URL must be an http(s) URL (got "${parsed.url || env.CAPACITY_SCHEDULER_URL}")`);
    return EXIT.usage;
  }
  const send = (deps.send ?? httpSender)(baseUrl, env.CAPACITY_SCHEDULER_TOKEN || undefined);
  const loop = {
    io,
    sleep: deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))),
    pollMs: deps.pollMs ?? 1_000,
  };
  try {
    return await execute(command, input, request, send, json, loop);
  } catch (err) {
    if (err instanceof ApiError) {
      if (json && err.body !== null) io.out(JSON.stringify(err.body, null, 2));
      io.err(err.message);
      return EXIT.http;
    }
    if (err instanceof UnreachableError) {
      io.err(err.message);
      return EXIT.unreachable;
    }
    throw err;
  }
}

/** The process entry: runs argv and exits with its code. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<never> {
  const io: Io = { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) };
  let code: number;
  try {
    code = await run(argv, { env: process.env, io });
  } catch (err) {
    console.error(err);
    code = EXIT.internal;
  }
  // Let stdout drain (a pipe may be slow) before exiting.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(code);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
