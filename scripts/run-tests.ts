// `npm test`: starts ONE real Temporal dev server for the whole run, prepares the emulator's TLS trust, runs
// tap, and ends with a "N passed, N failed" line computed from tap's own result files.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureEmulatorTrust } from '../src/emulator/tls.js';
import { freePort, resolveTemporalCli, startDevServer } from '../src/local/dev-server.js';
import { searchAttributeRegistrations } from '../src/shared/search-attributes.js';


/** Counts the top-level test points of every file's TAP output (subtests count once, by their own line). */
export function countResults(dir: string): { passed: number; failed: number; skipped: number } {
  const totals = { passed: 0, failed: 0, skipped: 0 };
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((f) => (statSync(path.join(d, f)).isDirectory() ? walk(path.join(d, f)) : [path.join(d, f)]));
  for (const file of walk(dir).filter((f) => f.endsWith('.tap'))) {
    const lines = readFileSync(file, 'utf8').split('\n');
    for (const line of lines) {
      const m = /^(not )?ok \d+/.exec(line);
      if (!m) continue;
      if (/# (SKIP|TODO)/i.test(line)) totals.skipped++;
      else if (m[1]) totals.failed++;
      else totals.passed++;
    }
    // A file that crashed before its plan has no failing point of its own: count the crash.
    if (!lines.some((l) => /^(not )?ok \d+/.test(l)) || lines.some((l) => /^Bail out!/.test(l))) totals.failed++;
  }
  return totals;
}

const resultsDir = path.resolve('.tap/test-results');
rmSync(resultsDir, { recursive: true, force: true });
const tlsDir = path.join(os.tmpdir(), `capacity-scheduler-test-tls-${process.pid}`);
const trust = await ensureEmulatorTrust(tlsDir);
const server = await startDevServer({
  cli: resolveTemporalCli(process.env.TEMPORAL_CLI_PATH ?? null),
  port: await freePort(),
  uiPort: await freePort(),
  searchAttributes: searchAttributeRegistrations(),
});

const code = await new Promise<number>((resolve) => {
  const tap = spawn('npx', ['tap', ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: {
      ...process.env,
      TEST_TEMPORAL_ADDRESS: server.address,
      EMULATOR_TLS_DIR: tlsDir,
      GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: trust.trustBundlePath,
    },
  });
  tap.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
});
await server.stop();
rmSync(tlsDir, { recursive: true, force: true });

const { passed, failed, skipped } = countResults(resultsDir);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(code !== 0 ? code : failed > 0 || passed === 0 ? 1 : 0);
