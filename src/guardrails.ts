// Guardrails from config: who may get how much capacity for how long. Checked when a request comes in and
// again when a window starts (config may have changed in between, and schedules run long after creation).

export interface Guardrails {
  /** null: every namespace is allowed (unless denied). */
  allow: string[] | null;
  deny: string[];
  maxTrus: number | null;
  maxTrusByNamespace: Record<string, number>;
  /** null: no limit. A permanent change counts as longer than any limit. */
  maxWindowMs: number | null;
  /** Windows shorter than this need acknowledgeShortWindow: TRUs are billed and adjustable by the hour. */
  minWindowMs: number;
}

export type GuardrailCode =
  'NAMESPACE_NOT_ALLOWED' | 'NAMESPACE_DENIED' | 'TRUS_ABOVE_LIMIT' | 'WINDOW_TOO_LONG' | 'WINDOW_TOO_SHORT';

export interface GuardrailViolation {
  code: GuardrailCode;
  message: string;
}

export interface GuardedRequest {
  namespace: string;
  trus: number;
  /** The window's length; null for a permanent change. */
  windowMs: number | null;
  acknowledgeShortWindow?: boolean;
}

const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;

/** Whether this service may act on the namespace at all (denylist, allowlist), or null. */
export function checkNamespace(g: Guardrails, namespace: string): GuardrailViolation | null {
  if (g.deny.includes(namespace)) {
    return {
      code: 'NAMESPACE_DENIED',
      message: `namespace ${namespace} is on the denylist (GUARDRAIL_NAMESPACE_DENYLIST)`,
    };
  }
  if (g.allow !== null && !g.allow.includes(namespace)) {
    return {
      code: 'NAMESPACE_NOT_ALLOWED',
      message: `namespace ${namespace} is not on the allowlist (GUARDRAIL_NAMESPACE_ALLOWLIST)`,
    };
  }
  return null;
}

/** The first rule the request breaks, or null. */
export function checkGuardrails(g: Guardrails, req: GuardedRequest): GuardrailViolation | null {
  const outside = checkNamespace(g, req.namespace);
  if (outside) return outside;
  const max = g.maxTrusByNamespace[req.namespace] ?? g.maxTrus;
  if (max !== null && req.trus > max) {
    return { code: 'TRUS_ABOVE_LIMIT', message: `${req.trus} TRUs is above the limit of ${max} for ${req.namespace}` };
  }
  if (g.maxWindowMs !== null && (req.windowMs === null || req.windowMs > g.maxWindowMs)) {
    const length = req.windowMs === null ? 'a permanent change' : `a window of ${minutes(req.windowMs)}`;
    return { code: 'WINDOW_TOO_LONG', message: `${length} is longer than the limit of ${minutes(g.maxWindowMs)}` };
  }
  if (req.windowMs !== null && req.windowMs < g.minWindowMs && req.acknowledgeShortWindow !== true) {
    return {
      code: 'WINDOW_TOO_SHORT',
      message:
        `a window of ${minutes(req.windowMs)} is shorter than ${minutes(g.minWindowMs)}: TRUs are adjusted and billed by the hour, ` +
        'so a short window costs a full hour and its revert may meet a cool-down; send acknowledgeShortWindow: true to go ahead',
    };
  }
  return null;
}
