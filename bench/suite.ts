// The benchmark proper. Starts the service's own local stack (src/local/stack.ts: a real Temporal dev server
// child, the Cloud Ops emulator over gRPC/TLS, the real Fastify app on a real port) in this process, the worker in
// a child as ROLE=worker runs it (bench/worker.ts), then measures. HTTP load comes from autocannon in a child
// process (bench/load.ts), so the load generator never shares the API's event loop; the raw Temporal
// baselines run here, on the app's own Client, so both sides use the same connection and process.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Client, type WorkflowHandle, WorkflowNotFoundError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import type { CapacityChange } from '../src/api/routes/capacity-changes/schema.js';
import type { CapacityReader } from '../src/cloud-ops/types.js';
import { loadConfig, type Config } from '../src/config.js';
import type { RunningEmulator } from '../src/emulator/index.js';
import { freePort } from '../src/local/dev-server.js';
import { startStack } from '../src/local/stack.js';
import { createLogger } from '../src/logger.js';
import { SERVICE_MALLOC_CONF, SERVICE_NODE_FLAGS } from '../src/worker/index.js';
import {
  CAPACITY_WINDOW_WORKFLOW,
  NAMESPACE_CONTROLLER_WORKFLOW,
  SA,
  controllerWorkflowId,
  parseIsoDuration,
  parseWindowId,
  progressQuery,
  windowWorkflowId,
  type CapacityWindowInput,
  type CapacityWindowResult,
  type WindowMemo,
} from '../src/shared/index.js';
import type { LoadResult, LoadSpec } from './load.js';
import type { WorkerSpec } from './worker.js';
import { cpuOfPid, findJemalloc, mallocOfPid, peakRssOfPid, resetPeakRss, rssOfPid } from './proc.js';
import { formatTable, mean, misses, peakOverlap, percentile, ratio, type BenchArgs, type Row } from './stats.js';

interface Sizes {
  /** Requests per create run (4 runs: raw, API, API, raw). */
  createRequests: number;
  /** Requests per status-read run (4 runs). */
  statusRequests: number;
  healthzRequests: number;
  /** Fixed concurrency of every load run, HTTP and raw alike. */
  concurrency: number;
  verifiedWindows: number;
  /** Phase 5 sizes, in order (the large run repeats the small size first, to show growth). */
  scale: number[];
  /** Phase 5: namespaces whose windows all end at the same moment (the fleet revert). */
  fleet: number;
  applyDelayMs: number;
}

const SMALL: Sizes = {
  createRequests: 300,
  statusRequests: 2000,
  healthzRequests: 5000,
  concurrency: 10,
  verifiedWindows: 50,
  scale: [100],
  fleet: 30,
  applyDelayMs: 500,
};
const LARGE: Sizes = {
  ...SMALL,
  createRequests: 1000,
  statusRequests: 5000,
  healthzRequests: 10000,
  verifiedWindows: 100,
  scale: [100, 1000],
};

const TINY: Sizes = {
  ...SMALL,
  createRequests: 40,
  statusRequests: 100,
  healthzRequests: 200,
  verifiedWindows: 8,
  scale: [10, 20],
  fleet: 12,
};

const WARMUP = 50;
/** Phase 4: new windows per second. */
const VERIFIED_ARRIVALS_PER_SECOND = 4;
/** Phase 5: the wall time a window's setup is budgeted on a saturated 2-CPU machine (see scaleRun). */
const SETUP_SECONDS_PER_WINDOW = 0.1;
/** Phase 5: windows per namespace. */
const WINDOWS_PER_NAMESPACE = 10;
const ACCOUNT = 'bench';
const BODY = { trus: 4, reason: 'benchmark', requestedBy: 'bench' } as const;
const here = path.dirname(fileURLToPath(import.meta.url));
const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * The worker's node flags: the image's (SERVICE_NODE_FLAGS), or, to compare, those of BENCH_WORKER_NODE_FLAGS
 * (`BENCH_WORKER_NODE_FLAGS=` for none, `BENCH_WORKER_NODE_FLAGS='--trace-gc --max-semi-space-size=1'`).
 */
const workerNodeFlagsWanted = process.env.BENCH_WORKER_NODE_FLAGS;
const workerNodeFlags =
  workerNodeFlagsWanted === undefined ? SERVICE_NODE_FLAGS : workerNodeFlagsWanted.split(/\s+/).filter(Boolean);
/** The worker's malloc: the image's (jemalloc) when this machine has it; BENCH_WORKER_MALLOC=glibc to compare. */
const workerMallocWanted = process.env.BENCH_WORKER_MALLOC;
/** jemalloc's options: the image's, or, to compare, those of MALLOC_CONF. */
const workerMallocConfWanted = process.env.MALLOC_CONF;
const workerMallocConf = workerMallocConfWanted ?? SERVICE_MALLOC_CONF;

function workerMallocEnv(): Record<string, string> {
  if (workerMallocWanted !== undefined && workerMallocWanted !== 'jemalloc' && workerMallocWanted !== 'glibc') {
    throw new Error(`BENCH_WORKER_MALLOC must be jemalloc or glibc (got "${workerMallocWanted}")`);
  }
  if (workerMallocWanted === 'glibc') return {};
  const lib = findJemalloc();
  if (lib === null && workerMallocWanted === 'jemalloc')
    throw new Error(
      'BENCH_WORKER_MALLOC=jemalloc, but libjemalloc.so.2 is not installed (apt-get install libjemalloc2)',
    );
  return lib === null ? {} : { LD_PRELOAD: lib, MALLOC_CONF: workerMallocConf };
}

const selfRssMB = () => process.memoryUsage().rss / 1024 / 1024;

/** Runs fn over items with a fixed number of workers; returns per-item latencies (ms) and the wall time (s). */
async function pool<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<unknown>,
): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++];
        const s = performance.now();
        await fn(item);
        // autocannon's HDR histogram keeps whole milliseconds: quantise the raw side the same way.
        latencies.push(Math.floor(performance.now() - s));
      }
    }),
  );
  return { latencies, seconds: (performance.now() - t0) / 1000 };
}

interface CpuSeconds {
  self: number;
  server: number;
  worker: number;
}

/** CPU seconds this process, the Temporal server and the worker spent while fn ran (the raw loops run here). */
async function withCpu<T>(stack: Stack, fn: () => Promise<T>): Promise<{ result: T } & CpuSeconds> {
  const pids = [process.pid, stack.serverPid, stack.workerPid()];
  const [self0, server0, worker0] = pids.map(cpuOfPid);
  const result = await fn();
  const [self1, server1, worker1] = pids.map(cpuOfPid);
  return { result, self: self1 - self0, server: server1 - server0, worker: worker1 - worker0 };
}

interface Stack {
  config: Config;
  client: Client;
  app: FastifyInstance;
  baseUrl: string;
  emulator: RunningEmulator;
  /** The API's Cloud Ops reads, each a workflow whose activity a worker runs (src/cloud-ops/budgeted-reader.ts). */
  reads: CapacityReader;
  /** The Temporal dev server's. */
  serverPid: number | undefined;
  /** Starts the worker in its own process (as ROLE=worker) and resolves once it polls. */
  startWorker(): Promise<void>;
  /** Drains and stops the worker, if one runs. */
  stopWorker(): Promise<void>;
  workerPid(): number | undefined;
  close(): Promise<void>;
  logFile: string;
}

/**
 * `node --cpu-prof` is not allowed in NODE_OPTIONS, so a profiled bench process hands its own --cpu-prof*
 * flags to its children (worker, autocannon, bundler): each writes its own profile into the same directory.
 */
const profileArgv = process.execArgv.filter((a) => a.startsWith('--cpu-prof'));
const childExecArgv = ['--import', 'tsx', ...profileArgv];

