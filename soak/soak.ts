// The soak proper (see soak/run.ts for the entry point): many short windows over several namespaces, in
// parallel chains, while seeded random faults are injected through the emulator's control plane; then the
// faults are cleared, everything settles, and soak/check.ts compares every window's claims with what the
// emulator recorded.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CapacityChange } from '../src/api/routes/capacity-changes/schema.js';
import type { Capacity, CapacitySpec } from '../src/emulator/index.js';
import type { SoakArgs } from './args.js';
import {
  check,
  describe,
  inferAfter,
  type CheckResult,
  type NamespaceRecord,
  type Observation,
  type OpRecord,
  type Target,
  type WindowRecord,
} from './check.js';
import { FAULT_KINDS, planFault, settingOf, type FaultKind } from './faults.js';
import { createRng, deriveSeed } from './rng.js';
import { startSoakStack } from './stack.js';

const BASE_APPLY_DELAY_MS = 300;
const VERIFY_TIMEOUT = '5s';
const REVERT_ALERT_AFTER = '3s';
/** A provisioned baseline set on the emulator before the soak, on every other namespace. */
const PROVISIONED_BASELINE = 2;
const TRU_CHOICES = [2, 3, 4, 6, 8];
const SAMPLE_EVERY_MS = 100;
const POLL_EVERY_MS = 400;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Counters {
  requests: Record<string, number>;
  answers: Record<string, number>;
  postRetries: number;
  controlRequests: number;
}

type CreateOutcome =
  | { outcome: 'created'; id: string; httpStatus: number; endAt: number }
  | { outcome: 'refused'; code: string }
  | { outcome: 'failed'; detail: string };

export interface SoakFigures {
  seed: number;
  command: string;
  startedAt: string;
  wallSeconds: number;
  machine: string;
  namespaces: { total: number; provisionedBaseline: number; onDemand: number };
  windows: {
    requested: number;
    created: number;
    refused: Record<string, number>;
    createFailed: number;
    checked: number;
    completed: number;
    failed: number;
    notClosed: number;
    blockedLoudly: number;
  };
  requests: {
    api: number;
    byKind: Record<string, number>;
    answers: Record<string, number>;
    postRetries: number;
    controlPlane: number;
  };
  cloudOps: { calls: number; failed: number; byOutcome: Record<string, number> };
  faults: { injected: number; byKind: Record<string, number>; restores: number };
  emulator: { operations: number; byOutcome: Record<string, number>; fulfilledNotApplied: number };
  alerts: { warning: number; critical: number; unattributed: number; extra: number };
  claims: { checked: number; unobserved: number };
  /** How long namespaces stayed off their baseline past a window's end (sequential chains only). */
  overstay: { maxSeconds: number; overLimitSeconds: number; overLimit: number; overLimitWithCritical: number } | null;
  lost: { total: number; windows: number; namespaces: number; findings: Array<{ subject: string; what: string }> };
}

function targetOfSpec(spec: unknown): Target | null {
  const cs = (spec as { capacitySpec?: CapacitySpec } | undefined)?.capacitySpec;
  if (!cs) return null;
  return 'provisioned' in cs ? { mode: 'PROVISIONED', trus: cs.provisioned.value } : { mode: 'ON_DEMAND' };
}

function targetOfCapacity(c: Capacity): Target {
  return 'provisioned' in c ? { mode: 'PROVISIONED', trus: c.provisioned.currentValue } : { mode: 'ON_DEMAND' };
}

const REQUEST_STATES: Record<number, Observation['requestState']> = { 1: 'COMPLETED', 2: 'IN_PROGRESS', 3: 'FAILED' };
const OP_STATES: Record<number, string> = {
  1: 'PENDING',
  2: 'IN_PROGRESS',
  3: 'FAILED',
  4: 'CANCELLED',
  5: 'FULFILLED',
  6: 'REJECTED',
};

