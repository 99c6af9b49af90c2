// What one cached window costs the worker in memory, and where it lies. Usage:
//   node --expose-gc --import tsx bench/window-memory.ts [--windows N] [--main-thread] [--preload-ours]
// Starts a Temporal dev server and an in-process worker, starts N windows an hour ahead (each sleeps in the
// worker's cache until its start, calling no activity), and prints RSS, V8 heap and anonymous memory before and
// after, per window. --main-thread runs workflows on the main thread (the SDK's debugMode), so the V8 heap
// figures include them; by default they run on the SDK's workflow thread, as in production, where only RSS
// sees them. --preload-ours shares our own workflow-side modules across workflows (the bundler's preloadModules).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { createActivities, type Activities, type ActivityDeps } from '../src/activities/index.js';
import { freePort, resolveTemporalCli, startDevServer } from '../src/local/dev-server.js';
import { CAPACITY_WINDOW_WORKFLOW, type CapacityWindowInput } from '../src/shared/index.js';
import { searchAttributeRegistrations } from '../src/shared/search-attributes.js';
import { workflowsPath } from '../src/worker/index.js';

const { values } = parseArgs({
  options: { windows: { type: 'string', default: '1000' }, 'main-thread': { type: 'boolean' }, 'preload-ours': { type: 'boolean' } },
});
const windows = Number(values.windows);
if (!Number.isInteger(windows) || windows < 1) throw new Error('--windows must be a positive integer');
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc, so that garbage is not counted');

function memory() {
  gc!();
  const m = process.memoryUsage();
  let anon = 0;
  let region = '';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) region = head[1];
    else if (region === '' && line.startsWith('Rss:')) anon += Number(/(\d+)/.exec(line)![1]) * 1024;
  }
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, anon };
}

// Every module of src/shared but its index, which only re-exports them.
const sharedDir = path.resolve('src/shared');
const preloadModules = values['preload-ours']
  ? readdirSync(sharedDir).filter((f) => f.endsWith('.ts') && f !== 'index.ts').map((f) => path.join(sharedDir, f))
  : [];
const silent = () => undefined;
Runtime.install({ logger: new DefaultLogger('WARN') });
const server = await startDevServer({
  cli: resolveTemporalCli(process.env.TEMPORAL_CLI_PATH ?? null),
  port: await freePort(),
  uiPort: await freePort(),
  searchAttributes: searchAttributeRegistrations(),
});
const taskQueue = 'window-memory';
const { code } = await bundleWorkflowCode({
  workflowsPath: workflowsPath(),
  preloadModules,
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
const start = (i: number) => client.workflow.start(CAPACITY_WINDOW_WORKFLOW, { taskQueue, workflowId: `window-memory-${i}`, args: [input(i)] });
const cached = async (n: number) => {
  while (worker.getStatus().numCachedWorkflows < n) await new Promise((r) => setTimeout(r, 500));
  await new Promise((r) => setTimeout(r, 1_000));
};

// One window first, so that the bundle's shared modules and the caches warm up before "before" is taken.
await start(-1);
await cached(1);
const before = memory();
for (let i = 0; i < windows; i += 20) await Promise.all(Array.from({ length: Math.min(20, windows - i) }, (_, j) => start(i + j)));
await cached(windows + 1);
const after = memory();
worker.shutdown();
await running;
await connection.close();
await nativeConnection.close();
await server.stop();
if (activityCalls.length) throw new Error(`activities were called: ${activityCalls.join(', ')}`);

const mb = (b: number) => (b / 1e6).toFixed(1).padStart(7);
const kb = (b: number) => (b / windows / 1e3).toFixed(0).padStart(5);
console.log(`${windows} sleeping windows, workflows on the ${values['main-thread'] ? 'main thread' : 'workflow thread'}${preloadModules.length ? ', our modules preloaded' : ''}`);
console.log('figure                 before MB  after MB  per window KB');
for (const [name, key] of [['RSS', 'rss'], ['anonymous memory', 'anon'], ['V8 heap used', 'heapUsed'], ['V8 heap total', 'heapTotal']] as const) {
  console.log(`${name.padEnd(22)} ${mb(before[key])}  ${mb(after[key])}  ${kb(after[key] - before[key])}`);
}
process.exit(0);