/** Runs a TypeScript file of bench/ in a child process; resolves when it exits 0. */
function child(script: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [...childExecArgv, path.join(here, script), ...args], { stdio: 'inherit' });
    c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${script} exited with ${code}`))));
  });
}

async function startBenchStack(
  tlsDir: string,
  sizes: Sizes,
  workDir: string,
  workerMalloc: Record<string, string>,
): Promise<Stack> {
  // The production worker loads a prebuilt bundle too (npm run build); made in a child, off this process's RSS.
  // ... and runs compiled JavaScript (node dist/src/main.js), not TypeScript through tsx: both made in a child.
  const bundlePath = path.join(workDir, 'workflow-bundle.js');
  const jsDir = path.join(workDir, 'js');
  const bundle = child('bundle.ts', [bundlePath, jsDir]).then(() => bundlePath);
  bundle.catch(() => undefined);
  const cloudApiKey = `bench-cloud-key-${randomBytes(12).toString('hex')}`;
  const env: Record<string, string> = {
    TEMPORAL_TASK_QUEUE: `bench-${randomBytes(4).toString('hex')}`,
    TEMPORAL_CLOUD_API_KEY: cloudApiKey,
    VERIFY_TIMEOUT: '60s',
    REVERT_ALERT_AFTER: '30s',
    // Production's level; the lines go to a file, as they would go to a log shipper.
    LOG_LEVEL: 'info',
    // The benchmark's windows last seconds; the hourly guardrail is not what is measured.
    GUARDRAIL_MIN_WINDOW_DURATION: '0s',
    // No API tokens (one SHA-256 per request when on) and no rate limit, which would cap the load itself.
    AUTH_DISABLED: 'true',
    RATE_LIMIT_PER_MINUTE: '0',
    SDK_METRICS_PORT: '0',
    // The worker's cache may vary from run to run (`WORKER_MAX_CACHED_WORKFLOWS=300 npm run bench`), and so may
    // its node flags and its malloc (BENCH_WORKER_NODE_FLAGS and BENCH_WORKER_MALLOC, above).
    ...(process.env.WORKER_MAX_CACHED_WORKFLOWS !== undefined && {
      WORKER_MAX_CACHED_WORKFLOWS: process.env.WORKER_MAX_CACHED_WORKFLOWS,
    }),
  };
  // The stack: a dev server, the emulator and the API on free ports of 127.0.0.1; the worker runs in a child.
  const config = loadConfig({
    ...env,
    ...(process.env.TEMPORAL_CLI_PATH && { TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH }),
    TEMPORAL_DEV_SERVER_PORT: String(await freePort()),
    TEMPORAL_DEV_SERVER_UI_PORT: String(await freePort()),
    HOST: '127.0.0.1',
    PORT: '0',
    EMULATOR_CONTROL_PORT: '0',
    EMULATOR_APPLY_DELAY_MS: String(sizes.applyDelayMs),
  });
  const logFile = path.join(workDir, 'service.log');
  const logger = createLogger({
    level: 'info',
    secrets: [cloudApiKey],
    destination: pino.destination({ dest: logFile, sync: false }),
  });
  const stack = await startStack({
    config,
    logger,
    emulator: { apiKey: cloudApiKey, tlsDir, namespaces: [] },
    api: { listen: true },
  });
  const emulator = stack.emulator!;
  const api = stack.api!;

  let worker: ChildProcess | null = null;
  const stopWorker = async () => {
    const w = worker;
    if (w && w.exitCode === null) {
      const gone = new Promise((resolve) => w.once('exit', resolve));
      w.kill('SIGTERM');
      const timer = setTimeout(() => w.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(timer);
    }
  };
  return {
    config,
    client: api.client,
    app: api.app,
    baseUrl: api.baseUrl!,
    emulator,
    reads: api.capacity,
    serverPid: stack.devServer!.process.pid,
    logFile,
    workerPid: () => worker?.pid,
    async startWorker() {
      const specFile = path.join(workDir, 'worker.json');
      const spec: WorkerSpec = {
        env: { ...env, TEMPORAL_ADDRESS: stack.temporalAddress },
        emulator: {
          grpcAddress: emulator.grpcAddress,
          serverName: emulator.serverName,
          caCertPath: emulator.caCertPath,
        },
        bundlePath: await bundle,
        logFile: path.join(workDir, 'worker.log'),
      };
      writeFileSync(specFile, JSON.stringify(spec));
      const w = spawn(
        process.execPath,
        [...workerNodeFlags, ...profileArgv, path.join(jsDir, 'bench', 'worker.js'), specFile],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
          // Its malloc as the image's.
          env: { ...process.env, ...workerMalloc },
        },
      );
      worker = w;
      await new Promise<void>((resolve, reject) => {
        w.once('exit', (code) => reject(new Error(`the worker exited with ${code} before it was ready`)));
        // Kept in the work dir for what a flag makes V8 print (--trace-gc).
        const out = createWriteStream(path.join(workDir, 'worker.stdout'), { flags: 'a' });
        w.stdout!.on('data', (chunk: Buffer) => {
          out.write(chunk);
          if (chunk.toString().includes('ready')) resolve();
        });
      });
    },
    stopWorker,
    async close() {
      await stopWorker();
      await stack.close();
      logger.flush();
    },
  };
}

/** Cloud Ops calls the emulator has answered for the benchmark's account. */
function cloudOpsCalls(stack: Stack): number {
  return stack.emulator.state.stats()[ACCOUNT]?.requests ?? 0;
}

/**
 * Many namespaces of one account end at the same moment: their reverts queue for the account's budget. Returns,
 * per namespace, the common endAt -> the emulator fulfilled its revert (seconds).
 */
async function fleetRevertRun(stack: Stack, n: number, applyDelayMs: number): Promise<number[]> {
  const list = namespaces(stack, 'f', n);
  const rounds = Math.ceil(n / stack.config.policy.maxConcurrentOperations!);
  // Every raise verified before the common end, queued rounds included.
  const endMs = Date.now() + 20_000 + rounds * (applyDelayMs + 3_000);
  const endAt = new Date(endMs).toISOString();
  const ids: string[] = [];
  await pool(list, n, async (namespace) => ids.push(await postWindow(stack, { ...BODY, namespace, endAt })));
  await sleep(endMs - Date.now());
  const windows = await waitClosed(stack, ids, 300_000);
  const failed = windows.filter((w) => w.phase !== 'COMPLETED');
  if (failed.length)
    throw new Error(`fleet: ${failed.length} windows did not complete: ${failed[0].id} ${failed[0].phase}`);
  return list.map((ns) => {
    const req = stack.emulator.state.snapshot(ns).capacity.latestRequest;
    if (!req?.endTime) throw new Error(`fleet: namespace ${ns} has no finished revert`);
    return (req.endTime.getTime() - endMs) / 1000;
  });
}

/** Adds n fresh On-Demand namespaces to the emulator. */
function namespaces(stack: Stack, tag: string, n: number): string[] {
  const list = Array.from({ length: n }, (_, i) => `b${tag}-${String(i).padStart(5, '0')}.${ACCOUNT}`);
  for (const ns of list) stack.emulator.state.addNamespace(ns);
  return list;
}

/** One autocannon run in a child process. */
async function load(spec: LoadSpec, workDir: string): Promise<LoadResult> {
  const specFile = path.join(workDir, `load-${randomBytes(4).toString('hex')}.json`);
  const resultFile = `${specFile}.result`;
  writeFileSync(specFile, JSON.stringify(spec));
  await child('load.ts', [specFile, resultFile]);
  const result = JSON.parse(readFileSync(resultFile, 'utf8')) as LoadResult;
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(
      `autocannon saw failures: ${JSON.stringify({ statusCodes: result.statusCodes, errors: result.errors, timeouts: result.timeouts })}`,
    );
  }
  return result;
}

/**
 * The raw baseline of POST /v1/capacity-changes: the same workflow, id scheme, input, memo and search
 * attributes that the route builds (src/windows/start.ts) for a window starting at `startAt`, started directly.
 * The route also reads the namespace's capacity from Cloud Ops and validates the TRUs first: that is part of what
 * the API adds, so the baseline leaves it out. checkBaselineShape() warns when the two drift apart.
 */
function rawStart(stack: Stack, namespace: string, startAt: string, duration: string) {
  // As the route: a window without an Idempotency-Key gets its namespace and a random nonce as workflow id.
  const start = Date.parse(startAt);
  const endAt = new Date(start + (parseIsoDuration(duration) as number)).toISOString();
  const input: CapacityWindowInput = {
    namespace,
    trus: BODY.trus,
    duration,
    startAt,
    reason: BODY.reason,
    requestedBy: BODY.requestedBy,
    policy: stack.config.policy,
  };
  const memo = {
    window: { namespace, trus: BODY.trus, requestedBy: BODY.requestedBy, reason: BODY.reason },
    progress: { phase: 'SCHEDULED', startAt, endAt, steps: [], revertBlocked: null },
    created: { by: BODY.requestedBy, at: new Date().toISOString(), requestId: randomBytes(8).toString('hex') },
  } satisfies WindowMemo;
  return stack.client.workflow.start(CAPACITY_WINDOW_WORKFLOW, {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: windowWorkflowId(namespace, randomBytes(8).toString('hex')),
    args: [input],
    memo,
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    workflowIdConflictPolicy: 'FAIL',
    typedSearchAttributes: [
      { key: SA.namespace, value: namespace },
      { key: SA.trus, value: BODY.trus },
      { key: SA.phase, value: 'SCHEDULED' },
      { key: SA.startAt, value: new Date(start) },
      { key: SA.endAt, value: new Date(endAt) },
      { key: SA.requestedBy, value: BODY.requestedBy },
    ],
  });
}

/** Key paths of a JSON value, for comparing the shapes of two workflow starts. */
function shape(value: unknown, prefix = ''): string[] {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([k, v]) => [`${prefix}${k}`, ...shape(v, `${prefix}${k}.`)]);
  }
  return [];
}

/** The start's shape, from its started event: the worker may have rewritten the memo since. */
async function startedShape(client: Client, workflowId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const input = (started?.input?.payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p));
  const memo = Object.fromEntries(
    Object.entries(started?.memo?.fields ?? {}).map(([k, p]) => [k, defaultPayloadConverter.fromPayload(p)]),
  );
  const sa = Object.keys(started?.searchAttributes?.indexedFields ?? {}).filter((k) => k.startsWith('Capacity'));
  return [
    ...shape({ input, memo, taskQueue: started?.taskQueue?.name === undefined ? undefined : 'tq' }),
    ...sa.map((k) => `searchAttribute.${k}`),
  ].sort();
}

/** Empty when the raw baseline starts the same shape of workflow as the API; else the differences. */
async function checkBaselineShape(stack: Stack, apiWorkflowId: string, rawWorkflowId: string): Promise<string[]> {
  const [api, raw] = await Promise.all([
    startedShape(stack.client, apiWorkflowId),
    startedShape(stack.client, rawWorkflowId),
  ]);
  return [
    ...api.filter((k) => !raw.includes(k)).map((k) => `only API: ${k}`),
    ...raw.filter((k) => !api.includes(k)).map((k) => `only raw: ${k}`),
  ];
}

interface SideFigures {
  throughput: number;
  p50: number;
  p99: number;
  /** CPU milliseconds per request: this process (API or raw client), the Temporal server, the worker, the load generator. */
  cpuMs: CpuSeconds & { load: number };
}

interface RunFigures {
  count: number;
  seconds: number;
  p50: number;
  p99: number;
  /** CPU seconds over the run; load is 0 for the raw loop, which runs in this process. */
  cpu: CpuSeconds & { load: number };
}

/** Per-side figures over the ABBA runs: total requests / total time, mean of the runs' percentiles. */
function side(runs: RunFigures[]): SideFigures {
  const count = runs.reduce((a, r) => a + r.count, 0);
  const perRequest = (k: keyof RunFigures['cpu']) => (1000 * runs.reduce((a, r) => a + r.cpu[k], 0)) / count;
  return {
    throughput: count / runs.reduce((a, r) => a + r.seconds, 0),
    p50: mean(runs.map((r) => r.p50)),
    p99: mean(runs.map((r) => r.p99)),
    cpuMs: {
      self: perRequest('self'),
      server: perRequest('server'),
      worker: perRequest('worker'),
      load: perRequest('load'),
    },
  };
}

/** Where one request's CPU went, and how many of the machine's CPUs the side kept busy. */
const cpuNote = (s: SideFigures, self: string) => {
  const { self: a, server: b, worker: w, load: c } = s.cpuMs;
  const cores = ((a + b + w + c) * s.throughput) / 1000;
  return `${self} ${a.toFixed(2)} + Temporal server ${b.toFixed(2)} + worker ${w.toFixed(2)}${c > 0 ? ` + autocannon ${c.toFixed(2)}` : ''} ms/request (${cores.toFixed(1)} of ${os.cpus().length} CPUs busy)`;
};

/** The CPU per request a side costs the machine, the load generator left out. */
const serviceCpuMs = (s: SideFigures) => s.cpuMs.self + s.cpuMs.server + s.cpuMs.worker;

/** The API run's figures, with the CPU the load child measured over exactly its run (see LoadSpec.cpuPids). */
function apiRun(x: LoadResult): RunFigures {
  const [self, server, worker] = x.pidCpuSeconds;
  return {
    count: x.ok,
    seconds: x.durationSeconds,
    p50: x.latencyMs.p50,
    p99: x.latencyMs.p99,
    cpu: { self, server, worker, load: x.cpuSeconds },
  };
}

/** The raw loop's figures, with its CPU. */
function rawRun(r: { result: { latencies: number[]; seconds: number } } & CpuSeconds): RunFigures {
  const x = r.result;
  return {
    count: x.latencies.length,
    seconds: x.seconds,
    p50: percentile(x.latencies, 50),
    p99: percentile(x.latencies, 99),
    cpu: { self: r.self, server: r.server, worker: r.worker, load: 0 },
  };
}

async function getWindow(stack: Stack, id: string): Promise<CapacityChange> {
  const res = await fetch(`${stack.baseUrl}/v1/capacity-changes/${encodeURIComponent(id)}`);
  if (res.status !== 200) throw new Error(`GET ${id}: ${res.status} ${await res.text()}`);
  return (await res.json()) as CapacityChange;
}

/** Waits until every window is ACTIVE (applied, verified, holding). */
async function waitActive(stack: Stack, ids: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let left = ids;
  while (left.length > 0) {
    if (Date.now() > deadline)
      throw new Error(`${left.length} of ${ids.length} windows not ACTIVE after ${timeoutMs} ms`);
    await sleep(500);
    const windows = await Promise.all(left.map((id) => getWindow(stack, id)));
    const ended = windows.find((w) => w.status !== 'RUNNING');
    if (ended) throw new Error(`window ${ended.id} ended (${ended.phase}) before it was ACTIVE`);
    left = left.filter((_, i) => windows[i].phase !== 'ACTIVE');
  }
}

async function postWindow(stack: Stack, body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${stack.baseUrl}/v1/capacity-changes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 202) throw new Error(`POST: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

