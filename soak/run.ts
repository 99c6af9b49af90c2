// `npm run soak [-- --windows N --namespaces M --seed S --json --overlap]`: many short capacity windows with
// random faults, then a check of every window's result against what the emulator recorded (soak/README.md).
// Like src/main.ts, this arranges TLS trust for the emulator BEFORE anything loads grpc-js (which reads
// GRPC_DEFAULT_SSL_ROOTS_FILE_PATH once), then loads the soak.
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureEmulatorTrust } from '../src/emulator/tls.js';
import { parseArgs, type SoakArgs } from './args.js';

let args: SoakArgs;
try {
  args = parseArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`soak: ${(err as Error).message}\n`);
  process.exit(64);
}

const log = (msg: string) => process.stderr.write(`soak: ${msg}\n`);
const tlsDir = path.join(os.tmpdir(), `capacity-scheduler-soak-tls-${process.pid}`);
const trust = await ensureEmulatorTrust(tlsDir);
process.env.GRPC_DEFAULT_SSL_ROOTS_FILE_PATH = trust.trustBundlePath;

const { runSoak, formatReport } = await import('./soak.js');
let code: number;
try {
  const { code: c, figures } = await runSoak(args, tlsDir, log);
  code = c;
  process.stdout.write(`${formatReport(figures)}\n`);
  if (args.json) process.stdout.write(`${JSON.stringify(figures)}\n`);
} catch (err) {
  process.stderr.write(`soak failed: ${(err as Error).stack ?? String(err)}\n`);
  code = 2;
} finally {
  rmSync(tlsDir, { recursive: true, force: true });
}
// The Temporal SDK's native runtime can keep the process alive after everything closed.
process.exit(code);
