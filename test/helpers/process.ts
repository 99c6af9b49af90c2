// Runs the real service entry (`node --import tsx src/main.ts`) as a child process, for the tests that kill
// or stop a process. The child inherits the test's environment (GRPC_DEFAULT_SSL_ROOTS_FILE_PATH trusts the
// emulator's CA) plus what the test gives.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServiceProcess {
  child: ChildProcess;
  /** Every stdout/stderr line so far. */
  lines: string[];
  /** Resolves with the exit code and signal once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGINT to the whole process group, as Ctrl-C in a terminal sends it (needs ownGroup). */
  interrupt(): void;
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>;
}

/** ownGroup: the service and its children (an embedded dev server) in a process group of their own, for interrupt(). */
export function spawnService(env: Record<string, string>, opts: { ownGroup?: boolean } = {}): ServiceProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, SDK_METRICS_PORT: '0', AUTH_DISABLED: 'true', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.ownGroup ?? false,
  });
  const lines: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      const parts = buf.split('\n');
      buf = parts.pop() ?? '';
      lines.push(...parts);
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    lines,
    exited,
    waitForLine: (re, timeoutMs = 60_000) =>
      waitFor(
        `a log line ${re}`,
        () => {
          const line = lines.find((l) => re.test(l));
          if (line !== undefined) return line;
          if (done) throw new Error(`the process exited before logging ${re}:\n${lines.slice(-20).join('\n')}`);
          return undefined;
        },
        timeoutMs,
      ),
    interrupt() {
      process.kill(-child.pid!, 'SIGINT');
    },
    async kill() {
      if (!done) {
        if (opts.ownGroup) process.kill(-child.pid!, 'SIGKILL');
        else child.kill('SIGKILL');
      }
      await exited;
    },
  };
}

export { freePort } from '../../src/local/dev-server.js';
