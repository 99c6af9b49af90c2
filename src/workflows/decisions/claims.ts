// The controller's book of claims: how windows' messages and answered changes move claims. No workflow API: it
// changes the state it is given, and is unit-tested without a server.
import { provisioned } from '../../shared/capacity.js';
import type { Claim, ControllerMessage, ControllerState } from '../../shared/controller.js';

export function emptyState(): ControllerState {
  return {
    claims: [],
    releasing: [],
    baseline: null,
    known: null,
    failedTarget: null,
    lastRevertTo: 'BASELINE',
    seq: 0,
    blocked: null,
  };
}

/**
 * A claim is added, or updated and answered again (a window repeats its claim when it heard nothing for long, or
 * when its end moved). A release drops the claim and waits to hear where the namespace goes.
 */
export function take(state: ControllerState, message: ControllerMessage, at: string): void {
  if (message.kind === 'claim') {
    const existing = state.claims.find((c) => c.workflowId === message.claim.workflowId);
    if (existing) Object.assign(existing, message.claim, { answered: false });
    else state.claims.push({ ...message.claim, answered: false, since: at });
    return;
  }
  const index = state.claims.findIndex((c) => c.workflowId === message.workflowId);
  const claim = index >= 0 ? state.claims.splice(index, 1)[0] : undefined;
  if (claim) state.lastRevertTo = claim.revertTo;
  if (state.releasing.some((w) => w.workflowId === message.workflowId)) return;
  // A release the controller holds no claim for (a new run after a terminated one) is answered all the same.
  state.releasing.push(claim ?? unknownWindow(message.workflowId));
}

function unknownWindow(workflowId: string): Claim {
  return {
    workflowId,
    windowId: workflowId,
    trus: 0,
    revertTo: 'BASELINE',
    endAt: null,
    requestedBy: null,
    reason: null,
    startAt: null,
  };
}

/**
 * A permanent change holds no claim once answered: applied, it is the namespace's new baseline (what it keeps when
 * the windows around it end); failed, it is forgotten.
 */
export function retirePermanent(state: ControllerState, answered: readonly Claim[], applied: boolean): void {
  for (const c of answered.filter((a) => a.endAt === null)) {
    state.claims = state.claims.filter((x) => x !== c);
    if (applied) {
      state.baseline = provisioned(c.trus);
      state.lastRevertTo = 'BASELINE';
    }
  }
}

/** A release report's text, saying which windows still hold the namespace. */
export function heldBy(claims: readonly Claim[], text: string): string {
  const holders = claims.map((c) => c.windowId);
  return holders.length ? `${text}, for ${holders.length === 1 ? 'window' : 'windows'} ${holders.join(', ')}` : text;
}
