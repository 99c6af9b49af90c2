// Listing windows through Temporal visibility: the query a listing's filters make (every value escaped), page
// tokens bound to that query, and a window's summary from what visibility returns.
import { createHash } from 'node:crypto';
import type { WorkflowExecutionStatusName } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { temporal as proto } from '@temporalio/proto';
import { ApiError } from '../api/plugins/errors.js';
import { PhaseSchema } from '../api/routes/capacity-changes/schema.js';
import type {
  CapacityChangeSummary,
  ListCapacityChangesQuery,
  ListableStatus,
} from '../api/routes/capacity-changes/list-schema.js';
import {
  CAPACITY_WINDOW_WORKFLOW,
  SA,
  WINDOW_PREFIX,
  windowIdOf,
  type Phase,
  type WindowMemo,
} from '../shared/index.js';
import { effectivePhase, windowLink } from './read-model.js';

/**
 * The one way a value enters a visibility query: a single-quoted string literal with backslashes and both quote
 * characters escaped. The schema already restricts what filters may contain; this holds whatever it lets through.
 */
export function visibilityString(value: string): string {
  return `'${value.replace(/[\\'"]/g, (c) => `\\${c}`)}'`;
}

/** The API's status names in the spelling of Temporal's ExecutionStatus. */
const VISIBILITY_STATUS: Record<ListableStatus, string> = {
  RUNNING: 'Running',
  COMPLETED: 'Completed',
  FAILED: 'Failed',
  CANCELLED: 'Canceled',
  TERMINATED: 'Terminated',
  TIMED_OUT: 'TimedOut',
  CONTINUED_AS_NEW: 'ContinuedAsNew',
};

// A workflow that died without finishing cannot have published its last phase: the API shows it FAILED (as GET by id does).
const DEAD_VISIBILITY_STATUSES = ['Failed', 'Canceled', 'Terminated', 'TimedOut'].map(visibilityString).join(', ');

export type ListFilters = Pick<
  ListCapacityChangesQuery,
  'namespace' | 'status' | 'phase' | 'requestedBy' | 'scheduleId' | 'from' | 'to' | 'endAfter'
>;

/**
 * Windows not over by an instant: still running (a revert not yet verified), permanent (no CapacityEndAt), or
 * ended after it, by `endField`. The listing's `endAfter` ends at CapacityEndAt; a report's holds at CloseTime.
 */
export function notOverBy(atMs: number, endField: 'CloseTime' | typeof SA.endAt.name): string {
  const at = visibilityString(new Date(atMs).toISOString());
  const running = `ExecutionStatus = ${visibilityString(VISIBILITY_STATUS.RUNNING)}`;
  return `(${running} OR ${endField} > ${at} OR ${SA.endAt.name} IS NULL)`;
}

/** The visibility query for a listing: every literal through visibilityString, every name from our own constants. */
export function buildListQuery(f: ListFilters): string {
  const clauses = [`WorkflowType = ${visibilityString(CAPACITY_WINDOW_WORKFLOW)}`];
  if (f.namespace !== undefined) clauses.push(`${SA.namespace.name} = ${visibilityString(f.namespace)}`);
  if (f.requestedBy !== undefined) clauses.push(`${SA.requestedBy.name} = ${visibilityString(f.requestedBy)}`);
  if (f.scheduleId !== undefined) clauses.push(`${SA.scheduleId.name} = ${visibilityString(f.scheduleId)}`);
  if (f.from !== undefined) clauses.push(`${SA.startAt.name} >= ${visibilityString(new Date(f.from).toISOString())}`);
  if (f.to !== undefined) clauses.push(`${SA.startAt.name} <= ${visibilityString(new Date(f.to).toISOString())}`);
  if (f.endAfter !== undefined) clauses.push(notOverBy(Date.parse(f.endAfter), SA.endAt.name));
  if (f.phase !== undefined) {
    const phase = `${SA.phase.name} = ${visibilityString(f.phase)}`;
    if (f.phase === 'FAILED') {
      clauses.push(
        `(${phase} OR (ExecutionStatus IN (${DEAD_VISIBILITY_STATUSES}) AND ${SA.phase.name} != ${visibilityString('COMPLETED')}))`,
      );
    } else if (f.phase === 'COMPLETED') {
      clauses.push(phase);
    } else {
      clauses.push(`${phase} AND ExecutionStatus NOT IN (${DEAD_VISIBILITY_STATUSES})`);
    }
  }
  // A run that continued as new is the same window as its successor: listed once, unless asked for by status.
  clauses.push(
    f.status !== undefined
      ? `ExecutionStatus = ${visibilityString(VISIBILITY_STATUS[f.status])}`
      : `ExecutionStatus != ${visibilityString(VISIBILITY_STATUS.CONTINUED_AS_NEW)}`,
  );
  return clauses.join(' AND ');
}

