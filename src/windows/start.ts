// The workflow start of a new window: its input, the memo its status is read from, and the search attributes
// that listings filter on.
import type { WorkflowStartOptions } from '@temporalio/client';
import type { CreateCapacityChange } from '../api/routes/capacity-changes/schema.js';
import type { Config } from '../config.js';
import { SA, type AuditStamp, type CapacityWindowInput, type WindowMemo } from '../shared/index.js';
import type { WindowTimes } from './times.js';

export interface WindowStart {
  body: CreateCapacityChange;
  workflowId: string;
  times: WindowTimes;
  phase: 'SCHEDULED' | 'PENDING';
  /** The Idempotency-Key and the hash of the body it came with, kept for replays. */
  idempotency?: { key: string; bodySha256: string };
  created: AuditStamp;
}

export function windowStartOptions(
  { body, workflowId, times, phase, idempotency, created }: WindowStart,
  config: Config,
): WorkflowStartOptions {
  const input: CapacityWindowInput = {
    namespace: body.namespace,
    trus: body.trus,
    ...(body.duration !== undefined && { duration: body.duration }),
    ...(body.endAt !== undefined && { endAt: body.endAt }),
    ...(body.startAt !== undefined && { startAt: body.startAt }),
    ...(body.reason !== undefined && { reason: body.reason }),
    ...(body.requestedBy !== undefined && { requestedBy: body.requestedBy }),
    ...(body.revertTo !== undefined && { revertTo: body.revertTo }),
    ...(body.acknowledgeShortWindow !== undefined && { acknowledgeShortWindow: body.acknowledgeShortWindow }),
    policy: config.policy,
  };
  const { start, endAt } = times;
  const memo = {
    window: {
      namespace: body.namespace,
      trus: body.trus,
      requestedBy: body.requestedBy ?? null,
      reason: body.reason ?? null,
    },
    progress: { phase, startAt: new Date(start).toISOString(), endAt, steps: [], revertBlocked: null },
    ...(idempotency !== undefined && {
      request: { idempotencyKey: idempotency.key, bodySha256: idempotency.bodySha256 },
    }),
    created,
  } satisfies WindowMemo;
  return {
    taskQueue: config.temporal.taskQueue,
    workflowId,
    args: [input],
    memo,
    // A keyed id is never reused while Temporal keeps its history: a retry, even after the window closed, replays it.
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    workflowIdConflictPolicy: 'FAIL',
    typedSearchAttributes: [
      { key: SA.namespace, value: body.namespace },
      { key: SA.trus, value: body.trus },
      { key: SA.phase, value: phase },
      { key: SA.startAt, value: new Date(start) },
      ...(endAt === null ? [] : [{ key: SA.endAt, value: new Date(endAt) }]),
      ...(body.requestedBy === undefined ? [] : [{ key: SA.requestedBy, value: body.requestedBy }]),
    ],
  };
}
