// What the Cloud Ops emulator recorded, read the way the end-to-end tests judge a window: the emulator's updates
// (with their times and their operations' outcomes) and the namespace's capacity, never the service's own claims.
import { OperationState } from '../../src/emulator/index.js';
import { provisioned } from '../../src/shared/index.js';
import type { CapacityChange } from '../../src/api/routes/capacity-changes/schema.js';
import { waitFor, type Harness } from './harness.js';

/** A capacity as the tests write it: a TRU count, or 'On-Demand'. */
export type Trus = number | 'On-Demand';

const OUTCOME_NAMES = Object.fromEntries(Object.entries(OperationState).map(([name, n]) => [n, name])) as Record<
  number,
  string
>;

/** One update the emulator accepted: what it asked for, when it arrived, and how its operation ended. */
export interface Change {
  requested: Trus;
  /** When the emulator accepted the update (epoch ms). */
  at: number;
  opId: string;
  outcome: string;
  finishedAt: number | null;
}

/** What the namespace has now, as the emulator shows it. */
export function capacityOf(h: Harness, ns: string): Trus {
  const capacity = h.emulator.state.snapshot(ns).capacity as { provisioned?: { currentValue: number } };
  return capacity.provisioned?.currentValue ?? 'On-Demand';
}

/** What the namespace's spec asks for now. */
export function specOf(h: Harness, ns: string): Trus {
  return requestedBy(h.emulator.state.snapshot(ns).spec);
}

function requestedBy(spec: Record<string, unknown>): Trus {
  const cs = spec.capacitySpec as { provisioned?: { value: number } } | undefined;
  return cs?.provisioned?.value ?? 'On-Demand';
}

/** Every update the namespace received, in order, with its operation's outcome. */
export function changes(h: Harness, ns: string): Change[] {
  return h.emulator.state.snapshot(ns).updates.map((u) => {
    const op = h.emulator.state.getAsyncOperation(u.asyncOperationId);
    return {
      requested: requestedBy(u.spec),
      at: u.at.getTime(),
      opId: u.asyncOperationId,
      outcome: OUTCOME_NAMES[op.state] ?? `STATE_${op.state}`,
      finishedAt: op.finishedTime?.getTime() ?? null,
    };
  });
}

/** The updates as `<requested> <outcome>` lines, e.g. ['4 FULFILLED', 'On-Demand FAILED']: one readable assertion. */
export function history(h: Harness, ns: string): string[] {
  return changes(h, ns).map((c) => `${c.requested} ${c.outcome}`);
}

/** UpdateNamespace calls the emulator received since `sinceMs`, refused ones included. */
export function updateCallsSince(h: Harness, sinceMs: number): number {
  return h.emulator.state.callLog.filter((c) => c.method === 'UpdateNamespace' && c.at.getTime() >= sinceMs).length;
}

export function alertsFor(h: Harness, ns: string, severity?: 'WARNING' | 'CRITICAL'): string[] {
  return h.slack.messages
    .map((m) => m.text)
    .filter((text) => text.includes(ns) && (!severity || text.includes(`[${severity}]`)));
}

/** Waits until the namespace's alerts of that severity number at least n. */
export function waitForAlerts(
  h: Harness,
  ns: string,
  severity: 'WARNING' | 'CRITICAL',
  n: number,
  timeoutMs = 30_000,
): Promise<string[]> {
  return waitFor(
    `${n} ${severity} alert(s) for ${ns}`,
    () => {
      const alerts = alertsFor(h, ns, severity);
      return alerts.length >= n ? alerts : undefined;
    },
    timeoutMs,
  );
}

/** Gives the namespace a provisioned capacity before any window, through the same Cloud Ops client, verified. */
export async function setBaseline(h: Harness, ns: string, trus: number): Promise<void> {
  const op = await h.capacity.setCapacity(ns, provisioned(trus), `test-baseline-${ns}`);
  await h.capacity.verify(ns, provisioned(trus), op, { deadline: Date.now() + 10_000 });
}

/** Moves a window's end (PATCH); the window's own durable timer then fires at the new end. */
export async function moveEnd(h: Harness, id: string, endAt: Date): Promise<CapacityChange> {
  const res = await h.app.inject({
    method: 'PATCH',
    url: `/v1/capacity-changes/${encodeURIComponent(id)}`,
    payload: { endAt: endAt.toISOString() },
  });
  if (res.statusCode !== 200) throw new Error(`PATCH ${id} answered ${res.statusCode} ${res.body}`);
  return res.json();
}

/** Waits until the window is closed; if it does not close, the error says what the emulator has. */
export async function waitClosed(h: Harness, id: string, ns: string, timeoutMs = 40_000): Promise<CapacityChange> {
  try {
    return await h.waitForWindow(id, 'closed', isClosed, timeoutMs);
  } catch (err) {
    const s = await h.windowStatus(id);
    throw new Error(
      `${(err as Error).message} (phase ${s.phase}, revertBlocked ${JSON.stringify(s.revertBlocked)}); ` +
        `the emulator has updates [${history(h, ns).join(', ')}] and capacity ${capacityOf(h, ns)}`,
      { cause: err },
    );
  }
}

export const isActive = (s: CapacityChange) => s.phase === 'ACTIVE';
export const isClosed = (s: CapacityChange) => s.status !== 'RUNNING';
