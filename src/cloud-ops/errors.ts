import { status as GrpcStatus } from '@grpc/grpc-js';

export type CloudOpsErrorKind =
  | 'NOT_FOUND'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'INVALID_ARGUMENT'
  | 'NOTHING_TO_CHANGE'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'ALREADY_EXISTS'
  | 'UNIMPLEMENTED'
  | 'UNAVAILABLE'
  | 'OTHER';

/** A Cloud Ops API failure reduced to what callers decide on: what kind, and whether trying again can help. */
export class CloudOpsError extends Error {
  constructor(
    readonly kind: CloudOpsErrorKind,
    message: string,
    readonly grpcCode: number | null,
  ) {
    super(message);
    this.name = 'CloudOpsError';
  }

  /**
   * Retrying cannot fix these: a key without the role or not accepted, an unknown namespace, a refused argument, a
   * call this API (or API version) does not have, an operation id already taken.
   */
  get retryable(): boolean {
    return !NOT_RETRYABLE.has(this.kind);
  }
}

const NOT_RETRYABLE: ReadonlySet<CloudOpsErrorKind> = new Set([
  'NOT_FOUND',
  'PERMISSION_DENIED',
  'UNAUTHENTICATED',
  'INVALID_ARGUMENT',
  'UNIMPLEMENTED',
  'ALREADY_EXISTS',
]);

// RESOURCE_EXHAUSTED counts as unavailable (retried later); its message keeps the code and the server's reason.
const KIND_BY_CODE: Partial<Record<number, CloudOpsErrorKind>> = {
  [GrpcStatus.NOT_FOUND]: 'NOT_FOUND',
  [GrpcStatus.PERMISSION_DENIED]: 'PERMISSION_DENIED',
  [GrpcStatus.UNAUTHENTICATED]: 'UNAUTHENTICATED',
  [GrpcStatus.INVALID_ARGUMENT]: 'INVALID_ARGUMENT',
  [GrpcStatus.FAILED_PRECONDITION]: 'FAILED_PRECONDITION',
  [GrpcStatus.ABORTED]: 'ABORTED',
  [GrpcStatus.ALREADY_EXISTS]: 'ALREADY_EXISTS',
  [GrpcStatus.UNIMPLEMENTED]: 'UNIMPLEMENTED',
  [GrpcStatus.UNAVAILABLE]: 'UNAVAILABLE',
  [GrpcStatus.DEADLINE_EXCEEDED]: 'UNAVAILABLE',
  [GrpcStatus.RESOURCE_EXHAUSTED]: 'UNAVAILABLE',
};

/** Maps whatever the gRPC client threw to a CloudOpsError; the server's text is kept, never our secrets. */
export function toCloudOpsError(err: unknown): CloudOpsError {
  if (err instanceof CloudOpsError) return err;
  const e = err as { code?: unknown; details?: unknown; message?: unknown };
  const code = typeof e?.code === 'number' ? e.code : null;
  const details = typeof e?.details === 'string' && e.details ? e.details : String(e?.message ?? err);
  let kind: CloudOpsErrorKind = code === null ? 'OTHER' : (KIND_BY_CODE[code] ?? 'OTHER');
  if (kind === 'INVALID_ARGUMENT' && /nothing to change/i.test(details)) kind = 'NOTHING_TO_CHANGE';
  const codeName = code === null ? 'ERROR' : (GrpcStatus[code] ?? String(code));
  return new CloudOpsError(kind, `${codeName}: ${details}`, code);
}
