// An account's budget of Cloud Ops operations: no server.
import t from 'tap';
import {
  emptyBudget,
  expireLeases,
  grant,
  leaseMsFor,
  nextLeaseEnd,
  queuedAnswer,
  takeBudgetMessage,
} from '../../src/workflows/decisions/budget.js';
import type { BudgetMessage } from '../../src/shared/budget.js';
import { accountBudgetWorkflowId, accountOfNamespace } from '../../src/shared/budget.js';

const request = (requestId: string, limit = 2, leaseMs = 1_000): BudgetMessage => ({
  kind: 'request',
  holder: `holder-${requestId}`,
  requestId,
  leaseMs,
  limit,
});

t.test('at most `limit` leases; the rest wait first come first served, told how many are ahead', async (t) => {
  const state = emptyBudget(1);
  for (const id of ['a', 'b', 'c', 'd']) takeBudgetMessage(state, request(id), 0);
  t.equal(state.limit, 2, "the request's limit counts");
  const granted = grant(state, 100);
  t.same(
    granted.map((g) => [g.holder, g.answer.requestId, g.answer.granted, g.answer.inFlight]),
    [
      ['holder-a', 'a', true, 1],
      ['holder-b', 'b', true, 2],
    ],
  );
  t.same(grant(state, 100), [], 'nothing more while both leases are held');
  t.same(queuedAnswer(state, 'c'), { requestId: 'c', granted: false, inFlight: 2, limit: 2, ahead: 0 });
  t.same(queuedAnswer(state, 'd')?.ahead, 1);
  t.equal(queuedAnswer(state, 'a'), null, 'a granted request is not queued');

  takeBudgetMessage(state, { kind: 'release', requestId: 'a' }, 200);
  t.same(
    grant(state, 200).map((g) => g.answer.requestId),
    ['c'],
    'a release lets the next one go',
  );
  t.same(
    state.leases.map((l) => l.requestId),
    ['b', 'c'],
  );
});

t.test('a repeated request keeps its place or its lease; a release of a waiter drops it', async (t) => {
  const state = emptyBudget(1);
  takeBudgetMessage(state, request('a', 1), 0);
  grant(state, 0);
  takeBudgetMessage(state, request('a', 1), 10);
  takeBudgetMessage(state, request('b', 1), 10);
  takeBudgetMessage(state, request('b', 1), 20);
  t.equal(state.leases.length, 1);
  t.equal(state.waiters.length, 1, 'b waits once');
  takeBudgetMessage(state, { kind: 'release', requestId: 'b' }, 30);
  t.same(state.waiters, []);
});

t.test('a lease ends by itself after its time: a holder that died never keeps the budget', async (t) => {
  const state = emptyBudget(1);
  takeBudgetMessage(state, request('a', 1, 5_000), 0);
  takeBudgetMessage(state, request('b', 1, 5_000), 0);
  grant(state, 1_000);
  t.equal(nextLeaseEnd(state), 6_000);
  t.same(expireLeases(state, 5_999), []);
  t.same(expireLeases(state, 6_000), ['a']);
  t.same(
    grant(state, 6_000).map((g) => g.answer.requestId),
    ['b'],
  );
  t.equal(nextLeaseEnd(emptyBudget(1)), undefined);
});

t.test("a lease covers the controller's longest change: the apply's retries, then verification", async (t) => {
  t.equal(leaseMsFor({ verifyTimeoutMs: 120_000, revertAlertAfterMs: 300_000 }, 120_000), 300_000 + 120_000 + 60_000);
  t.equal(leaseMsFor({ verifyTimeoutMs: 120_000, revertAlertAfterMs: 10_000 }, 120_000), 120_000 + 120_000 + 60_000);
});

t.test('one budget per account and task queue', async (t) => {
  t.equal(accountOfNamespace('payments.a1b2c'), 'a1b2c');
  t.equal(accountBudgetWorkflowId('a1b2c', 'capacity-scheduler'), 'cloud-ops-budget-a1b2c@capacity-scheduler');
});
