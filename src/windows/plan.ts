// A dry run: what a window would change and when, given the claims the namespace's controller holds now.
import type { CreateCapacityChange, DryRunPlan } from '../api/routes/capacity-changes/schema.js';
import {
  describeTarget,
  provisioned,
  revertTarget,
  type CapacityTarget,
  type Claim,
  type ControllerState,
} from '../shared/index.js';
import type { WindowTimes } from './times.js';

export interface PlanInput {
  body: CreateCapacityChange;
  /** null: the times are refused (one of the problems). */
  window: WindowTimes | null;
  /** What the namespace has now. */
  current: CapacityTarget;
  /** null: no controller runs on the namespace, so no other window holds it. */
  controller: ControllerState | null;
  /** Every check the request fails, collected rather than thrown. */
  problems: { code: string; message: string }[];
  /** PROVISIONING_LEAD: a future window's raise begins this much before its start. */
  leadMs: number;
  /** CAPACITY_CHANGE_MIN_INTERVAL: changes of one namespace are no closer than this (0: no rule). */
  minIntervalMs: number;
  nowMs: number;
}

export function dryRunPlan(input: PlanInput): DryRunPlan {
  const { body, window, current, controller, problems, leadMs, minIntervalMs, nowMs } = input;
  const changes: DryRunPlan['changes'] = [];
  if (window) {
    // The namespace follows the largest claim: count the windows active now that are still active then.
    const activeAt = (ms: number) =>
      (controller?.claims ?? []).filter((c) => c.endAt === null || Date.parse(c.endAt) > ms);
    const holders = (claims: Claim[]) => claims.map((c) => c.windowId).join(', ');
    const atStart = activeAt(window.start);
    const highest = Math.max(body.trus, ...atStart.map((c) => c.trus));
    const wanted = body.startAt ? Math.max(nowMs, window.start - leadMs) : window.start;
    const early =
      wanted < window.start
        ? `, ${Math.round((window.start - wanted) / 1000)} s early to be in place at the start`
        : '';
    const covered = atStart.some((c) => c.trus >= body.trus);
    // The minimum interval counts from the namespace's last change, and from this window's raise for its revert.
    const lastChange = controller?.lastChangeAt && minIntervalMs > 0 ? Date.parse(controller.lastChangeAt) : null;
    const raiseAt = covered || lastChange === null ? wanted : Math.max(wanted, lastChange + minIntervalMs);
    const held = raiseAt > wanted ? ' (held back by CAPACITY_CHANGE_MIN_INTERVAL)' : '';
    changes.push({
      at: new Date(raiseAt).toISOString(),
      to: provisioned(highest),
      why: covered
        ? `nothing to change: ${highest} TRUs, held by ${holders(atStart)}`
        : `raise to ${describeTarget(provisioned(body.trus))}${early}${held}`,
    });
    if (window.endAt !== null) {
      const left = activeAt(Date.parse(window.endAt));
      const back = left.length
        ? provisioned(Math.max(...left.map((c) => c.trus)))
        : revertTarget(controller?.baseline ?? current, body.revertTo);
      const end = Date.parse(window.endAt);
      const revertAt = covered || minIntervalMs === 0 ? end : Math.max(end, raiseAt + minIntervalMs);
      const late = revertAt > end ? ' (held back by CAPACITY_CHANGE_MIN_INTERVAL: still billed until then)' : '';
      changes.push({
        at: new Date(revertAt).toISOString(),
        to: back,
        why: (left.length ? `follow ${holders(left)}` : `revert to ${describeTarget(back)}`) + late,
      });
    }
  }
  const hours = window?.endAt ? Math.ceil((Date.parse(window.endAt) - window.start) / 3_600_000) : null;
  return {
    dryRun: true,
    namespace: body.namespace,
    current,
    changes,
    validation: { ok: problems.length === 0, problems },
    estimatedTruHours: hours === null ? null : hours * body.trus,
  };
}