const stepAt = (w: CapacityChange, step: string, outcome = 'SUCCEEDED') => {
  const s = [...w.steps].reverse().find((x) => x.step === step && x.outcome === outcome);
  return s ? Date.parse(s.at) : Number.NaN;
};
const opTime = (stack: Stack, opId: string | null | undefined, which: 'startedTime' | 'finishedTime') => {
  if (!opId) return Number.NaN;
  const t = stack.emulator.state.getAsyncOperation(opId)[which];
  return t ? t.getTime() : Number.NaN;
};

/**
 * Waits until each window's workflow has closed, then returns each as GET shows it. While windows run it asks
 * Temporal visibility one count a second: polling GET for every window (as this did) put hundreds of API
 * requests and describes a second on the machine while the reverts it measures ran. A window visibility has
 * not caught up with is still found RUNNING by the GET round, which then polls the few left.
 */
async function waitClosed(stack: Stack, ids: string[], timeoutMs: number): Promise<CapacityChange[]> {
  const deadline = Date.now() + timeoutMs;
  const running = `WorkflowType = '${CAPACITY_WINDOW_WORKFLOW}' AND TaskQueue = '${stack.config.temporal.taskQueue}' AND ExecutionStatus = 'Running'`;
  let left = Number.POSITIVE_INFINITY;
  while (left > 0 && Date.now() < deadline) {
    left = (await stack.client.workflow.count(running)).count;
    if (left > 0) await sleep(1_000);
  }
  const done = new Map<string, CapacityChange>();
  while (done.size < ids.length) {
    if (Date.now() > deadline) {
      throw new Error(
        `${ids.length - done.size} of ${ids.length} windows still running after ${timeoutMs} ms; ${await stuckReport(stack)}`,
      );
    }
    await pool(
      ids.filter((id) => !done.has(id)),
      8,
      async (id) => {
        const w = await getWindow(stack, id);
        if (w.status !== 'RUNNING') done.set(id, w);
      },
    );
    if (done.size < ids.length) await sleep(1_000);
  }
  return ids.map((id) => done.get(id)!);
}

/**
 * What Temporal says of workflows that should have closed and did not: whether their workflow task waits for a
 * poller (SCHEDULED) or a worker took it and never answered (STARTED), and who polls the task queue. It named the
 * cause of phase 4's warm-up stalls: tasks behind a backlog of dead ones (backlogDrained).
 */
async function stuckReport(stack: Stack): Promise<string> {
  const { namespace, taskQueue } = stack.config.temporal;
  const parts: string[] = [];
  const when = (ts: { seconds?: unknown } | null | undefined) =>
    ts?.seconds ? new Date(Number(ts.seconds) * 1000).toISOString() : '-';
  try {
    const stuck = async function* () {
      for (const type of [CAPACITY_WINDOW_WORKFLOW, NAMESPACE_CONTROLLER_WORKFLOW]) {
        let n = 0;
        const query = `WorkflowType = '${type}' AND TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`;
        for await (const wf of stack.client.workflow.list({ query, pageSize: 2 })) {
          yield wf;
          if (++n === 2) break;
        }
      }
    };
    for await (const wf of stuck()) {
      const d = await stack.client.workflow.getHandle(wf.workflowId, wf.runId).describe();
      const task = d.raw.pendingWorkflowTask;
      parts.push(
        `${wf.workflowId}: ${d.historyLength} events, workflow task ${task ? `${['UNSPECIFIED', 'SCHEDULED', 'STARTED'][task.state ?? 0]} attempt ${task.attempt} scheduled ${when(task.scheduledTime)} started ${when(task.startedTime)}` : 'none'}, ${d.raw.pendingActivities?.length ?? 0} pending activities`,
      );
    }
    const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = proto.temporal.api.enums.v1.TaskQueueType;
    for (const [kind, taskQueueType] of [
      ['workflow', TASK_QUEUE_TYPE_WORKFLOW],
      ['activity', TASK_QUEUE_TYPE_ACTIVITY],
    ] as const) {
      const tq = await stack.client.workflowService.describeTaskQueue({
        namespace,
        taskQueue: { name: taskQueue },
        taskQueueType,
      });
      parts.push(
        `${kind} pollers: ${tq.pollers.map((p) => `${p.identity} last ${when(p.lastAccessTime)}`).join(', ') || 'none'}`,
      );
    }
  } catch (err) {
    parts.push(`(the report failed: ${(err as Error).message})`);
  }
  return parts.join('; ');
}

interface Lateness {
  /**
   * endAt -> the window's release answered (result.revertedAt): the namespace verified where it goes next, which
   * is the revert (and includes the emulator's operation time) for the last window of a namespace to end.
   */
  verified: number[];
  /** Per namespace: its last window's endAt -> the emulator fulfilled its revert, as Cloud Ops itself records it. */
  namespace: number[];
  /** endAt -> the revert's UpdateNamespace reached Cloud Ops: what the scheduler itself adds (windows that reverted). */
  requested: number[];
  /** endAt -> the workflow's end timer fired (WAIT SUCCEEDED). */
  timer: number[];
  /** The emulator finished the revert operation -> REVERT_VERIFY SUCCEEDED. */
  verify: number[];
}

