import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import type { Activities } from '../activities/index.js';

/** The workflow bundle entry, whether we run from TypeScript sources (tsx) or compiled output. */
export function workflowsPath(): string {
  const ts = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
  return existsSync(ts) ? ts : fileURLToPath(new URL('../workflows/index.js', import.meta.url));
}

/** Bundling takes seconds and ~200 MB: do it once per process and share the result. */
let bundlePromise: Promise<WorkflowBundle> | undefined;
export function workflowBundle(): Promise<WorkflowBundle> {
  bundlePromise ??= bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: silentBundlerLogger });
  return bundlePromise;
}

const noop = () => undefined;
const silentBundlerLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: Activities;
  /** A prebuilt bundle (production image) or undefined to bundle now. */
  bundle?: WorkflowBundle;
}

export async function createWorker(opts: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: opts.activities,
    workflowBundle: opts.bundle ?? (await workflowBundle()),
    // Verification heartbeats every poll; a short graceful window lets a SIGTERM finish them cleanly.
    shutdownGraceTime: '10s',
  });
}
