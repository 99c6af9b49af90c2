// The controller's book of claims: no server.
import t from 'tap';
import { ON_DEMAND, provisioned } from '../../src/shared/capacity.js';
import type { Claim } from '../../src/shared/controller.js';
import { emptyState, heldBy, retirePermanent, take } from '../../src/workflows/decisions/claims.js';

const AT = '2026-12-06T10:00:00.000Z';
const LATER = '2026-12-06T11:00:00.000Z';

function claim(
  id: string,
  trus: number,
  endAt: string | null = LATER,
  revertTo: Claim['revertTo'] = 'BASELINE',
): Claim {
  return {
    workflowId: id,
    windowId: `w-${id}`,
    trus,
    revertTo,
    endAt,
    startAt: AT,
    requestedBy: 'ops',
    reason: 'peak',
  };
}

t.test('a new state holds nothing', async (t) => {
  t.same(emptyState(), {
    claims: [],
    releasing: [],
    baseline: null,
    known: null,
    failedTarget: null,
    lastRevertTo: 'BASELINE',
    seq: 0,
    blocked: null,
  });
  t.not(emptyState().claims, emptyState().claims, 'a fresh state each time');
});

t.test('a claim is added unanswered, since when it came', async (t) => {
  const state = emptyState();
  take(state, { kind: 'claim', claim: claim('a', 2) }, AT);
  t.same(state.claims, [{ ...claim('a', 2), answered: false, since: AT }]);
});

t.test('a repeated claim updates the one held and asks for an answer again', async (t) => {
  const state = emptyState();
  take(state, { kind: 'claim', claim: claim('a', 2) }, AT);
  state.claims[0].answered = true;
  const moved = { ...claim('a', 2), endAt: '2026-12-06T12:00:00.000Z' };
  take(state, { kind: 'claim', claim: moved }, LATER);
  t.equal(state.claims.length, 1);
  t.same(state.claims[0], { ...moved, answered: false, since: AT }, 'the same claim: still held since it first came');
});

t.test('a release moves the claim to the windows waiting to hear where the namespace goes', async (t) => {
  const state = emptyState();
  take(state, { kind: 'claim', claim: claim('a', 2, LATER, 'ON_DEMAND') }, AT);
  take(state, { kind: 'claim', claim: claim('b', 3) }, AT);
  take(state, { kind: 'release', workflowId: 'a' }, LATER);
  t.same(
    state.claims.map((c) => c.workflowId),
    ['b'],
  );
  t.same(
    state.releasing.map((c) => c.workflowId),
    ['a'],
  );
  t.equal(state.lastRevertTo, 'ON_DEMAND', 'the last window to end chooses where the namespace goes');
});

t.test('a release drops its own claim only, wherever it is in the book', async (t) => {
  const state = emptyState();
  take(state, { kind: 'claim', claim: claim('a', 2) }, AT);
  take(state, { kind: 'claim', claim: claim('b', 3, LATER, 'ON_DEMAND') }, AT);
  take(state, { kind: 'claim', claim: claim('c', 4) }, AT);
  take(state, { kind: 'release', workflowId: 'b' }, LATER);
  t.same(
    state.claims.map((c) => c.workflowId),
    ['a', 'c'],
  );
  t.same(
    state.releasing.map((c) => c.workflowId),
    ['b'],
  );
  t.equal(state.lastRevertTo, 'ON_DEMAND', 'chosen by the window released');
});

t.test('a repeated release is not held twice', async (t) => {
  const state = emptyState();
  take(state, { kind: 'claim', claim: claim('a', 2) }, AT);
  take(state, { kind: 'release', workflowId: 'a' }, AT);
  take(state, { kind: 'release', workflowId: 'a' }, LATER);
  t.equal(state.releasing.length, 1);
});

t.test('each released window waits for its own answer', async (t) => {
  const state = emptyState();
  take(state, { kind: 'claim', claim: claim('a', 2) }, AT);
  take(state, { kind: 'claim', claim: claim('b', 3) }, AT);
  take(state, { kind: 'release', workflowId: 'a' }, AT);
  take(state, { kind: 'release', workflowId: 'b' }, LATER);
  t.same(
    state.releasing.map((c) => c.workflowId),
    ['a', 'b'],
  );
  t.same(state.claims, []);
});

t.test('a release without a claim is answered all the same, and chooses nothing', async (t) => {
  const state = emptyState();
  state.lastRevertTo = 'ON_DEMAND';
  take(state, { kind: 'claim', claim: claim('a', 2) }, AT);
  take(state, { kind: 'release', workflowId: 'gone' }, AT);
  t.same(
    state.claims.map((c) => c.workflowId),
    ['a'],
    'the claims held are kept',
  );
  t.same(state.releasing, [
    {
      workflowId: 'gone',
      windowId: 'gone',
      trus: 0,
      revertTo: 'BASELINE',
      endAt: null,
      requestedBy: null,
      reason: null,
      startAt: null,
    },
  ]);
  t.equal(state.lastRevertTo, 'ON_DEMAND');
});

t.test('a permanent change applied becomes the baseline and holds no claim', async (t) => {
  const state = emptyState();
  state.baseline = ON_DEMAND;
  state.lastRevertTo = 'ON_DEMAND';
  take(state, { kind: 'claim', claim: claim('p', 6, null) }, AT);
  take(state, { kind: 'claim', claim: claim('w', 3) }, AT);
  retirePermanent(state, [...state.claims], true);
  t.same(
    state.claims.map((c) => c.workflowId),
    ['w'],
    'a window with an end keeps its claim',
  );
  t.same(state.baseline, provisioned(6));
  t.equal(state.lastRevertTo, 'BASELINE');
});

t.test('a permanent change that failed is forgotten, the baseline kept', async (t) => {
  const state = emptyState();
  state.baseline = provisioned(2);
  state.lastRevertTo = 'ON_DEMAND';
  take(state, { kind: 'claim', claim: claim('p', 6, null) }, AT);
  retirePermanent(state, [...state.claims], false);
  t.same(state.claims, []);
  t.same(state.baseline, provisioned(2));
  t.equal(state.lastRevertTo, 'ON_DEMAND');
});

t.test('only the answered claims given retire', async (t) => {
  const state = emptyState();
  take(state, { kind: 'claim', claim: claim('p', 6, null) }, AT);
  take(state, { kind: 'claim', claim: claim('q', 7, null) }, AT);
  retirePermanent(state, [state.claims[1]], true);
  t.same(
    state.claims.map((c) => c.workflowId),
    ['p'],
  );
  t.same(state.baseline, provisioned(7));
});

t.test('a release report names the windows that still hold the namespace', async (t) => {
  t.equal(heldBy([], 'the namespace has 2 TRUs'), 'the namespace has 2 TRUs');
  t.equal(heldBy([claim('a', 2)], 'the namespace has 2 TRUs'), 'the namespace has 2 TRUs, for window w-a');
  t.equal(heldBy([claim('a', 2), claim('b', 3)], 'x'), 'x, for windows w-a, w-b');
});
