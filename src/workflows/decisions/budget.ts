// An account's budget of Cloud Ops operations: who holds a lease, who waits, who is granted next. Pure: it changes
// the state it is given, and is unit-tested without a server.
import type { BudgetAnswer, BudgetMessage, BudgetState } from '../../shared/budget.js';

export function emptyBudget(limit: number): BudgetState {
  return { limit, leases: [], waiters: [] };
}

/**
 * A request joins the queue (a repeated one keeps its place, or its lease); a release frees its lease, or drops it
 * from the queue.
 */
export function takeBudgetMessage(state: BudgetState, message: BudgetMessage, now: number): void {
  if (message.kind === 'release') {
    state.leases = state.leases.filter((l) => l.requestId !== message.requestId);
    state.waiters = state.waiters.filter((w) => w.requestId !== message.requestId);
    return;
  }
  state.limit = Math.max(1, message.limit);
  const known =
    state.leases.some((l) => l.requestId === message.requestId) ||
    state.waiters.some((w) => w.requestId === message.requestId);
  if (known) return;
  const { holder, requestId, leaseMs } = message;
  state.waiters.push({ holder, requestId, leaseMs, since: now });
}

/** Leases past their end: their holders died or forgot to release. */
export function expireLeases(state: BudgetState, now: number): string[] {
  const expired = state.leases.filter((l) => l.until <= now).map((l) => l.requestId);
  state.leases = state.leases.filter((l) => l.until > now);
  return expired;
}

/** Grants the queue's head while the budget has room, first come first served; the answers to send. */
export function grant(state: BudgetState, now: number): { holder: string; answer: BudgetAnswer }[] {
  const answers: { holder: string; answer: BudgetAnswer }[] = [];
  while (state.waiters.length > 0 && state.leases.length < state.limit) {
    const w = state.waiters.shift()!;
    state.leases.push({ holder: w.holder, requestId: w.requestId, until: now + w.leaseMs });
    answers.push({
      holder: w.holder,
      answer: { requestId: w.requestId, granted: true, inFlight: state.leases.length, limit: state.limit, ahead: 0 },
    });
  }
  return answers;
}

/** What a queued request is told: how many operations run, and how many requests are ahead of it. */
export function queuedAnswer(state: BudgetState, requestId: string): BudgetAnswer | null {
  const ahead = state.waiters.findIndex((w) => w.requestId === requestId);
  if (ahead < 0) return null;
  return { requestId, granted: false, inFlight: state.leases.length, limit: state.limit, ahead };
}

/** When the next lease ends by itself (undefined: none held). */
export function nextLeaseEnd(state: BudgetState): number | undefined {
  return state.leases.length ? Math.min(...state.leases.map((l) => l.until)) : undefined;
}

/** The lease the controller asks for covers its longest change: the apply's retries, then the verification. */
export function leaseMsFor(policy: { verifyTimeoutMs: number; revertAlertAfterMs: number }, applyMs: number): number {
  return Math.max(applyMs, policy.revertAlertAfterMs) + policy.verifyTimeoutMs + 60_000;
}