// Page tokens are Temporal's, prefixed with a digest of the query they belong to: a token is only good for the
// filters that produced it, and anything else is refused before it reaches Temporal.
const DIGEST_BYTES = 8;
const MAX_PAGE_TOKEN_CHARS = 8192;

const queryDigest = (query: string) => createHash('sha256').update(query).digest().subarray(0, DIGEST_BYTES);

export function encodePageToken(query: string, token: Uint8Array): string {
  return Buffer.concat([queryDigest(query), token]).toString('base64url');
}

/** Temporal's token from ours; undefined when it is not a token of this query. */
export function decodePageToken(query: string, text: string): Buffer | undefined {
  if (text.length === 0 || text.length > MAX_PAGE_TOKEN_CHARS || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.length <= DIGEST_BYTES || bytes.toString('base64url') !== text) return undefined;
  if (!bytes.subarray(0, DIGEST_BYTES).equals(queryDigest(query))) return undefined;
  return bytes.subarray(DIGEST_BYTES);
}

export const invalidPageToken = () =>
  new ApiError(422, 'INVALID_PAGE_TOKEN', 'pageToken is not a nextPageToken of this listing with these filters');

const STATUS_NAME: Record<number, WorkflowExecutionStatusName> = {
  0: 'UNSPECIFIED',
  1: 'RUNNING',
  2: 'COMPLETED',
  3: 'FAILED',
  4: 'CANCELLED',
  5: 'TERMINATED',
  6: 'CONTINUED_AS_NEW',
  7: 'TIMED_OUT',
  8: 'PAUSED',
};
const PHASES: ReadonlySet<string> = new Set(PhaseSchema.enum);

type RawExecution = proto.api.workflow.v1.IWorkflowExecutionInfo;

export function decodePayload(payload: Payload | null | undefined): unknown {
  if (!payload) return undefined;
  try {
    return defaultPayloadConverter.fromPayload(payload);
  } catch {
    return undefined;
  }
}

export function timestampIso(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): string | undefined {
  if (!ts || ts.seconds === undefined || ts.seconds === null) return undefined;
  const ms = Number(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
  return ms > 0 ? new Date(ms).toISOString() : undefined;
}

const asString = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined;
const asIso = (v: unknown): string | undefined => {
  const s = asString(v);
  return s !== undefined && !Number.isNaN(Date.parse(s)) ? new Date(s).toISOString() : undefined;
};

/** A list item before its TRU-hours are added (they need the other windows of its namespace). */
export type WindowSummary = Omit<CapacityChangeSummary, 'truHours' | 'usedTruHours'>;

/**
 * One window's summary from what visibility returns: its search attributes and execution info, with the memo
 * (in the same answer) as a fallback for executions started before the search attributes existed.
 */
export function summaryOf(raw: RawExecution): WindowSummary | undefined {
  const workflowId = raw.execution?.workflowId ?? '';
  const runId = raw.execution?.runId ?? '';
  if (!workflowId.startsWith(WINDOW_PREFIX) || !runId) return undefined;
  const fields = (raw.searchAttributes?.indexedFields ?? {}) as Record<string, Payload>;
  const sa = (name: string) => decodePayload(fields[name]);
  const memo = (decodePayload(raw.memo?.fields?.window as Payload | undefined) ?? undefined) as
    WindowMemo['window'] | undefined;
  const progress = decodePayload(raw.memo?.fields?.progress as Payload | undefined) as
    WindowMemo['progress'] | undefined;

  const namespace = asString(sa(SA.namespace.name)) ?? memo?.namespace;
  const trusValue = sa(SA.trus.name);
  const trus = typeof trusValue === 'number' ? trusValue : memo?.trus;
  if (namespace === undefined || trus === undefined) return undefined;

  const status = STATUS_NAME[Number(raw.status ?? 0)] ?? 'UNKNOWN';
  const phaseValue = asString(sa(SA.phase.name)) ?? progress?.phase;
  const memoPhase: Phase = phaseValue !== undefined && PHASES.has(phaseValue) ? (phaseValue as Phase) : 'PENDING';
  const startAt =
    asIso(sa(SA.startAt.name)) ??
    progress?.startAt ??
    timestampIso(raw.executionTime) ??
    timestampIso(raw.startTime) ??
    new Date(0).toISOString();
  const endAt = asIso(sa(SA.endAt.name)) ?? progress?.endAt ?? null;
  const id = windowIdOf(workflowId, runId);
  return {
    id,
    namespace,
    trus,
    status,
    phase: effectivePhase(memoPhase, status),
    startAt,
    endAt,
    requestedBy: asString(sa(SA.requestedBy.name)) ?? memo?.requestedBy ?? null,
    scheduleId: asString(sa(SA.scheduleId.name)) ?? memo?.scheduleId ?? null,
    links: { self: windowLink(id) },
  };
}
