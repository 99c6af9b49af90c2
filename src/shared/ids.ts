// Business keys. Ids are built and parsed here only, never ad hoc.

/** A Temporal Cloud namespace id: "<name>.<account>". */
export const NAMESPACE_ID_PATTERN = '^[a-z][a-z0-9-]{0,37}[a-z0-9]\\.[a-z0-9]{2,32}$';
const NAMESPACE_ID = new RegExp(NAMESPACE_ID_PATTERN);
const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SEPARATOR = '~';

export function isNamespaceId(text: string): boolean {
  return NAMESPACE_ID.test(text);
}

const WINDOW_PREFIX = 'capacity-window-';
/** What may follow the namespace in a schedule run's workflow id: "@<schedule>-<scheduled time>". */
const RUN_SUFFIX = /^@[a-z0-9][a-z0-9-]{0,62}-[0-9TZ:.-]{1,40}$/;

/** A schedule id chosen by users: a slug. */
export const SCHEDULE_ID_PATTERN = '^[a-z0-9][a-z0-9-]{1,62}$';
const SCHEDULE_ID = new RegExp(SCHEDULE_ID_PATTERN);

export function isScheduleId(text: string): boolean {
  return SCHEDULE_ID.test(text);
}

/**
 * One workflow id per namespace: Temporal itself refuses a second running window for the same namespace,
 * which makes the "one window at a time" rule race-free without a second store.
 */
export function windowWorkflowId(namespace: string): string {
  return `${WINDOW_PREFIX}${namespace}`;
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

export function parseWindowId(id: string): { namespace: string; workflowId: string; runId: string } | undefined {
  const at = id.lastIndexOf(SEPARATOR);
  if (at < 0) return undefined;
  const key = id.slice(0, at);
  const runId = id.slice(at + 1);
  const scheduleAt = key.indexOf('@');
  const namespace = scheduleAt < 0 ? key : key.slice(0, scheduleAt);
  if (!isNamespaceId(namespace) || !RUN_ID.test(runId)) return undefined;
  if (scheduleAt >= 0 && !RUN_SUFFIX.test(key.slice(scheduleAt))) return undefined;
  return { namespace, workflowId: `${WINDOW_PREFIX}${key}`, runId };
}

/** Cloud Ops async operation ids: stable per run and step, so a retried update is the same operation. */
export function operationId(runId: string, step: 'apply' | 'revert', attempt = 0): string {
  return attempt === 0 ? `cs-${runId}-${step}` : `cs-${runId}-${step}-${attempt}`;
}
