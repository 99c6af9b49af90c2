// `npm run bench [-- --large] [-- --json]`: the benchmark suite (see bench/README.md).
// Like src/main.ts, this arranges TLS trust for the emulator BEFORE anything loads grpc-js (which reads
// GRPC_DEFAULT_SSL_ROOTS_FILE_PATH once), then loads the suite.
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureEmulatorTrust } from '../src/emulator/tls.js';
import { parseArgs } from './stats.js';

let args;
try {
  args = parseArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exit(64);
}

const tlsDir = path.join(os.tmpdir(), `capacity-scheduler-bench-tls-${process.pid}`);
const trust = await ensureEmulatorTrust(tlsDir);
process.env.GRPC_DEFAULT_SSL_ROOTS_FILE_PATH = trust.trustBundlePath;

const { runBench } = await import('./suite.js');
let code: number;
try {
  code = await runBench(args, tlsDir);
} catch (err) {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  code = 1;
} finally {
  rmSync(tlsDir, { recursive: true, force: true });
}
// The Temporal SDK's native runtime can keep the process alive after everything closed.
process.exit(code);
