// The soak's judge. Pure: it takes what the EMULATOR recorded (every update it accepted, each operation's
// outcome and finish time, the capacity it showed while the soak watched), what the service claimed (each
// window's final status and result), what Slack received, and what the API lists; it returns every
// contradiction. The service's claims are never taken as evidence, only checked against the emulator.
import type { CapacityChange } from '../src/api/routes/capacity-changes/schema.js';

/** A capacity, as the API and the soak speak of it: On-Demand, or provisioned with a TRU count. */
export interface Target {
  mode: 'ON_DEMAND' | 'PROVISIONED';
  trus?: number;
}

/** One update the emulator accepted (an async operation), in the order it accepted them. */
export interface OpRecord {
  opId: string;
  /** When the emulator accepted it (epoch ms). */
  at: number;
  /** The capacity the update asked for (its spec's capacitySpec). */
  requested: Target | null;
  /** The operation's state: FULFILLED, FAILED, REJECTED, CANCELLED, or PENDING/IN_PROGRESS if unfinished. */
  outcome: string;
  finishedAt: number | null;
  /** The capacity the namespace showed once it had settled (null: never seen). */
  after: Target | null;
}

/** The namespace's capacity as the emulator showed it at one instant. */
export interface Observation {
  at: number;
  mode: Target;
  requestOpId: string | null;
  requestState: 'COMPLETED' | 'IN_PROGRESS' | 'FAILED' | null;
}

export interface NamespaceRecord {
  namespace: string;
  /** What the soak set before any window: every window must leave it so. */
  baseline: Target;
  /** Operations the soak itself made to set the baseline. */
  setupOpIds: string[];
  /** The capacity before the first operation (the emulator seeds On-Demand). */
  initial: Target;
  ops: OpRecord[];
  /** The emulator's state at the end. */
  final: { mode: Target; spec: Target | null; inProgress: boolean };
}

export interface WindowRecord {
  id: string;
  namespace: string;
  trus: number;
  /** The last status the API gave (null: never read). */
  status: CapacityChange | null;
  /** The chain sent its next window while this one was still open (it had not closed 90 s after its end). */
  overtaken?: boolean;
}

export interface AlertRecord {
  severity: 'WARNING' | 'CRITICAL' | 'UNKNOWN';
  windowId: string | null;
}

export interface CheckInput {
  /** Windows of a namespace never overlapped: each one's baseline is the namespace's. */
  sequential: boolean;
  /** Past its end, a namespace may stay changed this long before a CRITICAL alert is owed. */
  overstayAlertMs: number;
  now: number;
  namespaces: NamespaceRecord[];
  windows: WindowRecord[];
  alerts: AlertRecord[];
  /** Window ids the API lists per namespace (null: not checked). */
  listed: Record<string, string[]> | null;
}

export interface Finding {
  /** A window id, or a namespace. */
  subject: string;
  what: string;
}

export interface CheckResult {
  findings: Finding[];
  lostWindows: string[];
  lostNamespaces: string[];
  windowsChecked: number;
  /** Claims of a verified change or revert checked against the emulator, and those it had no observation for. */
  claims: { checked: number; unobserved: number };
  /** How long namespaces stayed changed past their windows' ends. */
  overstay: { maxMs: number; overLimit: number; overLimitWithCritical: number };
  /** FULFILLED operations whose capacity never showed up (the capacityNotApplied fault). */
  fulfilledNotApplied: number;
  extraAlerts: number;
  /**
   * Windows still reverting at the end with revertBlocked set and CRITICAL alerts repeating: the promise for a
   * revert nothing the service does can complete (a human must step in), so counted apart, not as lost.
   */
  blockedLoudly: string[];
}

export const sameTarget = (a: Target | null | undefined, b: Target | null | undefined): boolean =>
  !!a && !!b && a.mode === b.mode && (a.mode === 'ON_DEMAND' || a.trus === b.trus);

/** t provisions at least as much as target. */
const covers = (t: Target | null | undefined, target: Target): boolean =>
  !!t && t.mode === 'PROVISIONED' && target.mode === 'PROVISIONED' && (t.trus ?? 0) >= (target.trus ?? Infinity);

export const describe = (t: Target | null | undefined): string =>
  !t ? 'unknown' : t.mode === 'ON_DEMAND' ? 'On-Demand' : `${t.trus ?? '?'} TRUs`;

const UNFINISHED = new Set(['PENDING', 'IN_PROGRESS']);

/**
 * What each operation left the namespace with, from the emulator's own observations: the capacity shown
 * while this operation was the latest request and finished, or while the next one was still in progress
 * (the capacity only changes when an operation settles). An operation that did not succeed changes nothing.
 */
