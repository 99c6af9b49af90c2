import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleOption } from '@temporalio/worker';
import type { Activities } from '../activities/index.js';

/** The workflow bundle entry, whether we run from TypeScript sources (tsx) or compiled output. */
export function workflowsPath(): string {
  const ts = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
  return existsSync(ts) ? ts : fileURLToPath(new URL('../workflows/index.js', import.meta.url));
}

/** `npm run build` leaves the bundle beside the compiled workflows it was made from. */
export const PREBUILT_BUNDLE_NAME = 'bundle.js';

/**
 * Bundling takes seconds and ~200 MB: a compiled build uses the bundle made at build time; from sources,
 * bundle once per process and share the result.
 */
let bundlePromise: Promise<WorkflowBundleOption> | undefined;
export function workflowBundle(): Promise<WorkflowBundleOption> {
  const prebuilt = fileURLToPath(new URL(`../workflows/${PREBUILT_BUNDLE_NAME}`, import.meta.url));
  bundlePromise ??=
    workflowsPath().endsWith('.js') && existsSync(prebuilt)
      ? Promise.resolve({ codePath: prebuilt })
      : bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: silentBundlerLogger });
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
  bundle?: WorkflowBundleOption;
  /** null or undefined: the SDK's default, sized from the heap limit. */
  maxCachedWorkflows?: number | null;
}

export async function createWorker(opts: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: opts.activities,
    workflowBundle: opts.bundle ?? (await workflowBundle()),
    maxCachedWorkflows: opts.maxCachedWorkflows ?? undefined,
    // Verification heartbeats every poll; a short graceful window lets a SIGTERM finish them cleanly.
    shutdownGraceTime: '10s',
  });
}
