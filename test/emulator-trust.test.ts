// The emulator's certificates live in a private directory, only the emulator's own client trusts its CA (not the
// process's other gRPC connections), and its control plane listens on 127.0.0.1 whatever host the API uses.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { CloudOps } from '../src/cloud-ops/client.js';
import { startEmulator } from '../src/emulator/index.js';
import { ensureCertificates } from '../src/emulator/tls.js';

const API_KEY = 'emulator-trust-test-key';
const root = mkdtempSync(path.join(os.tmpdir(), 'emulator-trust-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

t.test('a CA of its own: the emulator client connects, a client without it does not', async (t) => {
  // Not the test runner's TLS dir: this CA is in no process-wide trust bundle.
  const tlsDir = path.join(root, 'private');
  const emu = await startEmulator({
    apiKey: API_KEY,
    namespaces: ['seeded.acct1'],
    applyDelayMs: 10,
    tlsDir,
    host: '0.0.0.0',
    controlPort: 0,
  });
  t.teardown(() => emu.close());
  t.equal(statSync(tlsDir).mode & 0o777, 0o700, 'the directory is 0700');
  t.match(emu.controlUrl, /^http:\/\/127\.0\.0\.1:\d+$/, 'the control plane binds 127.0.0.1');

  const trusted = CloudOps.forEmulator(emu, { apiKey: API_KEY, apiVersion: 'v0.19.1', callTimeoutMs: 5_000 });
  t.teardown(() => trusted.close());
  t.match(await trusted.getNamespace('seeded.acct1'), { namespace: 'seeded.acct1' });

  const other = CloudOps.create({
    address: emu.grpcAddress,
    apiKey: API_KEY,
    apiVersion: 'v0.19.1',
    serverNameOverride: emu.serverName,
    callTimeoutMs: 5_000,
  });
  t.teardown(() => other.close());
  await t.rejects(other.getNamespace('seeded.acct1'), 'a connection without the CA does not trust the emulator');
});

t.test('a certificate directory others can read or write is never used', async (t) => {
  const shared = path.join(root, 'shared');
  mkdirSync(shared, { mode: 0o755 });
  chmodSync(shared, 0o755);
  await t.rejects(ensureCertificates(shared), /must be owned by this user with mode 0700/);
});