export function inferAfter(
  initial: Target,
  ops: Array<Omit<OpRecord, 'after'>>,
  observations: readonly Observation[],
): OpRecord[] {
  const out: OpRecord[] = [];
  let previous: Target | null = initial;
  ops.forEach((op, i) => {
    const next = ops[i + 1];
    const seen =
      observations.find(
        (o) => o.requestOpId === op.opId && o.requestState !== null && o.requestState !== 'IN_PROGRESS',
      ) ??
      (next ? observations.find((o) => o.requestOpId === next.opId && o.requestState === 'IN_PROGRESS') : undefined);
    let after: Target | null = seen?.mode ?? null;
    if (after === null && op.outcome !== 'FULFILLED' && !UNFINISHED.has(op.outcome)) after = previous;
    out.push({ ...op, after });
    previous = after;
  });
  return out;
}

/** The namespace's capacity at time t: what the last operation finished by then left (undefined: unknown). */
export function modeAt(ns: Pick<NamespaceRecord, 'initial' | 'ops'>, t: number): Target | undefined {
  let mode: Target | null = ns.initial;
  for (const op of ns.ops) {
    if (op.finishedAt === null || op.finishedAt > t) continue;
    mode = op.after;
  }
  return mode ?? undefined;
}

/** When a window began to exist: its start, or its first step if that came earlier. */
const openedAt = (s: CapacityChange): number =>
  Math.min(...[s.startAt, ...s.steps.map((x) => x.at)].map((t) => Date.parse(t)));

/** When the first of these steps was recorded (null: none). */
const firstStep = (s: CapacityChange, steps: string[]): number | null => {
  const times = s.steps.filter((x) => steps.includes(x.step)).map((x) => Date.parse(x.at));
  return times.length ? Math.min(...times) : null;
};

