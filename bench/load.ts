// One autocannon run, in its own process so that the load generator never shares the API's event loop.
// Usage (from bench/suite.ts): node --import tsx bench/load.ts <spec.json> <result.json>
import { readFileSync, writeFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { cpuOfPid } from './proc.js';
import { distinct } from './stats.js';

export interface LoadSpec {
  url: string;
  connections: number;
  /** Total requests; each create body takes the next namespace of the list, so amount <= namespaces.length - connections. */
  amount: number;
  method: 'GET' | 'POST';
  /** GET: paths cycled through in order. */
  paths?: string[];
  /** POST: the body, given a fresh `namespace` per request from `namespaces`. */
  body?: Record<string, unknown>;
  namespaces?: string[];
  /** Processes whose CPU time to measure over exactly this run (the API's, the Temporal server's). */
  cpuPids?: number[];
}

export interface LoadResult {
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSeconds: number;
  /** CPU seconds this load generator spent from the start to the last response (user + system). */
  cpuSeconds: number;
  /** CPU seconds of each of spec.cpuPids over the same span (NaN when unreadable). */
  pidCpuSeconds: number[];
  latencyMs: { p50: number; p90: number; p99: number; mean: number; max: number };
  /** POST: the window ids of the 2xx answers, in arrival order. */
  ids: string[];
  statusCodes: Record<string, number>;
}

const [specFile, resultFile] = process.argv.slice(2);
const spec = JSON.parse(readFileSync(specFile, 'utf8')) as LoadSpec;
const ids: string[] = [];
const statusCodes: Record<string, number> = {};

let next = 0;
const nextNamespace = distinct(spec.namespaces ?? [], 'namespaces');
const request: autocannon.Request =
  spec.method === 'POST'
    ? {
        method: 'POST',
        path: '/v1/capacity-changes',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => {
          return { ...req, body: JSON.stringify({ ...spec.body, namespace: nextNamespace() }) };
        },
        onResponse: (status, body) => {
          statusCodes[status] = (statusCodes[status] ?? 0) + 1;
          if (status === 202) ids.push((JSON.parse(body) as { id: string }).id);
        },
      }
    : {
        method: 'GET',
        setupRequest: (req) => ({ ...req, path: spec.paths![next++ % spec.paths!.length] }),
        onResponse: (status) => {
          statusCodes[status] = (statusCodes[status] ?? 0) + 1;
        },
      };

// autocannon stops an `amount` run only at its next 1 s sampling tick, so its own duration is rounded up to
// whole seconds: time the run here, from the start to the last response.
// CPU is read at the start and at the last expected response (not at autocannon's late end), so the figures
// cover the same span as the duration; /proc is read twice per pid, never per response.
const pids = spec.cpuPids ?? [];
const pidCpu = () => pids.map((pid) => cpuOfPid(pid));
let responses = 0;
let lastResponse = 0;
let cpuAtLastResponse: NodeJS.CpuUsage | null = null;
let pidCpuAtLastResponse: number[] | null = null;
const pidCpu0 = pidCpu();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const result = await new Promise<autocannon.Result>((resolve, reject) => {
  const instance = autocannon(
    { url: spec.url, connections: spec.connections, amount: spec.amount, timeout: 30, requests: [request] },
    (err, res) => (err ? reject(err) : resolve(res)),
  );
  instance.on('response', () => {
    lastResponse = performance.now();
    if (++responses === spec.amount) {
      cpuAtLastResponse = process.cpuUsage();
      pidCpuAtLastResponse = pidCpu();
    }
  });
});

// Errors or timeouts: fewer responses than asked for, so the CPU is read now (a little late).
const cpu1 = cpuAtLastResponse ?? process.cpuUsage();
const pidCpu1 = pidCpuAtLastResponse ?? pidCpu();
const out: LoadResult = {
  ok: result['2xx'],
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  durationSeconds: (lastResponse - t0) / 1000,
  cpuSeconds: (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / 1e6,
  pidCpuSeconds: pidCpu1.map((c, i) => c - pidCpu0[i]),
  latencyMs: {
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    mean: result.latency.mean,
    max: result.latency.max,
  },
  ids,
  statusCodes,
};
writeFileSync(resultFile, JSON.stringify(out));
