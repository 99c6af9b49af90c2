// Process entry. Reads config, arranges TLS trust for the emulator, then loads the service: grpc-js reads
// GRPC_DEFAULT_SSL_ROOTS_FILE_PATH once when it is first imported, so nothing that imports it may load first.
import os from 'node:os';
import path from 'node:path';
import { ConfigError, checkExposure, loadConfig, type Config } from './config.js';
import { ensureEmulatorTrust } from './emulator/tls.js';

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

const emulatorTlsDir = path.join(os.tmpdir(), 'capacity-scheduler', 'emulator-tls');
if (config.cloudOps.apiKey === null) {
  const trust = await ensureEmulatorTrust(emulatorTlsDir);
  process.env.GRPC_DEFAULT_SSL_ROOTS_FILE_PATH = trust.trustBundlePath;
}

const { runService } = await import('./service.js');
await runService(config, { emulatorTlsDir });