export function check(input: CheckInput): CheckResult {
  const findings: Finding[] = [];
  const add = (subject: string, what: string) => findings.push({ subject, what });
  const claims = { checked: 0, unobserved: 0 };
  const overstay = { maxMs: 0, overLimit: 0, overLimitWithCritical: 0 };
  let extraAlerts = 0;
  let windowsChecked = 0;
  const blockedLoudly: string[] = [];
  const byNs = new Map(input.namespaces.map((n) => [n.namespace, n]));

  // Windows of each namespace in the order they started, to bound each one's stretch of the timeline.
  const windowsByNs = new Map<string, WindowRecord[]>();
  for (const w of input.windows) windowsByNs.set(w.namespace, [...(windowsByNs.get(w.namespace) ?? []), w]);
  for (const list of windowsByNs.values())
    list.sort((a, b) => (a.status ? openedAt(a.status) : Infinity) - (b.status ? openedAt(b.status) : Infinity));

  /**
   * Checks a claim that the namespace reached `target` through operation opId, or, with nothing to change, that
   * it had `target` at some moment between `fromMs` (the window asked) and the claimed time (a window hears of
   * it a little later, and meanwhile another window's change may already have finished).
   */
  const checkClaim = (
    w: WindowRecord,
    ns: NamespaceRecord,
    what: string,
    opId: string | null,
    target: Target,
    atIso: string | null,
    fromMs: number | null,
    atLeast = false,
  ) => {
    const ok = (t: Target | null | undefined) => sameTarget(t, target) || (atLeast && covers(t, target));
    claims.checked++;
    const at = atIso ? Date.parse(atIso) : Number.NaN;
    if (opId === null) {
      if (Number.isNaN(at)) return add(w.id, `claims ${what} with no time`);
      const from = Math.min(fromMs ?? at, at);
      const seen = [
        modeAt(ns, from),
        ...ns.ops
          .filter((o) => o.finishedAt !== null && o.finishedAt > from && o.finishedAt <= at)
          .map((o) => o.after ?? undefined),
      ];
      if (seen.some((m) => m !== undefined && ok(m))) return;
      if (seen.some((m) => m === undefined)) claims.unobserved++;
      else
        add(
          w.id,
          `claims ${what} (${describe(target)}, nothing to change) but from ${new Date(from).toISOString()} to ${atIso} the namespace had ${[...new Set(seen.map((m) => describe(m)))].join(', then ')}`,
        );
      return;
    }
    const op = ns.ops.find((o) => o.opId === opId);
    if (!op) return add(w.id, `claims ${what} through operation ${opId}, which the emulator never received`);
    if (!ok(op.requested))
      add(w.id, `claims ${what} to ${describe(target)} but operation ${opId} asked for ${describe(op.requested)}`);
    if (op.outcome !== 'FULFILLED') add(w.id, `claims ${what} but operation ${opId} ended ${op.outcome}`);
    else if (op.after === null) claims.unobserved++;
    else if (!ok(op.after))
      add(
        w.id,
        `claims ${what} to ${describe(target)} but after operation ${opId} the namespace had ${describe(op.after)}`,
      );
    if (op.finishedAt !== null && !Number.isNaN(at) && at < op.finishedAt) {
      add(
        w.id,
        `claims ${what} at ${atIso}, before operation ${opId} finished (${new Date(op.finishedAt).toISOString()})`,
      );
    }
  };

  for (const w of input.windows) {
    const ns = byNs.get(w.namespace);
    const s = w.status;
    if (!ns) {
      add(w.id, `namespace ${w.namespace} unknown to the checker`);
      continue;
    }
    if (!s) {
      add(w.id, 'never readable through the API');
      continue;
    }
    const myAlerts = input.alerts.filter((a) => a.windowId === w.id);
    const criticals = myAlerts.filter((a) => a.severity === 'CRITICAL').length;
    const warnings = myAlerts.filter((a) => a.severity === 'WARNING').length;
    // The operations the window says carried its change (its APPLY steps and its result).
    const applyIds = new Set(
      s.steps.filter((x) => x.step === 'APPLY' && x.asyncOperationId).map((x) => x.asyncOperationId as string),
    );
    if (s.result?.applyOperationId) applyIds.add(s.result.applyOperationId);
    const applyOps = ns.ops.filter((o) => applyIds.has(o.opId));

    // Overstay: how long past its end the namespace stayed off its baseline, until the next window began.
    const end = s.endAt ? Date.parse(s.endAt) : null;
    if (input.sequential && end !== null) {
      const list = windowsByNs.get(w.namespace)!;
      const next = list[list.indexOf(w) + 1];
      const until = next?.status ? openedAt(next.status) : input.now;
      const points = [
        end,
        ...ns.ops
          .filter((o) => o.finishedAt !== null && o.finishedAt > end && o.finishedAt <= until)
          .map((o) => o.finishedAt as number),
      ];
      let overEnd = end;
      let unknown = false;
      points.forEach((p, i) => {
        const m = modeAt(ns, p);
        if (m === undefined) unknown = true;
        else if (!sameTarget(m, ns.baseline)) overEnd = points[i + 1] ?? until;
      });
      const over = overEnd - end;
      if (!unknown) {
        overstay.maxMs = Math.max(overstay.maxMs, over);
        if (over > input.overstayAlertMs) {
          overstay.overLimit++;
          if (criticals > 0) overstay.overLimitWithCritical++;
          else
            add(
              w.id,
              `the namespace stayed off its baseline ${(over / 1000).toFixed(1)} s past the window's end with no CRITICAL alert`,
            );
        }
      }
    }

    if (s.status === 'RUNNING' && s.revertBlocked !== null && criticals >= 2) {
      blockedLoudly.push(w.id);
      continue;
    }
    if (s.status === 'RUNNING') {
      add(
        w.id,
        `did not close: phase ${s.phase}, revertBlocked ${JSON.stringify(s.revertBlocked)}, ${criticals} CRITICAL alert(s)`,
      );
      continue;
    }
    const r = s.result;
    if (s.status !== 'COMPLETED' || !r) {
      add(w.id, `workflow ended ${s.status} with ${r ? 'a' : 'no'} result (phase ${s.phase})`);
      continue;
    }
    windowsChecked++;

    const expectedPhase = r.verificationSuccess && r.revertVerificationSuccess ? 'COMPLETED' : 'FAILED';
    if (s.phase !== expectedPhase) add(w.id, `phase ${s.phase}, but its result makes it ${expectedPhase}`);
    if (s.phase === 'FAILED' && r.errors.length === 0) add(w.id, 'FAILED with no error recorded');
    if (r.verificationSuccess && !r.initialChangeSuccess) add(w.id, 'verified a change it says it did not make');

    // The baseline it reports: what the soak set, which every earlier window must have left in place.
    if (r.baseline && !sameTarget(r.baseline, ns.baseline))
      add(w.id, `result.baseline is ${describe(r.baseline)}, not the namespace's baseline ${describe(ns.baseline)}`);

    // A verified change: exactly its TRUs; with overlapping windows, at least its TRUs (a larger one may hold).
    const target: Target = { mode: 'PROVISIONED', trus: w.trus };
    if (r.verificationSuccess)
      checkClaim(
        w,
        ns,
        'a verified change',
        r.applyOperationId,
        target,
        r.verifiedAt,
        firstStep(s, ['APPLY']),
        !input.sequential,
      );

    if (r.reverted && r.revertVerificationSuccess) {
      if (!r.revertedTo) add(w.id, 'claims a verified revert but says to nothing');
      else {
        if (input.sequential && !w.overtaken && !sameTarget(r.revertedTo, ns.baseline))
          add(w.id, `reverted to ${describe(r.revertedTo)}, not the baseline ${describe(ns.baseline)}`);
        if (r.revertedToOnDemand !== (r.revertedTo.mode === 'ON_DEMAND'))
          add(w.id, `revertedToOnDemand ${r.revertedToOnDemand} but revertedTo ${describe(r.revertedTo)}`);
        checkClaim(
          w,
          ns,
          'a verified revert',
          r.revertOperationId,
          r.revertedTo,
          r.revertedAt,
          firstStep(s, ['REVERT', 'REVERT_VERIFY']),
        );
      }
    } else if (applyOps.length > 0) {
      add(
        w.id,
        `the emulator received its change (${applyOps[0].opId}, ${applyOps[0].outcome}) but the window closed without a verified revert`,
      );
    }

    // Alerts: one per recorded error (CRITICAL for the revert's), and none missing for a failed window.
    const revertErrors = r.errors.filter((e) => e.startsWith('REVERT')).length;
    const otherErrors = r.errors.length - revertErrors;
    if (s.phase === 'FAILED' && myAlerts.length === 0) add(w.id, 'FAILED without any alert');
    if (criticals < revertErrors) add(w.id, `${revertErrors} revert error(s) but ${criticals} CRITICAL alert(s)`);
    if (warnings < otherErrors) add(w.id, `${otherErrors} error(s) but ${warnings} WARNING alert(s)`);
    extraAlerts += Math.max(0, myAlerts.length - r.errors.length);
  }

  let fulfilledNotApplied = 0;
  for (const ns of input.namespaces) {
    // Every change must come while one of the namespace's windows was open (by time, not by operation id:
    // which window an operation belongs to is the service's business, and may change).
    const open = (windowsByNs.get(ns.namespace) ?? [])
      .filter((w) => w.status)
      .map((w) => ({
        from: openedAt(w.status!) - 1_000,
        to:
          w.status!.status === 'RUNNING' || !w.status!.result
            ? Infinity
            : Date.parse(w.status!.result.completedAt) + 1_000,
      }));
    for (const op of ns.ops) {
      if (!ns.setupOpIds.includes(op.opId) && !open.some((o) => op.at >= o.from && op.at <= o.to)) {
        add(
          ns.namespace,
          `operation ${op.opId} (${describe(op.requested)}) changed the namespace at ${new Date(op.at).toISOString()}, while none of its windows was open`,
        );
      }
      if (op.outcome === 'FULFILLED' && op.after !== null && !sameTarget(op.after, op.requested)) fulfilledNotApplied++;
    }
    // Off its baseline is no loss while a blocked window says so and keeps alerting.
    const loud = (windowsByNs.get(ns.namespace) ?? []).some((w) => blockedLoudly.includes(w.id));
    if (!loud && !sameTarget(ns.final.mode, ns.baseline))
      add(ns.namespace, `ends with ${describe(ns.final.mode)}, not its baseline ${describe(ns.baseline)}`);
    else if (!loud && !sameTarget(ns.final.spec, ns.baseline))
      add(
        ns.namespace,
        `its spec ends asking for ${describe(ns.final.spec)}, not its baseline ${describe(ns.baseline)}`,
      );
    if (ns.final.inProgress) add(ns.namespace, 'ends with a capacity request still in progress');
    if (input.listed) {
      const listed = new Set(input.listed[ns.namespace] ?? []);
      const created = new Set((windowsByNs.get(ns.namespace) ?? []).map((w) => w.id));
      for (const id of listed)
        if (!created.has(id))
          add(ns.namespace, `the API lists window ${id}, which no answer to the soak ever named (a doubled request?)`);
      for (const id of created) if (!listed.has(id)) add(ns.namespace, `the API does not list window ${id}`);
    }
  }

  const windowIds = new Set(input.windows.map((w) => w.id));
  const lostWindows = [...new Set(findings.filter((f) => windowIds.has(f.subject)).map((f) => f.subject))];
  const lostNamespaces = [...new Set(findings.filter((f) => !windowIds.has(f.subject)).map((f) => f.subject))];
  return {
    findings,
    lostWindows,
    lostNamespaces,
    windowsChecked,
    claims,
    overstay,
    fulfilledNotApplied,
    extraAlerts,
    blockedLoudly,
  };
}
