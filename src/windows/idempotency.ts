// An Idempotency-Key is a workflow id: Temporal lets exactly one start through, and a retry with the key is
// answered with the window the key made, provided it came with the same body.
import { createHash, randomBytes } from 'node:crypto';
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { ApiError } from '../api/plugins/errors.js';
import type { CapacityChangeReplayed } from '../api/routes/capacity-changes/schema.js';
import { keyedWindowWorkflowId, windowIdOf, windowWorkflowId, type WindowMemo } from '../shared/index.js';
import { effectivePhase, windowLink } from './read-model.js';

/** JSON with sorted keys: two bodies that mean the same hash the same, whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export const bodyHash = (body: unknown) => sha256(canonicalJson(body));

/** A keyed window's id comes from its key; any other gets its namespace and a random nonce. */
export function workflowIdFor(namespace: string, key: string | undefined): string {
  return key === undefined
    ? windowWorkflowId(namespace, randomBytes(8).toString('hex'))
    : keyedWindowWorkflowId(sha256(key));
}

/**
 * The window an Idempotency-Key already made, as it is now (running, cancelled, completed...), not as it was
 * when it started; 422 when the key came with another body.
 */
export function replayOf(desc: WorkflowExecutionDescription, hash: string): CapacityChangeReplayed {
  const memo = desc.memo as WindowMemo | undefined;
  if (memo?.request?.bodySha256 !== hash) {
    throw new ApiError(422, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different request body');
  }
  const id = windowIdOf(desc.workflowId, desc.runId);
  const status = desc.status.name;
  return {
    id,
    status,
    phase: effectivePhase(memo.progress?.phase ?? 'PENDING', status),
    links: { self: windowLink(id) },
  };
}