function revertLateness(stack: Stack, windows: CapacityChange[]): Lateness {
  const out: Lateness = { verified: [], namespace: [], requested: [], timer: [], verify: [] };
  const lastEnd = new Map<string, number>();
  const finite = (list: number[], x: number) => Number.isFinite(x) && list.push(x);
  for (const w of windows) {
    const result = w.result as CapacityWindowResult | null;
    if (!result?.revertedAt || !w.endAt)
      throw new Error(`window ${w.id} did not revert: phase ${w.phase}, errors ${JSON.stringify(result?.errors)}`);
    const end = Date.parse(w.endAt);
    lastEnd.set(w.namespace, Math.max(end, lastEnd.get(w.namespace) ?? 0));
    out.verified.push((Date.parse(result.revertedAt) - end) / 1000);
    // A window whose namespace others still held reverted nothing itself (its release was answered at once).
    finite(out.requested, (opTime(stack, result.revertOperationId, 'startedTime') - end) / 1000);
    out.timer.push((stepAt(w, 'WAIT') - end) / 1000);
    finite(out.verify, (stepAt(w, 'REVERT_VERIFY') - opTime(stack, result.revertOperationId, 'finishedTime')) / 1000);
  }
  for (const [ns, end] of lastEnd) {
    const { capacity } = stack.emulator.state.snapshot(ns);
    const req = capacity.latestRequest;
    if ('provisioned' in capacity || !req?.endTime)
      throw new Error(`namespace ${ns} was not reverted to On-Demand: ${JSON.stringify(capacity)}`);
    out.namespace.push((req.endTime.getTime() - end) / 1000);
  }
  return out;
}

/** Milliseconds since the epoch of a protobuf Timestamp. */
const tsMs = (ts: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  ts ? Number(ts.seconds ?? 0) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6) : Number.NaN;

interface VerifyLags {
  /** The controller scheduled its verify activity -> a worker started it (free activity slots, polling). */
  queued: number[];
  /** The emulator finished the operation -> the controller's verify activity completed (polling, the read, the completion). */
  activity: number[];
  /** The verify activity completed -> the controller's next workflow task started. */
  controller: number[];
  /** That workflow task -> the window recorded the step (the controller's signal, then the window's own workflow task). */
  window: number[];
}

/**
 * Splits "operation finished -> the window's VERIFY (or REVERT_VERIFY) step SUCCEEDED" in three, from the
 * namespace controller's history (it runs the Cloud Ops activities and tells the windows by signal): the
 * verify activity, the controller's workflow task, the window's. The activity is the one for the window's
 * operation id. Read after the measurement, so the reads do not load the server while it is measured.
 */
async function verifyLags(stack: Stack, windows: CapacityChange[], which: 'apply' | 'revert'): Promise<VerifyLags> {
  const out: VerifyLags = { queued: [], activity: [], controller: [], window: [] };
  await pool(windows, 8, async (w) => {
    const result = w.result as CapacityWindowResult | null;
    const opId = which === 'apply' ? result?.applyOperationId : result?.revertOperationId;
    const finished = opTime(stack, opId, 'finishedTime');
    const recorded = stepAt(w, which === 'apply' ? 'VERIFY' : 'REVERT_VERIFY');
    if (!Number.isFinite(finished)) return;
    const events =
      (await stack.client.workflow.getHandle(controllerWorkflowId(w.namespace)).fetchHistory()).events ?? [];
    const verify = events.find((e) => {
      const a = e.activityTaskScheduledEventAttributes;
      if (a?.activityType?.name !== 'verifyCapacity' || !a.input?.payloads?.[0]) return false;
      return (
        (defaultPayloadConverter.fromPayload(a.input.payloads[0]) as { asyncOperationId?: string }).asyncOperationId ===
        opId
      );
    });
    const completedAt = verify
      ? events.findIndex(
          (e) => Number(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? -1) === Number(verify.eventId),
        )
      : -1;
    if (completedAt < 0) return;
    const completed = tsMs(events[completedAt].eventTime);
    const started = events.find(
      (e) => Number(e.activityTaskStartedEventAttributes?.scheduledEventId ?? -1) === Number(verify!.eventId),
    );
    if (started) out.queued.push((tsMs(started.eventTime) - tsMs(verify!.eventTime)) / 1000);
    const taskStarted = tsMs(events.slice(completedAt).find((e) => e.workflowTaskStartedEventAttributes)?.eventTime);
    out.activity.push((completed - finished) / 1000);
    if (Number.isFinite(taskStarted)) {
      out.controller.push((taskStarted - completed) / 1000);
      out.window.push((recorded - taskStarted) / 1000);
    }
  });
  return out;
}

interface HistoryCounts {
  /** The sampled windows, and their namespaces. */
  windows: number;
  namespaces: number;
  /** Events per window: its own history, and its share of its namespace controller's. */
  window: number;
  controller: number;
  /** Of those, memo and search attribute upserts: each is also a write to the server's visibility store. */
  upserts: number;
  /** Of those, timers started and cancelled. */
  timers: number;
  /** Workflow tasks per window (its own and its share of its controller's): each a round trip through the server. */
  tasks: number;
}

/**
 * What the windows cost the Temporal server, counted: history events per window, from the windows of a few
 * namespaces and those namespaces' controllers (each lived through the round in one run). Read after the
 * measurement, so the reads do not load the server while it is measured.
 */
async function historyCounts(
  stack: Stack,
  windows: CapacityChange[],
  sampleNamespaces: number,
): Promise<HistoryCounts> {
  const sampled = [...new Set(windows.map((w) => w.namespace))].slice(0, sampleNamespaces);
  const mine = windows.filter((w) => sampled.includes(w.namespace));
  const counts = { window: 0, controller: 0, upserts: 0, timers: 0, tasks: 0 };
  const tally = (events: proto.temporal.api.history.v1.IHistoryEvent[], into: 'window' | 'controller') => {
    counts[into] += events.length;
    counts.upserts += events.filter(
      (e) => e.workflowPropertiesModifiedEventAttributes || e.upsertWorkflowSearchAttributesEventAttributes,
    ).length;
    counts.timers += events.filter((e) => e.timerStartedEventAttributes || e.timerCanceledEventAttributes).length;
    counts.tasks += events.filter((e) => e.workflowTaskCompletedEventAttributes).length;
  };
  await pool(mine, 8, async (w) => {
    const { workflowId, runId } = parseWindowId(w.id)!;
    tally((await stack.client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [], 'window');
  });
  await pool(sampled, 4, async (ns) =>
    tally((await stack.client.workflow.getHandle(controllerWorkflowId(ns)).fetchHistory()).events ?? [], 'controller'),
  );
  const per = (x: number) => x / mine.length;
  return {
    windows: mine.length,
    namespaces: sampled.length,
    window: per(counts.window),
    controller: per(counts.controller),
    upserts: per(counts.upserts),
    timers: per(counts.timers),
    tasks: per(counts.tasks),
  };
}

/**
 * Waits until the task queue holds no workflow task: a terminated workflow's task no worker took yet stays in the
 * backlog until matching comes to hand it out and drops it. When phases 1-3 ran without a worker, the 5,100 of a
 * large run took 110 s to go, and phase 4's warm-up raced that drain and lost it three times in two days of runs
 * (bench/README.md). Now a worker runs them and little is left; the time it takes is logged.
 */
async function backlogDrained(stack: Stack, timeoutMs: number): Promise<void> {
  const { namespace, taskQueue } = stack.config.temporal;
  const started = performance.now();
  let left = Number.NaN;
  while (performance.now() - started < timeoutMs) {
    const { stats } = await stack.client.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      reportStats: true,
    });
    left = Number(stats?.approximateBacklogCount ?? 0);
    if (left === 0) {
      log(
        `the task queue's backlog drained ${((performance.now() - started) / 1000).toFixed(1)} s after the worker started`,
      );
      return;
    }
    await sleep(1_000);
  }
  throw new Error(`the task queue still holds ${left} workflow tasks ${timeoutMs / 1000} s after the worker started`);
}

