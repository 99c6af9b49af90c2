// Business keys. Ids are built and parsed here only, never ad hoc.

/** A Temporal Cloud namespace id: "<name>.<account>". */
export const NAMESPACE_ID_PATTERN = '^[a-z][a-z0-9-]{0,37}[a-z0-9]\\.[a-z0-9]{2,32}$';
const NAMESPACE_ID = new RegExp(NAMESPACE_ID_PATTERN);
const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SEPARATOR = '~';

export function isNamespaceId(text: string): boolean {
  return NAMESPACE_ID.test(text);
}

/**
 * One workflow id per namespace: Temporal itself refuses a second running window for the same namespace,
 * which makes the "one window at a time" rule race-free without a second store.
 */
export function windowWorkflowId(namespace: string): string {
  return `capacity-window-${namespace}`;
}

/** The public id of a window: the namespace and the run, so that past windows stay addressable. */
export function windowId(namespace: string, runId: string): string {
  return `${namespace}${SEPARATOR}${runId}`;
}

export function parseWindowId(id: string): { namespace: string; workflowId: string; runId: string } | undefined {
  const at = id.lastIndexOf(SEPARATOR);
  if (at < 0) return undefined;
  const namespace = id.slice(0, at);
  const runId = id.slice(at + 1);
  if (!isNamespaceId(namespace) || !RUN_ID.test(runId)) return undefined;
  return { namespace, workflowId: windowWorkflowId(namespace), runId };
}

/** Cloud Ops async operation ids: stable per run and step, so a retried update is the same operation. */
export function operationId(runId: string, step: 'apply' | 'revert', attempt = 0): string {
  return attempt === 0 ? `cs-${runId}-${step}` : `cs-${runId}-${step}-${attempt}`;
}
