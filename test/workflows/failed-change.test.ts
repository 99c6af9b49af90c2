// What follows a failed capacity change: pure decisions, no server.
import t from 'tap';
import { FailureType } from '../../src/shared/capacity.js';
import {
  AGAIN,
  IDLE,
  afterFailedChange,
  blockedAgain,
  revertStep,
  unchangedAfter,
  type FailedChange,
} from '../../src/workflows/decisions/failed-change.js';

const ALERT_MS = 120_000;
const raise: FailedChange = {
  lowering: false,
  waiters: 0,
  unchanged: false,
  failureType: FailureType.OperationUnsuccessful,
  nothingWasSent: false,
  retryAfterMs: ALERT_MS,
};
const revert: FailedChange = { ...raise, lowering: true, waiters: 1 };

t.test('the tagged results', async (t) => {
  t.same(AGAIN, { kind: 'again' });
  t.same(IDLE, { kind: 'idle' });
  t.ok(Object.isFrozen(AGAIN) && Object.isFrozen(IDLE), 'shared by every workflow: frozen');
});

t.test('refusals before any change leave the namespace unchanged', async (t) => {
  t.ok(unchangedAfter(FailureType.NonRetryable));
  t.ok(unchangedAfter(FailureType.InvalidTruValue));
  t.ok(unchangedAfter(FailureType.Guardrail));
  t.notOk(unchangedAfter(FailureType.OperationUnsuccessful), 'an operation that ran may have changed something');
  t.notOk(unchangedAfter(FailureType.VerificationTimeout));
  t.notOk(unchangedAfter(undefined), 'an unknown failure proves nothing');
  t.notOk(unchangedAfter('SomethingElse'));
});

t.test('a failed raise is remembered, not retried, and blocks nobody', async (t) => {
  t.same(afterFailedChange(raise), { blocks: false, rememberTarget: true, next: AGAIN });
  t.same(
    afterFailedChange({ ...raise, waiters: 2 }),
    { blocks: false, rememberTarget: true, next: AGAIN },
    'waiters alone do not block a raise',
  );
  t.same(
    afterFailedChange({ ...raise, unchanged: true }),
    { blocks: false, rememberTarget: false, next: AGAIN },
    'an unchanged namespace: nothing to remember',
  );
  t.same(
    afterFailedChange({ ...raise, failureType: FailureType.NonRetryable }),
    { blocks: false, rememberTarget: true, next: AGAIN },
    'a refusal of a raise goes on at once',
  );
});

t.test('a failed lowering nobody waits for blocks nobody', async (t) => {
  t.same(afterFailedChange({ ...revert, waiters: 0 }), { blocks: false, rememberTarget: true, next: AGAIN });
  t.same(afterFailedChange({ ...revert, waiters: 0, nothingWasSent: true }), {
    blocks: false,
    rememberTarget: true,
    next: AGAIN,
  });
});

t.test('a failed lowering that windows wait for blocks them and is retried', async (t) => {
  t.same(
    afterFailedChange(revert),
    { blocks: true, rememberTarget: false, next: AGAIN },
    'a transient failure: at once',
  );
  t.same(
    afterFailedChange({ ...revert, failureType: FailureType.NonRetryable }),
    { blocks: true, rememberTarget: false, next: { kind: 'retryIn', ms: ALERT_MS } },
    'a refusal retrying cannot fix: at the alert cadence',
  );
  t.same(
    afterFailedChange({ ...revert, nothingWasSent: true }),
    { blocks: true, rememberTarget: false, next: { kind: 'retryIn', ms: ALERT_MS } },
    'Cloud Ops had nothing to change: at the alert cadence, not in a hot loop',
  );
  t.same(afterFailedChange({ ...revert, unchanged: true, failureType: FailureType.Guardrail }), {
    blocks: true,
    rememberTarget: false,
    next: AGAIN,
  });
});

t.test('each blocked round counts, from the first one', async (t) => {
  const first = blockedAgain(null, 'boom', '2026-12-06T10:00:00.000Z');
  t.same(first, { since: '2026-12-06T10:00:00.000Z', attempts: 1, lastError: 'boom' });
  const second = blockedAgain(first, 'bang', '2026-12-06T10:05:00.000Z');
  t.same(second, { since: '2026-12-06T10:00:00.000Z', attempts: 2, lastError: 'bang' });
  t.same(
    first,
    { since: '2026-12-06T10:00:00.000Z', attempts: 1, lastError: 'boom' },
    'the previous record is left as it was',
  );
});

t.test('a released window hears a failed apply as its revert, a failed verification as its check', async (t) => {
  t.equal(revertStep('APPLY'), 'REVERT');
  t.equal(revertStep('VERIFY'), 'REVERT_VERIFY');
});
