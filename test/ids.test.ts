import t from 'tap';
import {
  keyedWindowWorkflowId,
  parseWindowId,
  scheduledWindowWorkflowId,
  windowIdOf,
  windowWorkflowId,
} from '../src/shared/ids.js';

const run = '01a217ae-5854-7474-bfa5-a2668dc74e69';

t.test('window ids round-trip for API windows, keyed windows and schedule runs', async (t) => {
  const adHoc = windowIdOf(windowWorkflowId('payments.a1b2c', '0123456789abcdef'), run);
  t.equal(adHoc, `payments.a1b2c_0123456789abcdef~${run}`);
  t.same(parseWindowId(adHoc), { workflowId: 'capacity-window-payments.a1b2c_0123456789abcdef', runId: run });

  const keyed = windowIdOf(keyedWindowWorkflowId('ab'.repeat(32)), run);
  t.equal(keyed, `key-${'ab'.repeat(20)}~${run}`, 'a key hash is cut to 40 hex digits');
  t.same(parseWindowId(keyed), { workflowId: `capacity-window-key-${'ab'.repeat(20)}`, runId: run });

  // Temporal appends the scheduled time to a schedule action's workflow id.
  const scheduledRun = `${scheduledWindowWorkflowId('payments.a1b2c', 'office-hours')}-2027-03-29T06:00:00Z`;
  const id = windowIdOf(scheduledRun, run);
  t.same(parseWindowId(id), { workflowId: scheduledRun, runId: run });
});

t.test('anything else is not a window id', async (t) => {
  for (const bad of [
    '',
    'nope',
    `payments.a1b2c~${run}`,
    `payments.a1b2c_0123456789abcdef~not-a-run`,
    `payments.a1b2c_0123456789ABCDEF~${run}`,
    `payments.a1b2c_0123~${run}`,
    `key-${'ab'.repeat(19)}~${run}`,
    `Payments.a1b2c_0123456789abcdef~${run}`,
    `payments.a1b2c@x~${run}`,
    `payments.a1b2c@a b-1~${run}`,
    `../x~${run}`,
  ]) {
    t.equal(parseWindowId(bad), undefined, JSON.stringify(bad));
  }
});
