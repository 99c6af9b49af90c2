import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  NativeConnection,
  Worker,
  bundleWorkflowCode,
  type BundleOptions,
  type WorkflowBundleOption,
} from '@temporalio/worker';
import type { Activities } from '../activities/index.js';

/** The workflow bundle entry, whether we run from TypeScript sources (tsx) or compiled output. */
export function workflowsPath(): string {
  const ts = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
  return existsSync(ts) ? ts : fileURLToPath(new URL('../workflows/index.js', import.meta.url));
}

/**
 * Every module of ours the workflow bundle holds: the workflows and the shared code they import. The SDK
 * instantiates a bundle's modules once per cached workflow (~40 KB each time for ours); preloaded, they are
 * instantiated once, before any workflow, and shared (their exports frozen). That is safe only for modules
 * without per-workflow state at their top level, which test/preload.test.ts holds them to.
 */
export function preloadedWorkflowModules(): string[] {
  const ext = path.extname(workflowsPath());
  return ['../workflows/', '../shared/'].flatMap((dir) => {
    const abs = fileURLToPath(new URL(dir, import.meta.url));
    return readdirSync(abs, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith(ext) && !f.endsWith(`.d${ext}`) && f !== PREBUILT_BUNDLE_NAME)
      .sort()
      .map((f) => path.join(abs, f));
  });
}

/** What every bundle of our workflows is made from: the dev-time bundle, the build's and the benchmark's. */
export function workflowBundlerOptions(): Pick<BundleOptions, 'workflowsPath' | 'preloadModules'> {
  return { workflowsPath: workflowsPath(), preloadModules: preloadedWorkflowModules() };
}

/**
 * The V8 flags the image runs the service with (the Dockerfile's CMD; NODE_OPTIONS refuses the first). After a
 * full collection, V8 lets an isolate's old generation grow up to 4 times what it kept before collecting again:
 * with 1,000 windows running, the workflow thread's heap reached 258 MB committed where its last full collection
 * had kept 114 MB. Collecting after 20 % growth took ~50 MB off the benchmark worker's peak. V8 also lets each
 * isolate's young generation grow to 16 MB a semi-space; 8 MB took another ~28 MB off the peak, where 4 MB made the
 * reverts late. Neither cost CPU that stood out of the machine's noise (bench/README.md, "Worker memory in the
 * scale phase").
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--heap-growing-percent=20', '--max-semi-space-size=8'];

/**
 * jemalloc's options in the image (the Dockerfile's MALLOC_CONF). By default it keeps 4 arenas per CPU, each
 * holding freed memory of its own; the service's allocations come from a few threads, and two arenas held ~11 MB
 * less at the benchmark worker's peak (126 MB resident for the same 108 MB allocated, against 137 MB).
 */
export const SERVICE_MALLOC_CONF = 'narenas:2';

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
      : bundleWorkflowCode({ ...workflowBundlerOptions(), logger: silentBundlerLogger });
  return bundlePromise;
}

const noop = () => undefined;
const silentBundlerLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

/**
 * How long a stopping worker lets its running activities finish before it cancels them: verification heartbeats
 * every poll, and a short graceful window lets a SIGTERM finish them cleanly. Kubernetes' terminationGracePeriodSeconds
 * for the worker (deploy/kubernetes/worker-deployment.yaml) is this plus 5 s, to cancel the rest and disconnect.
 */
export const WORKER_SHUTDOWN_GRACE_SECONDS = 10;

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: Activities;
  /** A prebuilt bundle (production image) or undefined to bundle now. */
  bundle?: WorkflowBundleOption;
  /** null or undefined: the SDK's default, sized from the heap limit. */
  maxCachedWorkflows?: number | null;
  /** CLOUD_OPS_MAX_REQUESTS_PER_SECOND: the task queue's activity rate is derived from it. */
  cloudOpsRequestsPerSecond: number;
}

/** The most Cloud Ops calls one activity makes outside verification (a read, an update, a re-read when stale). */
const CALLS_PER_ACTIVITY = 3;

/**
 * Activities the Temporal server lets start per second on the task queue, across every worker: half the account's
 * request rate for activities of up to CALLS_PER_ACTIVITY calls, the other half left to verification polls (at
 * most CLOUD_OPS_MAX_CONCURRENT_OPERATIONS of them, one call per checkDuration each).
 */
export function activitiesPerSecondFor(requestsPerSecond: number): number {
  return Math.max(1, Math.floor(requestsPerSecond / 2 / CALLS_PER_ACTIVITY));
}

export async function createWorker(opts: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: opts.activities,
    workflowBundle: opts.bundle ?? (await workflowBundle()),
    maxCachedWorkflows: opts.maxCachedWorkflows ?? undefined,
    // The account's request rate holds across every worker: the server enforces this for the whole task queue.
    maxTaskQueueActivitiesPerSecond: activitiesPerSecondFor(opts.cloudOpsRequestsPerSecond),
    shutdownGraceTime: `${WORKER_SHUTDOWN_GRACE_SECONDS}s`,
  });
}