async function terminateAll(stack: Stack, workflowIds: string[]): Promise<void> {
  await pool(workflowIds, 16, async (workflowId) => {
    try {
      await stack.client.workflow.getHandle(workflowId).terminate('benchmark: create/status phase done');
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  });
}

interface ScaleFigures {
  windows: number;
  /** Cloud Ops calls the emulator answered during the run (the API's and the worker's). */
  cloudOpsCalls: number;
  schedules: number | string;
  creationPerSecond: number;
  peakActive: number;
  /** From the first create to the last window's VERIFY SUCCEEDED; every window lasts durationSeconds. */
  allVerifiedAfterSeconds: number;
  durationSeconds: number;
  namespaces: number;
  /** The bench process: the API, the emulator and the bench driver. */
  rssBeforeMB: number;
  rssPeakMB: number;
  heapPeakMB: number;
  workerRssBeforeMB: number;
  workerRssPeakMB: number;
  serverRssBeforeMB: number;
  serverRssPeakMB: number;
  lateness: Lateness;
  revertLags: VerifyLags;
  history: HistoryCounts;
  /** CPU seconds from the first create to the last window closed, and that span's wall time. */
  cpu: { worker: number; server: number; api: number; load: number; wallSeconds: number };
}

export async function runBench(args: BenchArgs, tlsDir: string): Promise<number> {
  // Settled now, so that a wrong BENCH_WORKER_MALLOC fails before minutes of phases 1-3.
  const workerMalloc = workerMallocEnv();
  const sizes = args.large ? LARGE : args.tiny ? TINY : SMALL;
  const C = sizes.concurrency;
  const loadAtStart = os.loadavg()[0];
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'capacity-scheduler-bench-'));
  const started = new Date();
  const mode = args.large ? 'large' : args.tiny ? 'tiny' : 'small';
  log(`${mode} run; work dir ${workDir}`);
  let stack: Stack;
  try {
    stack = await startBenchStack(tlsDir, sizes, workDir, workerMalloc);
  } catch (err) {
    rmSync(workDir, { recursive: true, force: true });
    throw err;
  }
  const serverPid = stack.serverPid;
  const rows: Row[] = [];
  const cache = process.env.WORKER_MAX_CACHED_WORKFLOWS;
  const json: Record<string, unknown> = {
    mode,
    workerMaxCachedWorkflows: cache === undefined ? null : Number(cache),
    workerNodeFlags: workerNodeFlags.join(' '),
  };
  const notes: string[] = [];
  try {
    // ---- 1. create: API vs raw client.workflow.start, same workflow and input, same concurrency, ABBA order.
    // A create's TRU check is a Cloud Ops read that a worker runs (src/cloud-ops/budgeted-reader.ts), so a worker
    // runs phases 1-3. Their windows start in 30 days: each costs it one workflow task (its start timer), the raw
    // baseline's too, and none makes a change that would load the machine under the comparison.
    await stack.startWorker();
    const startAt = new Date(Date.now() + 30 * 24 * 3_600_000).toISOString();
    log('1/5 create throughput and latency');
    // The API process (this one), the Temporal server and the worker: the load child reads their CPU over its
    // exact run, in this order (apiRun).
    const cpuPids = () => [process.pid, serverPid, stack.workerPid()].filter((p): p is number => p !== undefined);
    const createNs = (tag: string, n: number) => namespaces(stack, tag, n + 2 * C + 8);
    const apiCreate = (nsList: string[], n: number) =>
      load(
        {
          url: stack.baseUrl,
          connections: C,
          amount: n,
          method: 'POST',
          body: { ...BODY, startAt, duration: 'PT1H' },
          namespaces: nsList,
          cpuPids: cpuPids(),
        },
        workDir,
      );
    // Every workflow phases 1-3 start, API and raw alike, to terminate before the worker starts.
    const used: string[] = [];
    const apiWorkflowIds = (ids: string[]) => ids.map((id) => parseWindowId(id)?.workflowId ?? id);
    const rawCreate = (nsList: string[], n: number) =>
      withCpu(stack, () =>
        pool(nsList.slice(0, n), C, async (ns) => used.push((await rawStart(stack, ns, startAt, 'PT1H')).workflowId)),
      );
    const warmApi = createNs('wa', WARMUP);
    const warmRaw = createNs('wr', WARMUP);
    const warm = await apiCreate(warmApi, WARMUP);
    used.push(...apiWorkflowIds(warm.ids));
    await rawCreate(warmRaw, WARMUP);
    const drift = await checkBaselineShape(stack, apiWorkflowIds(warm.ids)[0], used[used.length - 1]);
    if (drift.length > 0)
      notes.push(
        `The raw create baseline differs in shape from what the API starts: ${drift.join('; ')}. Update rawStart() in bench/suite.ts.`,
      );
    const apiRuns: RunFigures[] = [];
    const rawRuns: RunFigures[] = [];
    const apiIds: string[] = [...warm.ids];
    for (const [i, which] of (['raw', 'api', 'api', 'raw'] as const).entries()) {
      const nsList = createNs(`c${i}`, sizes.createRequests);
      if (which === 'api') {
        const r = await apiCreate(nsList, sizes.createRequests);
        apiIds.push(...r.ids);
        used.push(...apiWorkflowIds(r.ids));
        apiRuns.push(apiRun(r));
      } else {
        rawRuns.push(rawRun(await rawCreate(nsList, sizes.createRequests)));
      }
    }
    // Diagnostic, one run: the raw start preceded by the Cloud Ops read the route makes before starting, through the same budgeted reader.
    const readNs = createNs('cr', sizes.createRequests);
    const withRead = await withCpu(stack, () =>
      pool(readNs.slice(0, sizes.createRequests), C, async (ns) => {
        await stack.reads.readTruOptions(ns);
        used.push((await rawStart(stack, ns, startAt, 'PT1H')).workflowId);
      }),
    );
    const apiC = side(apiRuns);
    const rawC = side(rawRuns);
    const readC = side([rawRun(withRead)]);
    const createThroughputRatio = ratio(apiC.throughput, rawC.throughput);
    const createP99Ratio = ratio(apiC.p99, rawC.p99);
    const runsNote = `${sizes.createRequests} requests x 2 runs per side, concurrency ${C}`;
    rows.push(
      {
        section: '1',
        figure: 'create throughput, API / raw start',
        value: createThroughputRatio,
        target: { op: '>=', value: 0.9 },
        baseline: `API ${apiC.throughput.toFixed(0)}/s vs raw ${rawC.throughput.toFixed(0)}/s; ${runsNote}`,
      },
      {
        section: '1',
        figure: 'create p99 latency, API / raw start',
        value: createP99Ratio,
        target: { op: '<=', value: 1.2 },
        baseline: `API ${apiC.p99.toFixed(1)} ms vs raw ${rawC.p99.toFixed(1)} ms`,
      },
      {
        section: '1',
        figure: 'create p50 latency, API / raw start',
        value: ratio(apiC.p50, rawC.p50),
        baseline: `API ${apiC.p50.toFixed(1)} ms vs raw ${rawC.p50.toFixed(1)} ms`,
      },
      {
        section: '1',
        figure: 'create CPU per request, API side / raw side (load generator left out)',
        value: ratio(serviceCpuMs(apiC), serviceCpuMs(rawC)),
        baseline: `API: ${cpuNote(apiC, 'API process (with the in-process Cloud Ops emulator)')}; raw: ${cpuNote(rawC, 'bench process')}`,
      },
      {
        section: '1',
        figure: 'create throughput, API / (Cloud Ops read + raw start)',
        value: ratio(apiC.throughput, readC.throughput),
        baseline: `diagnostic, 1 run: ${readC.throughput.toFixed(0)}/s, p50 ${readC.p50.toFixed(1)} ms, p99 ${readC.p99.toFixed(1)} ms; the route reads the namespace's TRU options (one Cloud Ops call, in a read workflow whose activity the worker runs at the task queue's rate) before it starts`,
      },
    );
    Object.assign(json, {
      createThroughputRatio,
      createP99Ratio,
      createApiPerSecond: apiC.throughput,
      createRawPerSecond: rawC.throughput,
      createApiP99Ms: apiC.p99,
      createRawP99Ms: rawC.p99,
      createCpuMs: { api: apiC.cpuMs, raw: rawC.cpuMs },
    });

    // ---- 2. status: GET /v1/capacity-changes/{id} vs raw describe (what the route reads: one describe).
    log('2/5 status reads');
    /** ABBA: autocannon GETs of the windows against a raw read of the same runs, same concurrency, same count. */
    const compareStatus = async (ids: string[], rawRead: (h: WorkflowHandle) => Promise<unknown>) => {
      const paths = ids.map((id) => `/v1/capacity-changes/${encodeURIComponent(id)}`);
      const handles = ids.map((id) => {
        const p = parseWindowId(id)!;
        return stack.client.workflow.getHandle(p.workflowId, p.runId);
      });
      const apiStatus = () =>
        load(
          {
            url: stack.baseUrl,
            connections: C,
            amount: sizes.statusRequests,
            method: 'GET',
            paths,
            cpuPids: cpuPids(),
          },
          workDir,
        );
      const rawStatus = () => {
        const items = Array.from({ length: sizes.statusRequests }, (_, i) => handles[i % handles.length]);
        return withCpu(stack, () => pool(items, C, rawRead));
      };
      await load({ url: stack.baseUrl, connections: C, amount: WARMUP * 4, method: 'GET', paths }, workDir);
      await pool(
        Array.from({ length: WARMUP * 4 }, (_, i) => handles[i % handles.length]),
        C,
        rawRead,
      );
      const apiS: RunFigures[] = [];
      const rawS: RunFigures[] = [];
      for (const which of ['raw', 'api', 'api', 'raw'] as const) {
        if (which === 'api') {
          apiS.push(apiRun(await apiStatus()));
        } else {
          rawS.push(rawRun(await rawStatus()));
        }
      }
      return { apiSt: side(apiS), rawSt: side(rawS) };
    };
    const { apiSt, rawSt } = await compareStatus(apiIds, (h) => h.describe());
    const statusThroughputRatio = ratio(apiSt.throughput, rawSt.throughput);
    rows.push(
      {
        section: '2',
        figure: 'status throughput, API GET / raw describe',
        value: statusThroughputRatio,
        target: { op: '>=', value: 0.9 },
        baseline: `API ${apiSt.throughput.toFixed(0)}/s vs raw ${rawSt.throughput.toFixed(0)}/s; ${sizes.statusRequests} reads x 2 runs per side, concurrency ${C}`,
      },
      {
        section: '2',
        figure: 'status p99 latency, API GET / raw describe',
        value: ratio(apiSt.p99, rawSt.p99),
        baseline: `API ${apiSt.p99.toFixed(1)} ms vs raw ${rawSt.p99.toFixed(1)} ms`,
      },
      {
        section: '2',
        figure: 'status CPU per request, API side / raw side (load generator left out)',
        value: ratio(serviceCpuMs(apiSt), serviceCpuMs(rawSt)),
        baseline: `API: ${cpuNote(apiSt, 'API process')}; raw: ${cpuNote(rawSt, 'bench process')}`,
      },
    );
    Object.assign(json, {
      statusThroughputRatio,
      statusApiPerSecond: apiSt.throughput,
      statusRawPerSecond: rawSt.throughput,
      statusP99Ratio: ratio(apiSt.p99, rawSt.p99),
      statusCpuMs: { api: apiSt.cpuMs, raw: rawSt.cpuMs },
    });

    const statusRowsEnd = rows.length;

    // ---- 3. HTTP ceiling: /healthz on the same Fastify instance.
    log('3/5 HTTP ceiling (/healthz)');
    const hz = await load(
      { url: stack.baseUrl, connections: C, amount: sizes.healthzRequests, method: 'GET', paths: ['/healthz'] },
      workDir,
    );
    const healthzPerSecond = hz.ok / hz.durationSeconds;
    rows.push(
      {
        section: '3',
        figure: 'create throughput, API / HTTP ceiling',
        value: ratio(apiC.throughput, healthzPerSecond),
        baseline: `/healthz ${healthzPerSecond.toFixed(0)}/s, p99 ${hz.latencyMs.p99} ms (same Fastify instance)`,
      },
      {
        section: '3',
        figure: 'status throughput, API / HTTP ceiling',
        value: ratio(apiSt.throughput, healthzPerSecond),
        baseline: 'the HTTP layer alone is the upper bound',
      },
    );
    Object.assign(json, { healthzPerSecond, healthzP99Ms: hz.latencyMs.p99 });

    // A fresh worker for phases 4 and 5: this one's cache holds the windows of phases 1-3, which phase 5's worker
    // memory must not carry.
    log(`terminating the ${used.length} create-phase workflows, then restarting the worker`);
    await terminateAll(stack, used);
    await stack.stopWorker();
    await stack.startWorker();
    await backlogDrained(stack, 300_000);
    json.workerMalloc = mallocOfPid(stack.workerPid());
    if (json.workerMalloc === 'jemalloc') json.workerMallocConf = workerMallocConf;
    if (json.workerMalloc !== 'jemalloc') {
      notes.push(
        `The worker ran with ${json.workerMalloc} malloc, not the image's jemalloc (${workerMallocWanted === 'glibc' ? 'BENCH_WORKER_MALLOC=glibc' : 'libjemalloc2 is not installed here'}): its memory is not what the image's worker would use.`,
      );
    }

    // ---- 4. time to verified: the emulator fulfilling the apply -> the window's VERIFY step SUCCEEDED.
    log(`4/5 time to verified over ${sizes.verifiedWindows} windows`);
    // Warm-up, not counted: the worker's first workflow tasks and activities (isolate, connections).
    const warmNs = namespaces(stack, 'vw', 4);
    await waitClosed(
      stack,
      await Promise.all(warmNs.map((ns) => postWindow(stack, { ...BODY, namespace: ns, duration: 'PT3S' }))),
      120_000,
    );
    const vNs = namespaces(stack, 'v', sizes.verifiedWindows);
    // A steady arrival rate, the way requests come in: a latency, not a burst of every window at once (phase 5
    // measures bursts). With ~1.5 s from request to verified, about six windows are in flight at a time.
    const vIds = await Promise.all(
      vNs.map(async (ns, i) => {
        await sleep((i * 1000) / VERIFIED_ARRIVALS_PER_SECOND);
        return postWindow(stack, { ...BODY, namespace: ns, duration: 'PT6S' });
      }),
    );
    const vWindows = await waitClosed(stack, vIds, 120_000);
    const verifiedLag = vWindows.map(
      (w) =>
        (stepAt(w, 'VERIFY') -
          opTime(stack, (w.result as CapacityWindowResult | null)?.applyOperationId, 'finishedTime')) /
        1000,
    );
    const activeLag = vWindows.map((w) => (stepAt(w, 'VERIFY') - stepAt(w, 'APPLY', 'STARTED')) / 1000);
    if (verifiedLag.some((x) => !Number.isFinite(x)))
      throw new Error('a window has no VERIFY step or no apply operation');
    const verifiedP99Seconds = percentile(verifiedLag, 99);
    const vLags = await verifyLags(stack, vWindows, 'apply');
    rows.push(
      {
        section: '4',
        figure: 'time to verified p50 (s)',
        value: percentile(verifiedLag, 50),
        unit: ' s',
        baseline: `${vWindows.length} windows; from the emulator's operation finishedTime to VERIFY SUCCEEDED`,
      },
      {
        section: '4',
        figure: 'time to verified p99 (s)',
        value: verifiedP99Seconds,
        unit: ' s',
        target: { op: '<=', value: 1 },
        baseline: `the seed waited a fixed 120 s; emulator operation time ${sizes.applyDelayMs} ms not included`,
      },
      {
        section: '4',
        figure: 'APPLY started to VERIFY succeeded p50 (s)',
        value: percentile(activeLag, 50),
        unit: ' s',
        baseline: `includes the emulator's ${sizes.applyDelayMs} ms operation time`,
      },
      {
        section: '4',
        figure: 'time to verified: verify activity schedule-to-start p99 (s)',
        value: percentile(vLags.queued, 99),
        unit: ' s',
        baseline: 'the controller scheduled the verify activity -> the worker started it',
      },
      {
        section: '4',
        figure: 'time to verified: verify activity p99 (s)',
        value: percentile(vLags.activity, 99),
        unit: ' s',
        baseline:
          "operation finished -> the controller's verify activity completed (polling every checkDuration, the namespace read)",
      },
      {
        section: '4',
        figure: 'time to verified: controller task p99 (s)',
        value: percentile(vLags.controller, 99),
        unit: ' s',
        baseline: "-> the controller's next workflow task started",
      },
      {
        section: '4',
        figure: 'time to verified: window p99 (s)',
        value: percentile(vLags.window, 99),
        unit: ' s',
        baseline: "-> the window recorded VERIFY SUCCEEDED (the controller's signal, the window's workflow task)",
      },
    );
    Object.assign(json, {
      verifiedP50Seconds: percentile(verifiedLag, 50),
      verifiedP99Seconds,
      verifiedWindows: vWindows.length,
    });

    // ---- 5. scale.
    const createRateIdle = apiC.throughput;
    const scale: ScaleFigures[] = [];
    for (const [i, n] of sizes.scale.entries()) {
      log(`5/5 scale: ${n} concurrently active windows`);
      scale.push(await scaleRun(stack, n, i, createRateIdle, serverPid, workDir, C));
    }
    log(`5/5 scale: ${sizes.fleet} namespaces end at the same moment`);
    const fleet = await fleetRevertRun(stack, sizes.fleet, sizes.applyDelayMs);
    const account = stack.emulator.state.stats()[ACCOUNT];
    rows.push(
      {
        section: '5',
        figure: `fleet of ${sizes.fleet} namespaces ending at once: revert lateness p99 (s)`,
        value: percentile(fleet, 99),
        unit: ' s',
        baseline: `each namespace: the common endAt -> the emulator fulfilled its revert; at most ${stack.config.policy.maxConcurrentOperations} operations in flight for the account, ${sizes.applyDelayMs} ms each`,
      },
      {
        section: '5',
        figure: 'most Cloud Ops operations in flight for the account',
        value: account.maxOperationsInFlight,
        baseline: `the emulator's count over the whole run; ${account.refusedForLimits} of ${account.requests} requests refused for the account's limits`,
      },
    );
    for (const s of scale) {
      const tag = `${s.windows} windows`;
      rows.push(
        {
          section: '5',
          figure: `${tag}: peak concurrently active`,
          value: s.peakActive,
          baseline: `count (each window's VERIFY SUCCEEDED to its end), over ${s.namespaces} namespaces; ${s.schedules} recurring schedules present`,
        },
        {
          section: '5',
          figure: `${tag}: every window verified after (s)`,
          value: s.allVerifiedAfterSeconds,
          unit: ' s',
          baseline: `from the first create to the last VERIFY SUCCEEDED; each window lasts ${s.durationSeconds} s from its creation`,
        },
        {
          section: '5',
          figure: `${tag}: creation rate / idle create rate`,
          value: ratio(s.creationPerSecond, createRateIdle),
          baseline: `${s.creationPerSecond.toFixed(0)}/s with the worker busy vs ${createRateIdle.toFixed(0)}/s in phase 1 (its windows waiting to start)`,
        },
        {
          section: '5',
          figure: `${tag}: revert lateness p50 (s)`,
          value: percentile(s.lateness.verified, 50),
          unit: ' s',
          baseline: `each window: endAt -> its release verified (result.revertedAt); the last of a namespace's windows waits for the revert, the emulator's ${sizes.applyDelayMs} ms included`,
        },
        {
          section: '5',
          figure: `${tag}: revert lateness p99 (s)`,
          value: percentile(s.lateness.verified, 99),
          unit: ' s',
          target: { op: '<=', value: 2 },
        },
        {
          section: '5',
          figure: `${tag}: namespace revert lateness p50 (s)`,
          value: percentile(s.lateness.namespace, 50),
          unit: ' s',
          baseline: `each of ${s.lateness.namespace.length} namespaces: its last window's endAt -> the emulator fulfilled the revert to On-Demand (the emulator's own record)`,
        },
        {
          section: '5',
          figure: `${tag}: namespace revert lateness p99 (s)`,
          value: percentile(s.lateness.namespace, 99),
          unit: ' s',
          target: { op: '<=', value: 2 },
        },
        {
          section: '5',
          figure: `${tag}: revert request lateness p99 (s)`,
          value: percentile(s.lateness.requested, 99),
          unit: ' s',
          baseline: `endAt -> the revert's UpdateNamespace reached Cloud Ops (the ${s.lateness.requested.length} windows that reverted)`,
        },
        {
          section: '5',
          figure: `${tag}: end timer lateness p99 (s)`,
          value: percentile(s.lateness.timer, 99),
          unit: ' s',
          baseline: 'endAt -> WAIT SUCCEEDED (the durable timer fired and its workflow task ran)',
        },
        {
          section: '5',
          figure: `${tag}: revert verification p99 (s)`,
          value: percentile(s.lateness.verify, 99),
          unit: ' s',
          baseline: 'the emulator finished the revert -> REVERT_VERIFY SUCCEEDED',
        },
        {
          section: '5',
          figure: `${tag}: revert verification: verify activity schedule-to-start p99 (s)`,
          value: percentile(s.revertLags.queued, 99),
          unit: ' s',
          baseline: 'the controller scheduled the verify activity -> the worker started it',
        },
        {
          section: '5',
          figure: `${tag}: revert verification: verify activity p99 (s)`,
          value: percentile(s.revertLags.activity, 99),
          unit: ' s',
          baseline: "the revert operation finished -> the controller's verify activity completed",
        },
        {
          section: '5',
          figure: `${tag}: revert verification: controller task p99 (s)`,
          value: percentile(s.revertLags.controller, 99),
          unit: ' s',
          baseline: "-> the controller's next workflow task started",
        },
        {
          section: '5',
          figure: `${tag}: revert verification: window p99 (s)`,
          value: percentile(s.revertLags.window, 99),
          unit: ' s',
          baseline: '-> the window recorded REVERT_VERIFY SUCCEEDED',
        },
        {
          section: '5',
          figure: `${tag}: history events per window`,
          value: s.history.window + s.history.controller,
          baseline: `count: its own ${s.history.window.toFixed(1)} + its share of its controller's ${s.history.controller.toFixed(1)}, of which ${s.history.upserts.toFixed(1)} memo or search attribute upserts (each also a visibility write) and ${s.history.timers.toFixed(1)} timers started or cancelled; ${s.history.tasks.toFixed(1)} workflow tasks; the ${s.history.windows} windows of ${s.history.namespaces} namespaces`,
        },
        {
          section: '5',
          figure: `${tag}: CPU per window (ms), worker + Temporal server + API`,
          value: (1000 * (s.cpu.worker + s.cpu.server + s.cpu.api)) / s.windows,
          baseline: `worker ${((1000 * s.cpu.worker) / s.windows).toFixed(0)} + Temporal server ${((1000 * s.cpu.server) / s.windows).toFixed(0)} + API process (with the emulator and the bench driver) ${((1000 * s.cpu.api) / s.windows).toFixed(0)} ms, autocannon ${((1000 * s.cpu.load) / s.windows).toFixed(0)} ms more; ${((s.cpu.worker + s.cpu.server + s.cpu.api + s.cpu.load) / s.cpu.wallSeconds).toFixed(1)} of ${os.cpus().length} CPUs busy on average over ${s.cpu.wallSeconds.toFixed(0)} s, load average ${os.loadavg()[0].toFixed(1)} at the end`,
        },
        {
          section: '5',
          figure: `${tag}: worker process RSS peak (MB)`,
          value: s.workerRssPeakMB,
          unit: ' MB',
          target: { op: '<=', value: 400 },
          baseline: `its own process, as ROLE=worker; the kernel's peak (VmHWM) over the round; ${s.workerRssBeforeMB.toFixed(0)} MB before`,
        },
        {
          section: '5',
          figure: `${tag}: API process RSS peak (MB)`,
          value: s.rssPeakMB,
          unit: ' MB',
          baseline: `the bench process: API, emulator and bench driver (an upper bound); ${s.rssBeforeMB.toFixed(0)} MB before, heap peak ${s.heapPeakMB.toFixed(0)} MB`,
        },
        {
          section: '5',
          figure: `${tag}: Temporal dev server RSS peak (MB)`,
          value: s.serverRssPeakMB,
          unit: ' MB',
          baseline: `${s.serverRssBeforeMB.toFixed(0)} MB before (in-memory SQLite: it keeps every closed workflow)`,
        },
      );
    }
    if (scale.length > 1) {
      const [a, b] = [scale[0], scale[scale.length - 1]];
      const g = `${b.windows} / ${a.windows} windows`;
      rows.push(
        {
          section: '5',
          figure: `growth ${g}: revert lateness p99`,
          value: ratio(percentile(b.lateness.verified, 99), percentile(a.lateness.verified, 99)),
          baseline: `x${(b.windows / a.windows).toFixed(0)} windows`,
        },
        { section: '5', figure: `growth ${g}: creation rate`, value: ratio(b.creationPerSecond, a.creationPerSecond) },
        {
          section: '5',
          figure: `growth ${g}: worker RSS peak`,
          value: ratio(b.workerRssPeakMB, a.workerRssPeakMB),
          baseline: `${a.workerRssPeakMB.toFixed(0)} MB -> ${b.workerRssPeakMB.toFixed(0)} MB`,
        },
        {
          section: '5',
          figure: `growth ${g}: API process RSS added during the run`,
          value: ratio(b.rssPeakMB - b.rssBeforeMB, a.rssPeakMB - a.rssBeforeMB),
          baseline: `+${(a.rssPeakMB - a.rssBeforeMB).toFixed(0)} MB -> +${(b.rssPeakMB - b.rssBeforeMB).toFixed(0)} MB`,
        },
        {
          section: '5',
          figure: `growth ${g}: server RSS added during the run`,
          value: ratio(b.serverRssPeakMB - b.serverRssBeforeMB, a.serverRssPeakMB - a.serverRssBeforeMB),
          baseline: `+${(a.serverRssPeakMB - a.serverRssBeforeMB).toFixed(0)} MB -> +${(b.serverRssPeakMB - b.serverRssBeforeMB).toFixed(0)} MB`,
        },
      );
    }
    const last = scale[scale.length - 1];
    Object.assign(json, {
      cloudOpsCallsPerWindow: last.cloudOpsCalls / last.windows,
      maxOperationsInFlightPerAccount: account.maxOperationsInFlight,
      cloudOpsRefusedForLimits: account.refusedForLimits,
      fleetRevertLatenessP99Seconds: percentile(fleet, 99),
      revertLatenessP50Seconds: percentile(last.lateness.verified, 50),
      revertLatenessP99Seconds: percentile(last.lateness.verified, 99),
      namespaceRevertLatenessP99Seconds: percentile(last.lateness.namespace, 99),
      revertRequestLatenessP99Seconds: percentile(last.lateness.requested, 99),
      workerRssMB: last.workerRssPeakMB,
      historyEventsPerWindow: last.history.window + last.history.controller,
      workflowTasksPerWindow: last.history.tasks,
      apiRssMB: last.rssPeakMB,
      temporalServerRssMB: last.serverRssPeakMB,
      scale: scale.map((s) => ({
        windows: s.windows,
        schedules: s.schedules,
        peakActive: s.peakActive,
        namespaces: s.namespaces,
        creationPerSecond: s.creationPerSecond,
        revertLatenessP50Seconds: percentile(s.lateness.verified, 50),
        revertLatenessP99Seconds: percentile(s.lateness.verified, 99),
        namespaceRevertLatenessP99Seconds: percentile(s.lateness.namespace, 99),
        workerRssBeforeMB: s.workerRssBeforeMB,
        workerRssPeakMB: s.workerRssPeakMB,
        apiRssBeforeMB: s.rssBeforeMB,
        apiRssPeakMB: s.rssPeakMB,
        serverRssBeforeMB: s.serverRssBeforeMB,
        serverRssPeakMB: s.serverRssPeakMB,
        historyEventsPerWindow: s.history.window + s.history.controller,
        workflowTasksPerWindow: s.history.tasks,
        cpuMsPerWindow: {
          worker: (1000 * s.cpu.worker) / s.windows,
          server: (1000 * s.cpu.server) / s.windows,
          api: (1000 * s.cpu.api) / s.windows,
        },
      })),
    });

    // ---- 2, against the issue's own baseline: raw describe + query. Only a worker answers a query, so this runs
    // with the worker up, on windows held ACTIVE (PT1H) that leave it idle but for the queries; and last, so that
    // its thousands of queries do not weigh on the worker memory phase 5 measures. The route still reads one
    // describe and no query; the raw side sends its describe and its query at once, its quickest.
    log('status reads against raw describe + query (last: a worker answers the queries)');
    const qNs = namespaces(stack, 'q', sizes.verifiedWindows);
    const qIds = await Promise.all(qNs.map((ns) => postWindow(stack, { ...BODY, namespace: ns, duration: 'PT1H' })));
    await waitActive(stack, qIds, 120_000);
    const withQuery = await compareStatus(qIds, (h) => Promise.all([h.describe(), h.query(progressQuery)]));
    const statusDescribeQueryThroughputRatio = ratio(withQuery.apiSt.throughput, withQuery.rawSt.throughput);
    const statusDescribeQueryP99Ratio = ratio(withQuery.apiSt.p99, withQuery.rawSt.p99);
    rows.splice(
      statusRowsEnd,
      0,
      {
        section: '2',
        figure: "status throughput, API GET / raw describe + query (the issue's baseline)",
        value: statusDescribeQueryThroughputRatio,
        target: { op: '>=', value: 0.9 },
        baseline: `API ${withQuery.apiSt.throughput.toFixed(0)}/s vs raw ${withQuery.rawSt.throughput.toFixed(0)}/s; ${qIds.length} ACTIVE windows, the worker answering the queries; ${sizes.statusRequests} reads x 2 runs per side`,
      },
      {
        section: '2',
        figure: 'status p99 latency, API GET / raw describe + query',
        value: statusDescribeQueryP99Ratio,
        baseline: `API ${withQuery.apiSt.p99.toFixed(1)} ms vs raw ${withQuery.rawSt.p99.toFixed(1)} ms`,
      },
    );
    Object.assign(json, { statusDescribeQueryThroughputRatio, statusDescribeQueryP99Ratio });
    await terminateAll(stack, [...qIds.map((id) => parseWindowId(id)!.workflowId), ...qNs.map(controllerWorkflowId)]);
  } finally {
    await stack.close();
  }

  const table = formatTable(rows);
  const missed = misses(rows);
  json.misses = missed.map((r) => r.figure);
  const machine = `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()}; load average ${loadAtStart.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end; the worker's malloc: ${json.workerMalloc === 'jemalloc' ? `jemalloc (MALLOC_CONF ${workerMallocConf})` : (json.workerMalloc ?? 'not started')}; its node flags: ${workerNodeFlags.join(' ') || 'none'}`;
  const md = [
    '# Benchmark results',
    '',
    `Generated by \`${cache === undefined ? '' : `WORKER_MAX_CACHED_WORKFLOWS=${cache} `}${workerNodeFlagsWanted === undefined ? '' : `BENCH_WORKER_NODE_FLAGS='${workerNodeFlagsWanted}' `}${workerMallocWanted === undefined ? '' : `BENCH_WORKER_MALLOC=${workerMallocWanted} `}${workerMallocConfWanted === undefined ? '' : `MALLOC_CONF=${workerMallocConfWanted} `}npm run bench${mode === 'small' ? '' : ` -- --${mode}`}\` on ${started.toISOString()} (${machine}).`,
    'Every figure is a ratio to a baseline measured in the same run, a count, or a time measured against the',
    "emulator's own clock; method and caveats in [README.md](README.md). Do not edit: rerun the benchmark.",
    '',
    table,
    '',
    ...(notes.length ? ['## Warnings', '', ...notes.map((n) => `- ${n}`), ''] : []),
    `Targets missed: ${missed.length === 0 ? 'none' : missed.map((r) => r.figure).join('; ')}.`,
    '',
  ].join('\n');
  // A tiny run only checks the benchmark itself: it never replaces the committed results.
  const resultsFile = path.join(here, args.tiny ? 'results-tiny.md' : 'results.md');
  writeFileSync(resultsFile, md);
  process.stdout.write(
    `${table}\n\n${notes.map((n) => `WARNING: ${n}\n`).join('')}Targets missed: ${missed.length === 0 ? 'none' : missed.map((r) => r.figure).join('; ')}\n`,
  );
  process.stdout.write(`Written to ${path.relative(process.cwd(), resultsFile)}\n`);
  if (args.json) process.stdout.write(`${JSON.stringify(json)}\n`);
  // The service and worker logs explain a miss: keep them then.
  if (missed.length === 0) rmSync(workDir, { recursive: true, force: true });
  else log(`targets missed: service and worker logs kept in ${workDir}`);
  return 0;
}

