// What the container stages share: running docker, timing each step, an API token, and one window carried
// through a published port to a verified revert.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Runs a command; its output when it succeeds, an error with its stderr when it does not. */
export function run(command: string, args: string[], opts: SpawnSyncOptions = {}): string {
  const res = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (res.status !== 0) {
    const output = `${String(res.stdout ?? '')}${String(res.stderr ?? '')}`.slice(-4000);
    throw new Error(`${command} ${args.join(' ')} exited ${res.status ?? res.signal}:\n${output}`);
  }
  return String(res.stdout ?? '').trim();
}

export const docker = (...args: string[]) => run('docker', args);

export async function timed<T>(label: string, step: () => T | Promise<T>): Promise<T> {
  const t0 = Date.now();
  const out = await step();
  console.error(`container: ${label} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return out;
}

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** A fresh API token and a tokens file (API_TOKENS_FILE) in a new directory that a container can mount. */
export function makeToken(): { token: string; dir: string; file: string } {
  const token = randomBytes(32).toString('hex');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'capacity-scheduler-tokens-'));
  chmodSync(dir, 0o755);
  const file = path.join(dir, 'tokens.json');
  const sha256 = createHash('sha256').update(token).digest('hex');
  writeFileSync(file, JSON.stringify([{ name: 'ci', scopes: ['capacity:read', 'capacity:write'], sha256 }]));
  chmodSync(file, 0o644);
  return { token, dir, file };
}

export async function waitReady(baseUrl: string, timeoutMs: number): Promise<void> {
  await waitFor(`${baseUrl}/readyz`, timeoutMs, async () => ((await fetch(`${baseUrl}/readyz`)).ok ? true : undefined));
}

interface Window {
  id: string;
  status: string;
  phase: string;
  result: { verificationSuccess?: boolean; revertedToOnDemand?: boolean; revertVerificationSuccess?: boolean } | null;
}

/**
 * Creates a short window through the API, waits until it has ended, and fails unless its change and its revert
 * were both verified. The namespace is one the service's embedded emulator seeds On-Demand.
 */
export async function carryWindow(baseUrl: string, token: string, namespace: string): Promise<Window> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const created = await fetch(`${baseUrl}/v1/capacity-changes`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      namespace,
      trus: 4,
      duration: 'PT10S',
      acknowledgeShortWindow: true,
      reason: 'container stage',
    }),
  });
  if (created.status !== 202) throw new Error(`POST /v1/capacity-changes: ${created.status} ${await created.text()}`);
  const { id } = (await created.json()) as { id: string };
  const done = await waitFor(`window ${id} to end`, 120_000, async () => {
    const res = await fetch(`${baseUrl}/v1/capacity-changes/${encodeURIComponent(id)}`, { headers });
    const window = (await res.json()) as Window;
    return window.status === 'RUNNING' ? undefined : window;
  });
  const r = done.result;
  if (done.phase !== 'COMPLETED' || !r?.verificationSuccess || !r.revertedToOnDemand || !r.revertVerificationSuccess)
    throw new Error(`window ${id} did not end with a verified revert: ${JSON.stringify(done)}`);
  return done;
}

/** The emulator's own record of a namespace, read inside the container from its control plane. */
export function emulatedNamespace(container: string, namespace: string): { capacity: object; updates: unknown[] } {
  const script = `fetch('http://127.0.0.1:8099/namespaces/${namespace}').then((r) => r.text()).then(console.log)`;
  return JSON.parse(docker('exec', container, 'node', '-e', script)) as { capacity: object; updates: unknown[] };
}

/** Fails unless the emulator saw exactly the change and its revert, and the namespace is On-Demand again. */
export function checkReverted(container: string, namespace: string): void {
  const ns = emulatedNamespace(container, namespace);
  if (!('onDemand' in ns.capacity) || ns.updates.length !== 2)
    throw new Error(`the emulator does not show a change and its revert: ${JSON.stringify(ns)}`);
}
