// Business keys. Ids are built and parsed here only, never ad hoc.

/** A Temporal Cloud namespace id: "<name>.<account>". */
export const NAMESPACE_ID_PATTERN = '^[a-z][a-z0-9-]{0,37}[a-z0-9]\\.[a-z0-9]{2,32}$';
const NAMESPACE_ID = new RegExp(NAMESPACE_ID_PATTERN);
const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SEPARATOR = '~';

export function isNamespaceId(text: string): boolean {
  return NAMESPACE_ID.test(text);
}

/** Every window's workflow id starts so; nothing else's does. */
export const WINDOW_PREFIX = 'capacity-window-';
/** What may follow the namespace in a schedule run's workflow id: "@<schedule>-<scheduled time>". */
const RUN_SUFFIX = /^@[a-z0-9][a-z0-9-]{0,62}-[0-9TZ:.-]{1,40}$/;

/** A schedule id chosen by users: a slug. */
export const SCHEDULE_ID_PATTERN = '^[a-z0-9][a-z0-9-]{1,62}$';
const SCHEDULE_ID = new RegExp(SCHEDULE_ID_PATTERN);

export function isScheduleId(text: string): boolean {
  return SCHEDULE_ID.test(text);
}

/**
 * A window the API starts without an Idempotency-Key: its namespace and a random nonce, so that any number of
 * windows may overlap on one namespace (its controller arbitrates).
 */
export function windowWorkflowId(namespace: string, nonce: string): string {
  return `${WINDOW_PREFIX}${namespace}_${nonce}`;
}

/**
 * A window started with an Idempotency-Key: the key alone decides the workflow id, so Temporal lets exactly one
 * start however many retries race, and a key reused for another namespace is caught too.
 */
export function keyedWindowWorkflowId(keySha256: string): string {
  return `${WINDOW_PREFIX}key-${keySha256.slice(0, 40)}`;
}

/** The Temporal Schedule behind a capacity schedule. */
export function scheduleTemporalId(scheduleId: string): string {
  return `capacity-schedule-${scheduleId}`;
}

/** The workflow id a schedule's action carries; Temporal appends "-<scheduled time>" to it for each run. */
export function scheduledWindowWorkflowId(namespace: string, scheduleId: string): string {
  return `${WINDOW_PREFIX}${namespace}@${scheduleId}`;
}

/**
 * The public id of a window, whether the API or a schedule started it: its workflow id without the prefix,
 * and the run, so that every past run stays addressable.
 */
export function windowIdOf(workflowId: string, runId: string): string {
  return `${workflowId.slice(WINDOW_PREFIX.length)}${SEPARATOR}${runId}`;
}

const API_WINDOW_KEY = /^(?<namespace>[a-z][a-z0-9-]{0,37}[a-z0-9]\.[a-z0-9]{2,32})_[0-9a-f]{16}$/;
const KEYED_WINDOW_KEY = /^key-[0-9a-f]{40}$/;

/** The workflow behind a public window id; undefined for anything this service never hands out. */
export function parseWindowId(id: string): { workflowId: string; runId: string } | undefined {
  const at = id.lastIndexOf(SEPARATOR);
  if (at < 0) return undefined;
  const key = id.slice(0, at);
  const runId = id.slice(at + 1);
  if (!RUN_ID.test(runId)) return undefined;
  const scheduleAt = key.indexOf('@');
  const known =
    API_WINDOW_KEY.test(key) ||
    KEYED_WINDOW_KEY.test(key) ||
    (scheduleAt > 0 && isNamespaceId(key.slice(0, scheduleAt)) && RUN_SUFFIX.test(key.slice(scheduleAt)));
  return known ? { workflowId: `${WINDOW_PREFIX}${key}`, runId } : undefined;
}

/** Cloud Ops async operation ids of a namespace controller: one per change, the same on every retry of it. */
export function controllerOperationId(chainRunId: string, seq: number): string {
  return `cs-${chainRunId}-${seq}`;
}