export async function runSoak(
  args: SoakArgs,
  tlsDir: string,
  log: (m: string) => void,
): Promise<{ code: number; figures: SoakFigures; result: CheckResult }> {
  const startedAt = new Date();
  const closeTimeoutMs = args.closeTimeoutS * 1000;
  const loadAtStart = os.loadavg()[0];
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'capacity-soak-'));
  const stack = await startSoakStack({
    workDir,
    tlsDir,
    applyDelayMs: BASE_APPLY_DELAY_MS,
    verifyTimeout: VERIFY_TIMEOUT,
    revertAlertAfter: REVERT_ALERT_AFTER,
    log,
  });
  const counters: Counters = { requests: {}, answers: {}, postRetries: 0, controlRequests: 0 };
  const bump = (rec: Record<string, number>, key: string, n = 1) => (rec[key] = (rec[key] ?? 0) + n);
  let sampler: NodeJS.Timeout | undefined;
  try {
    // ---- the API and the control plane, counted.
    const api = async (
      kind: string,
      method: string,
      url: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) => {
      bump(counters.requests, kind);
      const res = await fetch(`${stack.baseUrl}${url}`, {
        method,
        headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(20_000),
      });
      bump(counters.answers, String(res.status));
      const text = await res.text();
      let json: Record<string, unknown>;
      try {
        json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        json = { code: 'NOT_JSON' };
      }
      return { status: res.status, json };
    };
    const control = async (method: string, url: string, body?: unknown) => {
      counters.controlRequests++;
      const res = await fetch(`${stack.controlUrl}${url}`, {
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status >= 300) throw new Error(`control plane ${method} ${url}: ${res.status} ${text}`);
      return text ? (JSON.parse(text) as unknown) : null;
    };

    // ---- namespaces: every other one starts provisioned, set directly on the emulator.
    const tag = randomBytes(3).toString('hex');
    const names = Array.from({ length: args.namespaces }, (_, i) => `s${tag}-n${i}.soak`);
    const baselines = new Map<string, Target>();
    const setupOps = new Map<string, string[]>();
    for (const [i, ns] of names.entries()) {
      await control('POST', '/namespaces', { namespace: ns });
      const provisioned = i % 2 === 1;
      baselines.set(ns, provisioned ? { mode: 'PROVISIONED', trus: PROVISIONED_BASELINE } : { mode: 'ON_DEMAND' });
      setupOps.set(ns, []);
      if (provisioned) {
        const view = stack.emulator.state.getNamespace(ns);
        const opId = `soak-baseline-${ns}`;
        stack.emulator.state.updateNamespace({
          namespace: ns,
          spec: { ...view.spec, capacitySpec: { provisioned: { value: PROVISIONED_BASELINE } } },
          resourceVersion: view.resourceVersion,
          asyncOperationId: opId,
        });
        setupOps.get(ns)!.push(opId);
      }
    }
    await sleep(BASE_APPLY_DELAY_MS + 100);
    for (const ns of names) {
      const cap = targetOfCapacity(stack.emulator.state.getNamespace(ns).capacity);
      if (describe(cap) !== describe(baselines.get(ns)))
        throw new Error(`could not set the baseline of ${ns}: it has ${describe(cap)}`);
    }

    // ---- the emulator's own view of each namespace, every 100 ms (the read its GetNamespace answers).
    const observations = new Map<string, Observation[]>(names.map((ns) => [ns, []]));
    const observe = () => {
      const now = Date.now();
      for (const ns of names) {
        const c = stack.emulator.state.getNamespace(ns).capacity;
        const o: Observation = {
          at: now,
          mode: targetOfCapacity(c),
          requestOpId: c.latestRequest?.asyncOperationId ?? null,
          requestState: c.latestRequest ? (REQUEST_STATES[c.latestRequest.state] ?? null) : null,
        };
        const list = observations.get(ns)!;
        const last = list[list.length - 1];
        if (
          !last ||
          describe(last.mode) !== describe(o.mode) ||
          last.requestOpId !== o.requestOpId ||
          last.requestState !== o.requestState
        )
          list.push(o);
      }
    };
    observe();
    sampler = setInterval(observe, SAMPLE_EVERY_MS);

    // ---- faults, injected through the control plane until every chain has sent its last request.
    const faultRng = createRng(deriveSeed(args.seed, 1_000_000));
    const faultCounts: Record<string, number> = {};
    let restores = 0;
    let injecting = true;
    const restoreTimers = new Set<NodeJS.Timeout>();
    const generation = new Map<string, number>();
    const injector = (async () => {
      const verifyTimeoutMs = stack.config.policy.verifyTimeoutMs;
      while (injecting) {
        // Exponential-ish gaps around the mean, drawn from the seeded stream.
        await sleep(Math.round(args.faultEveryS * 1000 * (0.25 + 1.5 * faultRng.next())));
        if (!injecting) break;
        const f = planFault(faultRng, args.faults, { baseApplyDelayMs: BASE_APPLY_DELAY_MS, verifyTimeoutMs });
        try {
          await control('POST', '/faults', f.body);
        } catch (err) {
          log(`fault not injected: ${(err as Error).message}`);
          continue;
        }
        bump(faultCounts, f.kind);
        const setting = settingOf(f.kind);
        if (f.restore && setting) {
          const gen = (generation.get(setting) ?? 0) + 1;
          generation.set(setting, gen);
          const timer = setTimeout(() => {
            restoreTimers.delete(timer);
            if (!injecting || generation.get(setting) !== gen) return;
            restores++;
            control('POST', '/faults', f.restore!.body).catch((err: Error) => log(`restore failed: ${err.message}`));
          }, f.restore.afterMs);
          restoreTimers.add(timer);
        }
      }
    })();

    // ---- the windows: one chain per namespace, all chains in parallel.
    interface Created {
      id: string;
      namespace: string;
      trus: number;
      endAt: number;
      status: CapacityChange | null;
      overtaken?: boolean;
    }
    const created: Created[] = [];
    const refused: Record<string, number> = {};
    let createFailed = 0;
    const perNs = names.map(
      (_, i) => Math.floor(args.windows / args.namespaces) + (i < args.windows % args.namespaces ? 1 : 0),
    );

    const createWindow = async (ns: string, key: string, trus: number, durationS: number): Promise<CreateOutcome> => {
      const body = { namespace: ns, trus, duration: `PT${durationS}S`, reason: 'soak', requestedBy: 'soak' };
      let last = '';
      for (let attempt = 1; attempt <= 10; attempt++) {
        if (attempt > 1) {
          counters.postRetries++;
          await sleep(Math.min(5_000, 300 * attempt));
        }
        try {
          const res = await api('POST /v1/capacity-changes', 'POST', '/v1/capacity-changes', body, {
            'idempotency-key': key,
          });
          if (res.status === 202 || res.status === 200)
            return {
              outcome: 'created',
              id: String(res.json.id),
              httpStatus: res.status,
              endAt: Date.now() + durationS * 1000,
            };
          if (res.status < 500 && res.status !== 429)
            return { outcome: 'refused', code: `${res.status} ${String(res.json.code)}` };
          last = `${res.status} ${String(res.json.code)}`;
        } catch (err) {
          last = (err as Error).message;
        }
      }
      return { outcome: 'failed', detail: last };
    };

    const readWindow = async (id: string): Promise<CapacityChange | null> => {
      try {
        const res = await api('GET /v1/capacity-changes/{id}', 'GET', `/v1/capacity-changes/${encodeURIComponent(id)}`);
        return res.status === 200 ? (res.json as unknown as CapacityChange) : null;
      } catch {
        return null;
      }
    };

    /** Reads the window until it is closed or the deadline passes; returns its last status. */
    const waitClosed = async (w: Created, deadline: number) => {
      await sleep(Math.max(0, w.endAt - Date.now()));
      for (;;) {
        const s = await readWindow(w.id);
        if (s) w.status = s;
        if (s && s.status !== 'RUNNING') return true;
        if (Date.now() > deadline) return false;
        await sleep(POLL_EVERY_MS);
      }
    };

    const chain = async (ns: string, index: number) => {
      const rng = createRng(deriveSeed(args.seed, index));
      const baseline = baselines.get(ns)!;
      const choices = TRU_CHOICES.filter((t) => baseline.mode === 'ON_DEMAND' || t !== baseline.trus);
      for (let i = 0; i < perNs[index]; i++) {
        const trus = rng.pick(choices);
        const durationS = rng.int(args.minDurationS, args.maxDurationS);
        const gapMs = rng.int(300, args.maxDurationS * 1000);
        const r = await createWindow(ns, `soak-${tag}-${index}-${i}`, trus, durationS);
        if (r.outcome === 'refused') {
          bump(refused, r.code);
          // As a client would: not straight back with the next request (e.g. until inventory is back).
          await sleep(rng.int(1_000, 2_000));
        } else if (r.outcome === 'failed') {
          createFailed++;
          log(`${ns}: window ${i} not created: ${r.detail}`);
        } else {
          const w: Created = { id: r.id, namespace: ns, trus, endAt: r.endAt, status: null };
          created.push(w);
          // With --overlap the next request goes out without waiting; the settle phase waits for them all.
          if (!args.overlap && !(await waitClosed(w, w.endAt + closeTimeoutMs))) {
            // Windows may overlap: the chain goes on, and the next window's verified change may unblock this one
            // (its revert then goes to that window's value, not the baseline).
            w.overtaken = true;
            log(
              `${ns}: window ${w.id} did not close within ${args.closeTimeoutS} s of its end (phase ${w.status?.phase}); the chain goes on`,
            );
          }
        }
        if (args.overlap) await sleep(gapMs);
      }
    };
    log(
      `${args.windows} windows over ${args.namespaces} namespaces, ${args.minDurationS}-${args.maxDurationS} s each, seed ${args.seed}${args.overlap ? ', overlapping' : ''}`,
    );
    let lastProgress = Date.now();
    const progress = setInterval(() => {
      if (Date.now() - lastProgress < 30_000) return;
      lastProgress = Date.now();
      const closed = created.filter((w) => w.status && w.status.status !== 'RUNNING').length;
      log(
        `… ${created.length} created, ${closed} closed, ${Object.values(faultCounts).reduce((a, b) => a + b, 0)} faults, ${stack.alerts.length} alerts`,
      );
    }, 5_000);
    await Promise.all(names.map((ns, i) => chain(ns, i)));

    // ---- clear the faults and let everything settle.
    injecting = false;
    await injector;
    for (const t of restoreTimers) clearTimeout(t);
    await control('DELETE', '/faults');
    log('faults cleared; waiting for every window to close');
    const settleDeadline = Date.now() + closeTimeoutMs;
    await Promise.all(
      created.filter((w) => !w.status || w.status.status === 'RUNNING').map((w) => waitClosed(w, settleDeadline)),
    );
    clearInterval(progress);
    // A last read of each window, and the emulator's operations some time to settle after that.
    await Promise.all(created.map(async (w) => (w.status = (await readWindow(w.id)) ?? w.status)));
    await sleep(1_000);
    observe();
    clearInterval(sampler);
    sampler = undefined;

    // ---- what the emulator recorded, from its control plane, and each operation's own record.
    const nsRecords: NamespaceRecord[] = [];
    const opOutcomes: Record<string, number> = {};
    for (const ns of names) {
      const snap = (await control('GET', `/namespaces/${encodeURIComponent(ns)}`)) as {
        spec: unknown;
        capacity: Capacity;
        updates: Array<{ spec: unknown; asyncOperationId: string; at: string }>;
      };
      const ops = snap.updates.map((u) => {
        const op = stack.emulator.state.getAsyncOperation(u.asyncOperationId);
        const outcome = OP_STATES[op.state] ?? `STATE_${op.state}`;
        if (!setupOps.get(ns)!.includes(u.asyncOperationId)) bump(opOutcomes, outcome);
        return {
          opId: u.asyncOperationId,
          at: Date.parse(u.at),
          requested: targetOfSpec(u.spec),
          outcome,
          finishedAt: op.finishedTime ? op.finishedTime.getTime() : null,
        };
      });
      const withAfter: OpRecord[] = inferAfter({ mode: 'ON_DEMAND' }, ops, observations.get(ns)!);
      nsRecords.push({
        namespace: ns,
        baseline: baselines.get(ns)!,
        setupOpIds: setupOps.get(ns)!,
        initial: { mode: 'ON_DEMAND' },
        ops: withAfter,
        final: {
          mode: targetOfCapacity(snap.capacity),
          spec: targetOfSpec(snap.spec),
          inProgress: snap.capacity.latestRequest?.state === 2,
        },
      });
    }

    // ---- what the API lists (visibility is eventually consistent: give it a few seconds to agree).
    const listed: Record<string, string[]> = {};
    const listNs = async (ns: string) => {
      const ids: string[] = [];
      let token: string | null = null;
      do {
        const q = new URLSearchParams({ namespace: ns, pageSize: '100', ...(token ? { pageToken: token } : {}) });
        const res = await api('GET /v1/capacity-changes', 'GET', `/v1/capacity-changes?${q}`);
        if (res.status !== 200) throw new Error(`listing ${ns}: ${res.status}`);
        for (const item of res.json.items as Array<{ id: string }>) ids.push(item.id);
        token = res.json.nextPageToken as string | null;
      } while (token);
      return ids;
    };
    for (const ns of names) {
      const mine = new Set(created.filter((w) => w.namespace === ns).map((w) => w.id));
      for (let attempt = 0; ; attempt++) {
        listed[ns] = await listNs(ns);
        const same = listed[ns].length === mine.size && listed[ns].every((id) => mine.has(id));
        if (same || attempt >= 10) break;
        await sleep(1_000);
      }
    }

    // The revert's apply is retried for REVERT_ALERT_AFTER and its verification waits VERIFY_TIMEOUT before a
    // CRITICAL alert is due; 20 s more for a busy worker (timer and task latency on a loaded machine).
    const overstayAlertMs = stack.config.policy.revertAlertAfterMs + stack.config.policy.verifyTimeoutMs + 20_000;
    const windows: WindowRecord[] = created.map((w) => ({
      id: w.id,
      namespace: w.namespace,
      trus: w.trus,
      status: w.status,
      overtaken: w.overtaken,
    }));
    const result = check({
      sequential: !args.overlap,
      overstayAlertMs,
      now: Date.now(),
      namespaces: nsRecords,
      windows,
      alerts: stack.alerts.map((a) => ({ severity: a.severity, windowId: a.windowId })),
      listed,
    });

    const calls = (await stack.metrics.cloudOpsCalls.get()).values;
    const byOutcome: Record<string, number> = {};
    for (const v of calls) bump(byOutcome, String(v.labels.outcome), v.value);
    const callsTotal = calls.reduce((a, v) => a + v.value, 0);
    const closed = windows.filter((w) => w.status && w.status.status !== 'RUNNING');
    const injected = Object.values(faultCounts).reduce((a, b) => a + b, 0);
    const knownWindow = new Set(windows.map((w) => w.id));
    const figures: SoakFigures = {
      seed: args.seed,
      command: `npm run soak -- --windows ${args.windows} --namespaces ${args.namespaces} --seed ${args.seed} --duration ${args.minDurationS}-${args.maxDurationS} --fault-every ${args.faultEveryS}${args.overlap ? ' --overlap' : ''}${args.faults.length < FAULT_KINDS.length ? ` --faults ${args.faults.join(',')}` : ''}${args.closeTimeoutS !== 90 ? ` --close-timeout ${args.closeTimeoutS}` : ''}`,
      startedAt: startedAt.toISOString(),
      wallSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine: `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ${os.platform()}; load average ${loadAtStart.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end`,
      namespaces: {
        total: names.length,
        provisionedBaseline: [...baselines.values()].filter((b) => b.mode === 'PROVISIONED').length,
        onDemand: [...baselines.values()].filter((b) => b.mode === 'ON_DEMAND').length,
      },
      windows: {
        requested: args.windows,
        created: created.length,
        refused,
        createFailed,
        checked: result.windowsChecked,
        completed: closed.filter((w) => w.status!.phase === 'COMPLETED').length,
        failed: closed.filter((w) => w.status!.phase === 'FAILED').length,
        notClosed: windows.length - closed.length,
        blockedLoudly: result.blockedLoudly.length,
      },
      requests: {
        api: Object.values(counters.requests).reduce((a, b) => a + b, 0),
        byKind: counters.requests,
        answers: counters.answers,
        postRetries: counters.postRetries,
        controlPlane: counters.controlRequests,
      },
      cloudOps: { calls: callsTotal, failed: callsTotal - (byOutcome.ok ?? 0), byOutcome },
      faults: { injected, byKind: faultCounts as Record<FaultKind, number>, restores },
      emulator: {
        operations: Object.values(opOutcomes).reduce((a, b) => a + b, 0),
        byOutcome: opOutcomes,
        fulfilledNotApplied: result.fulfilledNotApplied,
      },
      alerts: {
        warning: stack.alerts.filter((a) => a.severity === 'WARNING').length,
        critical: stack.alerts.filter((a) => a.severity === 'CRITICAL').length,
        unattributed: stack.alerts.filter((a) => a.windowId === null || !knownWindow.has(a.windowId)).length,
        extra: result.extraAlerts,
      },
      claims: result.claims,
      overstay: args.overlap
        ? null
        : {
            maxSeconds: Math.round(result.overstay.maxMs / 100) / 10,
            overLimitSeconds: overstayAlertMs / 1000,
            overLimit: result.overstay.overLimit,
            overLimitWithCritical: result.overstay.overLimitWithCritical,
          },
      lost: {
        total: result.lostWindows.length + result.lostNamespaces.length,
        windows: result.lostWindows.length,
        namespaces: result.lostNamespaces.length,
        findings: result.findings,
      },
    };
    // A soak that checked nothing, or injected nothing, proves nothing: that fails too.
    const vacuous = result.windowsChecked === 0 || injected === 0;
    const code = figures.lost.total > 0 || vacuous ? 1 : 0;
    if (code === 0) rmSync(workDir, { recursive: true, force: true });
    else {
      // The evidence: each lost window's last status, and the emulator's timeline of the namespaces concerned.
      const lostIds = new Set(result.lostWindows);
      const lostWindows = windows.filter((w) => lostIds.has(w.id));
      const concerned = new Set([...result.lostNamespaces, ...lostWindows.map((w) => w.namespace)]);
      const evidence = path.join(workDir, 'lost.json');
      writeFileSync(
        evidence,
        JSON.stringify(
          {
            figures,
            windows: lostWindows,
            namespaces: nsRecords.filter((n) => concerned.has(n.namespace)),
            observations: Object.fromEntries([...concerned].map((ns) => [ns, observations.get(ns)])),
          },
          null,
          1,
        ),
      );
      log(`service log kept in ${stack.logFile}; lost windows and their namespaces' timelines in ${evidence}`);
    }
    if (vacuous) log('nothing was checked or no fault was injected: the soak proves nothing');
    return { code, figures, result };
  } finally {
    if (sampler) clearInterval(sampler);
    await stack.close();
  }
}

