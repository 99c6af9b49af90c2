// Process entry: reads the config, refuses unsafe combinations (exit 78), then runs the service.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, checkExposure, loadConfig, type Config } from './config.js';

let config: Config;
try {
  config = loadConfig();
  checkExposure(config);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`capacity-scheduler: ${err.message}\n`);
    process.exit(78);
  }
  throw err;
}

// The emulator's CA and keys: a fresh directory of this process (mkdtemp makes it 0700), gone when it exits.
const emulatorTlsDir =
  config.cloudOps.apiKey === null ? mkdtempSync(path.join(os.tmpdir(), 'capacity-scheduler-emulator-tls-')) : null;
if (emulatorTlsDir !== null) process.on('exit', () => rmSync(emulatorTlsDir, { recursive: true, force: true }));

const { runService } = await import('./service.js');
await runService(config, { emulatorTlsDir });
