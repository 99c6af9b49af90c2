// What one cached window costs the worker in memory, where it lies, and how much of it the SDK costs anyway.
// Usage: npm run bench:memory -- [--windows N] [--main-thread] [--without-preload]
// Runs two measurements, each in a fresh child process with its own dev server and in-process worker: N windows
// started an hour ahead (each sleeps in the worker's cache until its start, calling no activity), then N workflows
// that only sleep (bench/floor-workflow.ts), the SDK's floor. Prints RSS, anonymous memory and V8 heap before and
// after, per workflow, and the window's cost as a ratio to the floor's. --main-thread runs workflows on the main
// thread (the SDK's debugMode), so the V8 heap figures include them; by default they run on the SDK's workflow
// thread, as in production, where only RSS sees them. The windows' bundle is production's, which shares our own
// workflow-side modules across windows (the bundler's preloadModules); --without-preload instantiates them per
// window. The processes use the malloc they are given: glibc's, or the image's jemalloc with its options,
// LD_PRELOAD=<path to libjemalloc.so.2> MALLOC_CONF=narenas:2 npm run bench:memory.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { createActivities, type Activities, type ActivityDeps } from '../src/activities/index.js';
import { freePort, resolveTemporalCli, startDevServer } from '../src/local/dev-server.js';
import { CAPACITY_WINDOW_WORKFLOW, type CapacityWindowInput } from '../src/shared/index.js';
import { searchAttributeRegistrations } from '../src/shared/search-attributes.js';
import { workflowBundlerOptions } from '../src/worker/index.js';
import { mallocOfPid } from './proc.js';

const { values } = parseArgs({
  options: {
    windows: { type: 'string', default: '1000' },
    'main-thread': { type: 'boolean' },
    'without-preload': { type: 'boolean' },
    // Internal: the child process's one measurement.
    workflow: { type: 'string' },
  },
});
const windows = Number(values.windows);
if (!Number.isInteger(windows) || windows < 1) throw new Error('--windows must be a positive integer');
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:memory does), so that garbage is not counted');

const FIGURES = [
  ['RSS', 'rss'],
  ['anonymous memory', 'anon'],
  ['V8 heap used', 'heapUsed'],
  ['V8 heap total', 'heapTotal'],
] as const;
type Memory = Record<(typeof FIGURES)[number][1], number>;
const here = path.dirname(fileURLToPath(import.meta.url));

function memory(): Memory {
  gc!();
  const m = process.memoryUsage();
  // Every private anonymous page, the malloc heap's included, whichever of glibc's arenas holds it.
  const anon = Number(/^Anonymous:\s+(\d+) kB/m.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))![1]) * 1024;
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, anon };
}

interface Measured {
  before: Memory;
  after: Memory;
  malloc: string;
}

async function measure(kind: 'window' | 'sleeper'): Promise<Measured> {
  const silent = () => undefined;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const server = await startDevServer({
    cli: resolveTemporalCli(process.env.TEMPORAL_CLI_PATH ?? null),
    port: await freePort(),
    uiPort: await freePort(),
    searchAttributes: searchAttributeRegistrations(),
  });
  const taskQueue = 'window-memory';
  const { code } = await bundleWorkflowCode({
    ...(kind === 'window'
      ? { ...workflowBundlerOptions(), ...(values['without-preload'] && { preloadModules: [] }) }
      : { workflowsPath: path.join(here, 'floor-workflow.ts') }),
    logger: { log: silent, trace: silent, debug: silent, info: silent, warn: silent, error: silent },
  });
  const activityCalls: string[] = [];
  // A window an hour ahead calls no activity before its start; any call would make the figures something else.
  // Registered under their real names (creating them touches no dependency), so that a call would be seen.
  const activities = Object.fromEntries(
    Object.keys(createActivities({} as ActivityDeps)).map((name) => [
      name,
      async () => {
        activityCalls.push(name);
        throw new Error(`${name} was not expected in this measurement`);
      },
    ]),
  ) as unknown as Activities;
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    activities,
    workflowBundle: { code },
    maxCachedWorkflows: windows + 10,
    debugMode: values['main-thread'] ?? false,
  });
  const running = worker.run();
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });

  const startAt = new Date(Date.now() + 3_600_000).toISOString();
  const endAt = new Date(Date.now() + 7_200_000).toISOString();
  const input = (i: number): CapacityWindowInput => ({
    namespace: `memory-${i % 100}.acct`,
    trus: 2,
    startAt,
    endAt,
    requestedBy: 'bench/window-memory',
    policy: { verifyTimeoutMs: 60_000, revertAlertAfterMs: 60_000, controllerHistoryLimit: 2_000 },
  });
  const start = (i: number) =>
    kind === 'window'
      ? client.workflow.start(CAPACITY_WINDOW_WORKFLOW, {
          taskQueue,
          workflowId: `window-memory-${i}`,
          args: [input(i)],
        })
      : client.workflow.start('sleeper', { taskQueue, workflowId: `window-memory-${i}` });
  const cached = async (n: number) => {
    while (worker.getStatus().numCachedWorkflows < n) await new Promise((r) => setTimeout(r, 500));
    await new Promise((r) => setTimeout(r, 1_000));
  };

  // One workflow first, so that the bundle's shared modules and the caches warm up before "before" is taken.
  await start(-1);
  await cached(1);
  const before = memory();
  for (let i = 0; i < windows; i += 20)
    await Promise.all(Array.from({ length: Math.min(20, windows - i) }, (_, j) => start(i + j)));
  await cached(windows + 1);
  const after = memory();
  worker.shutdown();
  await running;
  await connection.close();
  await nativeConnection.close();
  await server.stop();
  if (activityCalls.length) throw new Error(`activities were called: ${activityCalls.join(', ')}`);
  return { before, after, malloc: mallocOfPid(process.pid) };
}

if (values.workflow === 'window' || values.workflow === 'sleeper') {
  process.stdout.write(`${JSON.stringify(await measure(values.workflow))}\n`);
  process.exit(0);
}

// Each measurement in a process of its own, so that neither inherits the other's heap or freed pages.
const run = (kind: 'window' | 'sleeper') => {
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2), '--workflow', kind],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
    },
  );
  if (child.status !== 0) throw new Error(`the ${kind} measurement failed (exit ${child.status})`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Measured;
};
const window = run('window');
const sleeper = run('sleeper');
const mb = (b: number) => (b / 1e6).toFixed(1).padStart(8);
const kb = (b: number) => (b / windows / 1e3).toFixed(0).padStart(8);
const where = values['main-thread'] ? 'main thread' : 'workflow thread';
console.log(
  `${windows} cached workflows each, on the ${where}${values['without-preload'] ? ', our modules not preloaded' : ''}; ${window.malloc} malloc`,
);
console.log(
  `${''.padEnd(18)}  window: before MB  after MB  KB each   sleeper: before MB  after MB  KB each   window / sleeper`,
);
for (const [name, key] of FIGURES) {
  const w = window.after[key] - window.before[key];
  const s = sleeper.after[key] - sleeper.before[key];
  console.log(
    `${name.padEnd(18)}  ${mb(window.before[key]).padStart(17)}  ${mb(window.after[key])}  ${kb(w).padStart(7)}   ${mb(sleeper.before[key]).padStart(18)}  ${mb(sleeper.after[key])}  ${kb(s).padStart(7)}   ${(w / s).toFixed(2).padStart(16)}`,
  );
}
process.exit(0);
