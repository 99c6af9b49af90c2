// The audit trail of changes: a stamp (who, when, which request) kept on the window or schedule changed, and one
// structured log line per change.
import type { FastifyRequest } from 'fastify';
import type { AuditStamp } from '../shared/index.js';

/** The caller's name (with authentication open: what the body says, if anything), now, and the request id. */
export function auditStamp(request: FastifyRequest, declaredBy?: string | null): AuditStamp {
  return { by: request.caller?.name ?? declaredBy ?? null, at: new Date().toISOString(), requestId: request.id };
}

/** The audit log line of a change that was made; `audit: true` lets a log pipeline keep these apart. */
export function auditLog(request: FastifyRequest, stamp: AuditStamp, action: string, target: Record<string, unknown>) {
  request.log.info(
    { audit: true, action, by: stamp.by, at: stamp.at, requestId: stamp.requestId, ...target },
    `audit: ${action}`,
  );
}