/** The figures as a short human report. */
export function formatReport(f: SoakFigures): string {
  const kv = (rec: Record<string, number>) =>
    Object.entries(rec)
      .sort(([, a], [, b]) => b - a)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  const lines = [
    `soak: ${f.command}`,
    `started ${f.startedAt}, ${f.wallSeconds} s; ${f.machine}`,
    `namespaces          ${f.namespaces.total} (${f.namespaces.provisionedBaseline} with a provisioned baseline of ${PROVISIONED_BASELINE} TRUs, ${f.namespaces.onDemand} On-Demand)`,
    `windows requested   ${f.windows.requested}: created ${f.windows.created}, refused ${kv(f.windows.refused)}, not created after retries ${f.windows.createFailed}`,
    `windows checked     ${f.windows.checked}: phase COMPLETED ${f.windows.completed}, FAILED ${f.windows.failed}, not closed ${f.windows.notClosed} (of which blocked with CRITICAL alerts repeating, for a human: ${f.windows.blockedLoudly})`,
    `API requests sent   ${f.requests.api} (${kv(f.requests.byKind)}); answers ${kv(f.requests.answers)}; POST retries ${f.requests.postRetries}`,
    `control plane       ${f.requests.controlPlane} requests`,
    `faults injected     ${f.faults.injected}: ${kv(f.faults.byKind)}; ${f.faults.restores} settings restored`,
    `Cloud Ops calls     ${f.cloudOps.calls} by the service, ${f.cloudOps.failed} failed (${kv(f.cloudOps.byOutcome)})`,
    `emulator operations ${f.emulator.operations}: ${kv(f.emulator.byOutcome)}; fulfilled but never applied ${f.emulator.fulfilledNotApplied}`,
    `alerts received     WARNING ${f.alerts.warning}, CRITICAL ${f.alerts.critical}; naming no soak window ${f.alerts.unattributed}; beyond one per error ${f.alerts.extra}`,
    `claims checked      ${f.claims.checked} verified changes and reverts against the emulator (${f.claims.unobserved} without an observation)`,
    f.overstay === null
      ? 'overstay            not measured with --overlap'
      : `overstay            longest ${f.overstay.maxSeconds} s past a window's end; ${f.overstay.overLimit} over ${f.overstay.overLimitSeconds} s, ${f.overstay.overLimitWithCritical} of them with a CRITICAL alert`,
    `LOST                ${f.lost.total} (${f.lost.windows} windows, ${f.lost.namespaces} namespaces)`,
    ...f.lost.findings.slice(0, 50).map((x) => `  - ${x.subject}: ${x.what}`),
    ...(f.lost.findings.length > 50 ? [`  … and ${f.lost.findings.length - 50} more`] : []),
  ];
  return lines.join('\n');
}
