// Windows' holds from Temporal visibility: the query for the windows that may have held a namespace during a
// time span, and a window's hold from what visibility returns (its search attributes and its memo).
import type { Payload } from '@temporalio/common';
import type { temporal as proto } from '@temporalio/proto';
import { CAPACITY_WINDOW_WORKFLOW, SA, type WindowMemo } from '../shared/index.js';
import { decodePayload, notOverBy, summaryOf, timestampIso, visibilityString } from '../windows/listing.js';
import type { Hold } from './tru-hours.js';

const HOUR_MS = 3_600_000;

/** A window's hold, with what a report groups by. */
export interface WindowHold extends Hold {
  requestedBy: string | null;
  scheduleId: string | null;
}

/**
 * Windows that may have held a namespace during [fromMs, toMs): started (their CapacityStartAt) before the span
 * ends, plus `leadMs` (a claim takes effect from its change, which begins up to the provisioning lead before the
 * start), and still running, closed since the span began (a release takes effect before its window closes), or
 * permanent (no CapacityEndAt). Only our existing search attributes: no new one to register.
 */
export function holdsQuery(span: { fromMs: number; toMs: number }, leadMs: number, namespaces?: string[]): string {
  const clauses = [
    `WorkflowType = ${visibilityString(CAPACITY_WINDOW_WORKFLOW)}`,
    `ExecutionStatus != 'ContinuedAsNew'`,
    `${SA.startAt.name} < ${visibilityString(new Date(span.toMs + leadMs + HOUR_MS).toISOString())}`,
    notOverBy(span.fromMs, 'CloseTime'),
  ];
  if (namespaces !== undefined)
    clauses.push(`${SA.namespace.name} IN (${namespaces.map(visibilityString).join(', ')})`);
  return clauses.join(' AND ');
}

type RawExecution = proto.api.workflow.v1.IWorkflowExecutionInfo;

/**
 * The window's hold, from its memo (`progress.held`); undefined when its claim never took effect. A closed window
 * that never heard its release take effect (terminated by hand) is counted until it closed.
 */
export function holdOf(raw: RawExecution): WindowHold | undefined {
  const summary = summaryOf(raw);
  if (summary === undefined) return undefined;
  const progress = decodePayload(raw.memo?.fields?.progress as Payload | undefined) as WindowMemo['progress'];
  const held = progress?.held;
  if (!held) return undefined;
  const permanent = summary.endAt === null;
  const closedAt = summary.status === 'RUNNING' ? undefined : timestampIso(raw.closeTime);
  const until = held.until ?? (permanent ? undefined : closedAt);
  return {
    id: summary.id,
    namespace: summary.namespace,
    trus: summary.trus,
    fromMs: Date.parse(held.from),
    untilMs: until === undefined ? null : Date.parse(until),
    permanent,
    requestedBy: summary.requestedBy,
    scheduleId: summary.scheduleId,
  };
}
