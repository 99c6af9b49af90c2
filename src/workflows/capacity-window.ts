import { CancellationScope, isCancellation, setHandler } from '@temporalio/workflow';
import {
  cancelSignal,
  controllerReportSignal,
  progressQuery,
  setEndUpdate,
  type CapacityWindowInput,
  type CapacityWindowResult,
} from '../shared/index.js';
import { CapacityWindow } from './window-state.js';

/**
 * One capacity window: validate, claim N TRUs from the namespace's controller, hear it verified, hold until the
 * end, release the claim, hear the namespace verified where it goes next (the largest remaining claim, or the
 * baseline). The release lives here as a durable timer, so it happens whatever the API, the worker or Slack do;
 * the controller (namespace-controller.ts) makes every Cloud Ops change, one at a time.
 * This function's name is a workflow type: never rename it; version it.
 */
export async function capacityWindowWorkflow(input: CapacityWindowInput): Promise<CapacityWindowResult> {
  const window = new CapacityWindow(input);
  setHandler(progressQuery, () => window.progress);
  setHandler(cancelSignal, (request) => window.cancel(request));
  setHandler(setEndUpdate, (request) => window.moveEnd(request), { validator: (move) => window.checkEndMove(move) });
  setHandler(controllerReportSignal, (report) => window.hearReport(report));

  let cancellation: unknown = null;
  try {
    await window.untilStart();
    if (window.cancelled) return window.finish('COMPLETED');
    if (!(await window.validate())) return window.finish('FAILED');
    if (window.cancelled) return window.finish('COMPLETED');
    await window.claim();
    if (window.refused) return window.finish('FAILED');
    if (window.permanent && !window.cancelled) return window.finish(window.verified ? 'COMPLETED' : 'FAILED');
    await window.holdUntilEnd();
  } catch (err) {
    if (!isCancellation(err)) throw err;
    cancellation = err;
    window.interrupted();
    if (!window.claimed) {
      window.finish('COMPLETED');
      throw cancellation;
    }
  }

  await CancellationScope.nonCancellable(() => window.release());
  const outcome = window.finish(window.verified && window.revertVerified ? 'COMPLETED' : 'FAILED');
  if (cancellation) throw cancellation;
  return outcome;
}
