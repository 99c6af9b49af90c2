// What a workflow reads from a failure chain: the type an activity gave it, and the most specific message.
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import t from 'tap';
import { failureDetail, failureType, reasonOf } from '../../src/workflows/failures.js';

const activity = (cause?: Error) =>
  new ActivityFailure(
    'Activity task failed',
    'applyCapacity',
    '1',
    RetryState.NON_RETRYABLE_FAILURE,
    'worker@host',
    cause,
  );

t.test('failureType: the type of the first ApplicationFailure in the chain', async (t) => {
  const rule = ApplicationFailure.nonRetryable('5 TRUs is not a valid value', 'InvalidTruValue');
  t.equal(failureType(rule), 'InvalidTruValue');
  t.equal(failureType(activity(rule)), 'InvalidTruValue');
  t.equal(failureType(new Error('wrapped', { cause: activity(rule) })), 'InvalidTruValue', 'found however deep');
  const outer = ApplicationFailure.create({ message: 'outer', type: 'Outer', cause: rule });
  t.equal(failureType(outer), 'Outer', 'the first one wins');
  t.equal(failureType(activity(new ApplicationFailure('untyped', null))), undefined, 'an untyped failure has none');
  t.equal(failureType(activity(new Error('plain'))), undefined);
  t.equal(failureType(activity()), undefined);
  t.equal(failureType('a string'), undefined);
  t.equal(failureType(undefined), undefined);
});

t.test('reasonOf: the Cloud Ops or rule text, not "Activity task failed"', async (t) => {
  const rule = ApplicationFailure.nonRetryable('PERMISSION_DENIED: no role', 'CloudOpsNonRetryable');
  t.equal(reasonOf(activity(rule)), 'PERMISSION_DENIED: no role');
  t.equal(reasonOf(activity(new Error('socket closed'))), 'socket closed');
  t.equal(reasonOf(activity()), 'Activity task failed', 'nothing more specific: its own message');
  t.equal(
    reasonOf(new Error('could not apply', { cause: activity() })),
    'could not apply',
    'never the activity wrapper text',
  );
  t.equal(reasonOf(new Error('wrapped', { cause: activity(rule) })), 'PERMISSION_DENIED: no role');
  const deeper = ApplicationFailure.create({ message: 'rule text', cause: new Error('transport detail') });
  t.equal(reasonOf(activity(deeper)), 'rule text', 'stops at the ApplicationFailure');
  t.equal(
    reasonOf(new Error('outer', { cause: new Error('') })),
    'outer',
    'an empty message does not erase a better one',
  );
  t.equal(reasonOf(ApplicationFailure.create({ message: '' })), '', 'an empty message with nothing better');
  t.equal(reasonOf('plain text'), 'plain text');
  t.equal(reasonOf(42), '42');
});

t.test('failureDetail: the first detail of the first ApplicationFailure in the chain', async (t) => {
  const read = { current: { mode: 'ON_DEMAND' }, requested: null, inProgress: false };
  const drift = ApplicationFailure.create({ message: 'drift', type: 'CapacityDrift', details: [read, 'second'] });
  t.same(failureDetail(activity(drift)), read);
  t.same(failureDetail(new Error('wrapped', { cause: activity(drift) })), read, 'found however deep');
  const outer = ApplicationFailure.create({ message: 'outer', type: 'Outer', cause: drift });
  t.equal(failureDetail(outer), undefined, 'the first one decides, even without details');
  t.equal(failureDetail(activity(new Error('plain'))), undefined);
  t.equal(failureDetail('a string'), undefined);
});