async function scaleRun(
  stack: Stack,
  n: number,
  round: number,
  createRateIdle: number,
  serverPid: number | undefined,
  workDir: string,
  concurrency: number,
): Promise<ScaleFigures> {
  // Recurring schedules (one per 10 windows), firing once a year: they exist, as in production, but never run here.
  const nSchedules = Math.max(1, Math.round(n / 10));
  const sNs = namespaces(stack, `s${round}`, nSchedules);
  let schedules: number | string = 0;
  try {
    await pool(sNs, 4, async (ns) => {
      const res = await fetch(`${stack.baseUrl}/v1/capacity-schedules`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ namespace: ns, trus: 4, duration: 'PT1H', cron: '0 3 1 1 *', reason: 'benchmark' }),
      });
      if (res.status >= 300) throw new Error(`POST /v1/capacity-schedules: ${res.status} ${await res.text()}`);
      (schedules as number)++;
    });
  } catch (err) {
    schedules = `${schedules} (then: ${(err as Error).message.slice(0, 120)})`;
  }

  global.gc?.();
  await sleep(1_000);
  const rssBeforeMB = selfRssMB();
  const serverRssBeforeMB = rssOfPid(serverPid);
  let rssPeakMB = rssBeforeMB;
  let heapPeakMB = process.memoryUsage().heapUsed / 2 ** 20;
  let serverRssPeakMB = serverRssBeforeMB;
  const workerRss = () => rssOfPid(stack.workerPid());
  const workerRssBeforeMB = workerRss();
  let workerRssPeakMB = workerRssBeforeMB;
  // The kernel's own peak as well: the sampler below runs in this busy event loop and can miss a short one.
  const [selfPeak, serverPeak, workerPeak] = [process.pid, serverPid, stack.workerPid()].map((pid) => {
    const fromNow = resetPeakRss(pid);
    return () => (fromNow ? peakRssOfPid(pid) : Number.NaN);
  });
  // The issue's shape: ten windows share each namespace, as a launch, a batch night and office hours would. Every
  // window claims from its namespace's controller; the last of each ten to end is the one that reverts.
  const shared = namespaces(stack, `w${round}`, Math.ceil(n / WINDOWS_PER_NAMESPACE));
  const wNs = Array.from({ length: n + 2 * concurrency + 8 }, (_, i) => shared[i % shared.length]);
  const sampler = setInterval(() => {
    rssPeakMB = Math.max(rssPeakMB, selfRssMB());
    heapPeakMB = Math.max(heapPeakMB, process.memoryUsage().heapUsed / 2 ** 20);
    serverRssPeakMB = Math.max(serverRssPeakMB, rssOfPid(serverPid));
    workerRssPeakMB = Math.max(workerRssPeakMB, workerRss());
  }, 250);
  const cpuNow = () => ({
    worker: cpuOfPid(stack.workerPid()),
    server: cpuOfPid(serverPid),
    api: cpuOfPid(process.pid),
    at: performance.now(),
  });
  const cpu0 = cpuNow();
  const calls0 = cloudOpsCalls(stack);
  try {
    // Long enough that every window is created and verified before the first one ends: on 2 CPUs setting up a
    // window (its workflow tasks, validation, the claim) takes ~70 ms of wall time once the CPUs are saturated.
    const durationS = Math.max(20, Math.ceil((3 * n) / createRateIdle) + 15, Math.ceil(n * SETUP_SECONDS_PER_WINDOW));
    const createdFrom = Date.now();
    const r = await load(
      {
        url: stack.baseUrl,
        connections: concurrency,
        amount: n,
        method: 'POST',
        body: { ...BODY, duration: `PT${durationS}S` },
        namespaces: wNs,
      },
      workDir,
    );
    const creationPerSecond = r.ok / r.durationSeconds;
    // The windows end one by one from about durationS after the first was created; wait for all.
    await sleep(durationS * 1000);
    const windows = await waitClosed(stack, r.ids, 300_000);
    const cpu1 = cpuNow();
    const calls = cloudOpsCalls(stack) - calls0;
    // Peaks up to here: what follows reads histories, which is the benchmark's work, not the windows'.
    clearInterval(sampler);
    rssPeakMB = Math.max(rssPeakMB, selfPeak());
    serverRssPeakMB = Math.max(serverRssPeakMB, serverPeak());
    workerRssPeakMB = Math.max(workerRssPeakMB, workerPeak());
    return {
      cpu: {
        worker: cpu1.worker - cpu0.worker,
        server: cpu1.server - cpu0.server,
        api: cpu1.api - cpu0.api,
        load: r.cpuSeconds,
        wallSeconds: (cpu1.at - cpu0.at) / 1000,
      },
      windows: n,
      cloudOpsCalls: calls,
      schedules,
      creationPerSecond,
      // Exact, from each window's own steps (capacity verified -> its end), where a count sampled every 250 ms
      // read every namespace in the API's event loop while the windows it measured ran.
      peakActive: peakOverlap(windows.map((w) => [stepAt(w, 'VERIFY'), stepAt(w, 'WAIT')] as const)),
      allVerifiedAfterSeconds: (Math.max(...windows.map((w) => stepAt(w, 'VERIFY'))) - createdFrom) / 1000,
      durationSeconds: durationS,
      namespaces: shared.length,
      rssBeforeMB,
      rssPeakMB,
      heapPeakMB,
      workerRssBeforeMB,
      workerRssPeakMB,
      serverRssBeforeMB,
      serverRssPeakMB,
      lateness: revertLateness(stack, windows),
      // After the run, so the history reads do not load the server while it is measured.
      revertLags: await verifyLags(stack, windows, 'revert'),
      history: await historyCounts(stack, windows, 10),
    };
  } finally {
    clearInterval(sampler);
  }
}
