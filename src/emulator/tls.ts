// Certificates for the emulator: the real Cloud Ops client always speaks TLS, so the emulator needs a CA the
// client can be told to trust, and a server certificate that CA signed.
import { mkdir, readFile, rename, stat, writeFile, access } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import path from 'node:path';
import { generate } from 'selfsigned';

export const EMULATOR_SERVER_NAME = 'cloud-ops-emulator.local';
const VALIDITY_YEARS = 20;

export interface EmulatorCertificates {
  caCertPath: string;
  serverCert: string;
  serverKey: string;
}

function files(tlsDir: string) {
  return {
    caCert: path.join(tlsDir, 'emulator-ca.pem'),
    caKey: path.join(tlsDir, 'emulator-ca.key'),
    serverCert: path.join(tlsDir, 'emulator-server.pem'),
    serverKey: path.join(tlsDir, 'emulator-server.key'),
    trustBundle: path.join(tlsDir, 'emulator-trust-bundle.pem'),
  };
}

/**
 * Generates the CA and server certificate into tlsDir unless a complete set is already there. The directory is the
 * service's own (0700): a set that someone else could have placed or read is never used.
 */
export async function ensureCertificates(tlsDir: string): Promise<EmulatorCertificates> {
  await mkdir(tlsDir, { recursive: true, mode: 0o700 });
  const dir = await stat(tlsDir);
  if (dir.uid !== process.getuid?.() || (dir.mode & 0o077) !== 0) {
    throw new Error(`emulator TLS directory ${tlsDir} must be owned by this user with mode 0700`);
  }
  const f = files(tlsDir);
  if (!(await allExist([f.caCert, f.caKey, f.serverCert, f.serverKey]))) await generateAll(tlsDir);
  const [serverCert, serverKey] = await Promise.all([readFile(f.serverCert, 'utf8'), readFile(f.serverKey, 'utf8')]);
  return { caCertPath: f.caCert, serverCert, serverKey };
}

/** Writes the emulator CA plus Node's bundled roots into one PEM file and returns its path. */
export async function ensureEmulatorTrust(tlsDir: string): Promise<{ caCertPath: string; trustBundlePath: string }> {
  const { caCertPath } = await ensureCertificates(tlsDir);
  const trustBundlePath = files(tlsDir).trustBundle;
  const ca = await readFile(caCertPath, 'utf8');
  await writeAtomically(trustBundlePath, [ca.trim(), ...rootCertificates].join('\n') + '\n');
  return { caCertPath, trustBundlePath };
}

async function generateAll(tlsDir: string): Promise<void> {
  const f = files(tlsDir);
  const notBeforeDate = new Date(Date.now() - 24 * 3600 * 1000);
  const notAfterDate = new Date(notBeforeDate.getTime() + VALIDITY_YEARS * 365 * 24 * 3600 * 1000);
  const ca = await generate([{ name: 'commonName', value: 'Capacity Scheduler Cloud Ops Emulator CA' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const server = await generate([{ name: 'commonName', value: EMULATOR_SERVER_NAME }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: EMULATOR_SERVER_NAME },
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  // The CA certificate is written last: its presence with the others marks a complete set.
  await writeAtomically(f.serverKey, server.private, 0o600);
  await writeAtomically(f.serverCert, server.cert);
  await writeAtomically(f.caKey, ca.private, 0o600);
  await writeAtomically(f.caCert, ca.cert);
}

// Another process (the app and the emulator may share tlsDir) must never read a half-written PEM.
async function writeAtomically(file: string, content: string, mode = 0o644): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, content, { mode });
  await rename(tmp, file);
}

async function allExist(paths: string[]): Promise<boolean> {
  const results = await Promise.all(
    paths.map((p) =>
      access(p).then(
        () => true,
        () => false,
      ),
    ),
  );
  return results.every(Boolean);
}
