import t from 'tap';
import { parseWindowId, scheduledWindowWorkflowId, windowIdOf, windowWorkflowId } from '../src/shared/ids.js';

const run = '01a217ae-5854-7474-bfa5-a2668dc74e69';

t.test('window ids round-trip for API windows and schedule runs', async (t) => {
  const adHoc = windowIdOf(windowWorkflowId('payments.a1b2c'), run);
  t.equal(adHoc, `payments.a1b2c~${run}`);
  t.same(parseWindowId(adHoc), { namespace: 'payments.a1b2c', workflowId: 'capacity-window-payments.a1b2c', runId: run });

  // Temporal appends the scheduled time to a schedule action's workflow id.
  const scheduledRun = `${scheduledWindowWorkflowId('payments.a1b2c', 'office-hours')}-2027-03-29T06:00:00Z`;
  const id = windowIdOf(scheduledRun, run);
  t.same(parseWindowId(id), { namespace: 'payments.a1b2c', workflowId: scheduledRun, runId: run });
});

t.test('anything else is not a window id', async (t) => {
  for (const bad of ['', 'nope', `payments.a1b2c~not-a-run`, `Payments.a1b2c~${run}`, `payments.a1b2c@x~${run}`, `payments.a1b2c@a b-1~${run}`, `../x~${run}`]) {
    t.equal(parseWindowId(bad), undefined, JSON.stringify(bad));
  }
});
