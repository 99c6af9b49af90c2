// How a Cloud Ops failure is classified: the gRPC code decides the kind, the kind decides whether a retry can help.
import { status } from '@grpc/grpc-js';
import t from 'tap';
import { CloudOpsError, toCloudOpsError, type CloudOpsErrorKind } from '../../src/cloud-ops/errors.js';

/** What the gRPC client throws: an Error with a numeric code and the server's details. */
const grpcError = (code: unknown, details?: unknown, message = 'grpc message') =>
  Object.assign(new Error(message), { code, details });
const fields = (err: CloudOpsError) => ({ kind: err.kind, message: err.message, grpcCode: err.grpcCode });

t.test('each gRPC code maps to its kind, with the code name and the server text', async (t) => {
  const cases: Array<[number, CloudOpsErrorKind, string]> = [
    [status.NOT_FOUND, 'NOT_FOUND', 'NOT_FOUND'],
    [status.PERMISSION_DENIED, 'PERMISSION_DENIED', 'PERMISSION_DENIED'],
    [status.UNAUTHENTICATED, 'UNAUTHENTICATED', 'UNAUTHENTICATED'],
    [status.INVALID_ARGUMENT, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT'],
    [status.FAILED_PRECONDITION, 'FAILED_PRECONDITION', 'FAILED_PRECONDITION'],
    [status.UNAVAILABLE, 'UNAVAILABLE', 'UNAVAILABLE'],
    [status.DEADLINE_EXCEEDED, 'UNAVAILABLE', 'DEADLINE_EXCEEDED'],
    [status.RESOURCE_EXHAUSTED, 'UNAVAILABLE', 'RESOURCE_EXHAUSTED'],
    [status.INTERNAL, 'OTHER', 'INTERNAL'],
    [status.ALREADY_EXISTS, 'ALREADY_EXISTS', 'ALREADY_EXISTS'],
    [status.UNIMPLEMENTED, 'UNIMPLEMENTED', 'UNIMPLEMENTED'],
    [status.ABORTED, 'ABORTED', 'ABORTED'],
  ];
  for (const [code, kind, name] of cases) {
    const err = toCloudOpsError(grpcError(code, 'server says no'));
    t.ok(err instanceof CloudOpsError, name);
    t.equal(err.name, 'CloudOpsError');
    t.strictSame(fields(err), { kind, message: `${name}: server says no`, grpcCode: code }, name);
  }
  t.strictSame(
    fields(toCloudOpsError(grpcError(99, 'new code'))),
    { kind: 'OTHER', message: '99: new code', grpcCode: 99 },
    'an unknown code keeps its number',
  );
});

t.test('"nothing to change" is its own kind, only as an invalid argument', async (t) => {
  const kind = (code: number, details: string) => toCloudOpsError(grpcError(code, details)).kind;
  t.equal(kind(status.INVALID_ARGUMENT, 'Nothing To Change: spec is identical'), 'NOTHING_TO_CHANGE');
  t.equal(kind(status.INVALID_ARGUMENT, 'capacity spec: nothing to change'), 'NOTHING_TO_CHANGE');
  t.equal(kind(status.FAILED_PRECONDITION, 'nothing to change'), 'FAILED_PRECONDITION');
  t.equal(kind(status.INVALID_ARGUMENT, 'nothing to say'), 'INVALID_ARGUMENT');
});

t.test('without a numeric code: OTHER, with the best text there is', async (t) => {
  const other = (message: string) => ({ kind: 'OTHER', message, grpcCode: null });
  t.strictSame(fields(toCloudOpsError(new Error('socket hang up'))), other('ERROR: socket hang up'));
  t.strictSame(
    fields(toCloudOpsError(grpcError('5', 'stringly'))),
    other('ERROR: stringly'),
    'a code that is not a number',
  );
  t.strictSame(fields(toCloudOpsError('plain string')), other('ERROR: plain string'));
  t.strictSame(fields(toCloudOpsError(null)), other('ERROR: null'));
  t.strictSame(fields(toCloudOpsError(undefined)), other('ERROR: undefined'));
  const empty = toCloudOpsError(grpcError(status.UNAVAILABLE, '', 'No connection established'));
  t.equal(empty.message, 'UNAVAILABLE: No connection established', 'empty details: the message');
  const odd = toCloudOpsError(grpcError(status.UNAVAILABLE, { text: 'x' }, 'the message'));
  t.equal(odd.message, 'UNAVAILABLE: the message', 'details that are not text: the message');
});

t.test('an error already classified is passed through as is', async (t) => {
  const err = new CloudOpsError('PERMISSION_DENIED', 'PERMISSION_DENIED: no role', 7);
  t.equal(toCloudOpsError(err), err);
});

t.test(
  'retrying helps unless the key, the namespace, the argument, the call or the operation id is wrong',
  async (t) => {
    const retryable = (kind: CloudOpsErrorKind) => new CloudOpsError(kind, kind, null).retryable;
    const never = [
      'NOT_FOUND',
      'PERMISSION_DENIED',
      'UNAUTHENTICATED',
      'INVALID_ARGUMENT',
      'UNIMPLEMENTED',
      'ALREADY_EXISTS',
    ] as const;
    const worthIt = ['NOTHING_TO_CHANGE', 'FAILED_PRECONDITION', 'ABORTED', 'UNAVAILABLE', 'OTHER'] as const;
    t.strictSame(never.map(retryable), [false, false, false, false, false, false]);
    t.strictSame(worthIt.map(retryable), [true, true, true, true, true]);
  },
);
