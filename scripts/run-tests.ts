// `npm test`: starts ONE real Temporal dev server for the whole run, prepares the emulator's TLS trust, runs
// tap, and ends with a "N passed, N failed" line computed from tap's own result files.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureEmulatorTrust } from '../src/emulator/tls.js';
import { freePort, resolveTemporalCli, startDevServer } from '../src/local/dev-server.js';
import { searchAttributeRegistrations } from '../src/shared/search-attributes.js';
import { countResults } from './tap-results.js';

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
