// What a report from the namespace controller means for a window: a pure reducer, no server.
import t from 'tap';
import { ON_DEMAND, provisioned } from '../../src/shared/capacity.js';
import type { ControllerReport } from '../../src/shared/controller.js';
import type { CapacityWindowResult, Phase } from '../../src/shared/window.js';
import { hearReport, type WindowReportState } from '../../src/workflows/decisions/window-report.js';

const AT = '2026-12-06T10:00:00.000Z';
const BLOCKED = { since: '2026-12-06T09:00:00.000Z', attempts: 2, lastError: 'denied' };

function fresh(phase: Phase = 'APPLYING', result: Partial<CapacityWindowResult> = {}): WindowReportState {
  return {
    phase,
    revertBlocked: null,
    claimAnswered: false,
    releaseAnswered: false,
    claimRefused: false,
    waitingFor: null,
    result: {
      initialChangeSuccess: false,
      verificationSuccess: false,
      revertedToOnDemand: false,
      revertVerificationSuccess: false,
      errors: [],
      startedAt: AT,
      verifiedAt: null,
      revertedAt: null,
      completedAt: AT,
      applyOperationId: null,
      revertOperationId: null,
      baseline: null,
      reverted: false,
      revertedTo: null,
      cancelled: null,
      ...result,
    },
  };
}

function report(r: Partial<ControllerReport> & Pick<ControllerReport, 'about' | 'step' | 'outcome'>): ControllerReport {
  return { namespaceHas: provisioned(4), baseline: null, final: false, ...r };
}

t.test('a claim applied: APPLY succeeded, VERIFY started, the window verifies', async (t) => {
  const heard = hearReport(
    fresh(),
    report({
      about: 'claim',
      step: 'APPLY',
      outcome: 'SUCCEEDED',
      detail: '4 TRUs',
      asyncOperationId: 'op-1',
      baseline: ON_DEMAND,
    }),
    AT,
  );
  t.same(heard.steps, [
    { step: 'APPLY', outcome: 'SUCCEEDED', at: AT, asyncOperationId: 'op-1', detail: '4 TRUs' },
    { step: 'VERIFY', outcome: 'STARTED', at: AT },
  ]);
  t.equal(heard.state.phase, 'VERIFYING');
  t.equal(heard.state.result.initialChangeSuccess, true);
  t.equal(heard.state.result.applyOperationId, 'op-1');
  t.same(heard.state.result.baseline, ON_DEMAND);
  t.equal(heard.state.result.verificationSuccess, false);
  t.equal(heard.state.claimAnswered, false, 'not the last word');
  t.same(heard.alerts, []);
});

t.test('a claim verified after it was applied', async (t) => {
  const applied = fresh('VERIFYING', { initialChangeSuccess: true, applyOperationId: 'op-1', baseline: ON_DEMAND });
  const heard = hearReport(
    applied,
    report({ about: 'claim', step: 'VERIFY', outcome: 'SUCCEEDED', asyncOperationId: 'op-1', final: true }),
    AT,
  );
  t.same(heard.steps, [{ step: 'VERIFY', outcome: 'SUCCEEDED', at: AT }], 'no detail when the report has none');
  t.equal(heard.state.result.verificationSuccess, true);
  t.equal(heard.state.result.verifiedAt, AT);
  t.equal(heard.state.result.applyOperationId, 'op-1');
  t.same(heard.state.result.baseline, ON_DEMAND, 'a report without a baseline keeps the one heard');
  t.equal(heard.state.phase, 'VERIFYING');
  t.equal(heard.state.claimAnswered, true);
});

t.test('a claim with nothing to change is applied and verified in one report', async (t) => {
  const heard = hearReport(
    fresh(),
    report({ about: 'claim', step: 'VERIFY', outcome: 'SUCCEEDED', detail: 'nothing to change', final: true }),
    AT,
  );
  t.same(heard.steps, [
    { step: 'APPLY', outcome: 'SUCCEEDED', at: AT, detail: 'nothing to change' },
    { step: 'VERIFY', outcome: 'STARTED', at: AT },
    { step: 'VERIFY', outcome: 'SUCCEEDED', at: AT, detail: 'nothing to change' },
  ]);
  t.equal(heard.state.result.applyOperationId, null);
  t.equal(heard.state.result.initialChangeSuccess, true);
  t.equal(heard.state.result.verificationSuccess, true);
  t.equal(heard.state.claimAnswered, true);
});

t.test('an apply step carries only what the report has', async (t) => {
  const heard = hearReport(
    fresh(),
    report({ about: 'claim', step: 'APPLY', outcome: 'SUCCEEDED', asyncOperationId: null }),
    AT,
  );
  t.same(heard.steps[0], { step: 'APPLY', outcome: 'SUCCEEDED', at: AT });
});

t.test('a claim refused before any change: nothing to revert', async (t) => {
  const heard = hearReport(
    fresh(),
    report({
      about: 'claim',
      step: 'APPLY',
      outcome: 'FAILED',
      detail: 'invalid TRU value',
      unchanged: true,
      final: true,
    }),
    AT,
  );
  t.equal(heard.state.claimRefused, true);
  t.equal(heard.state.claimAnswered, true);
  t.equal(heard.state.result.initialChangeSuccess, false);
  t.same(heard.state.result.errors, ['APPLY: invalid TRU value']);
  t.same(heard.steps, [{ step: 'APPLY', outcome: 'FAILED', at: AT, detail: 'invalid TRU value' }]);
  t.same(heard.alerts, [{ severity: 'WARNING', step: 'APPLY', reason: 'invalid TRU value' }]);
});

t.test('a claim whose change may have happened is not refused', async (t) => {
  const heard = hearReport(
    fresh(),
    report({ about: 'claim', step: 'APPLY', outcome: 'FAILED', unchanged: false, final: true }),
    AT,
  );
  t.equal(heard.state.claimRefused, false);
  t.same(heard.state.result.errors, ['APPLY: the capacity change failed'], 'a default reason');
  const silent = hearReport(fresh(), report({ about: 'claim', step: 'APPLY', outcome: 'FAILED', final: true }), AT);
  t.equal(silent.state.claimRefused, false, 'unchanged unsaid is not unchanged');
});

t.test('a failed verification means the change was applied', async (t) => {
  const heard = hearReport(
    fresh('VERIFYING'),
    report({ about: 'claim', step: 'VERIFY', outcome: 'FAILED', detail: 'timed out', final: true }),
    AT,
  );
  t.equal(heard.state.result.initialChangeSuccess, true);
  t.equal(heard.state.result.verificationSuccess, false);
  t.same(heard.alerts, [{ severity: 'WARNING', step: 'VERIFY', reason: 'timed out' }]);
  t.equal(heard.state.phase, 'VERIFYING');
});

t.test('a non-final failure leaves the claim open', async (t) => {
  const heard = hearReport(
    fresh(),
    report({ about: 'claim', step: 'APPLY', outcome: 'FAILED', detail: 'x', final: false }),
    AT,
  );
  t.equal(heard.state.claimAnswered, false);
});

t.test('after the last word on a claim, claim reports change nothing', async (t) => {
  const answered = { ...fresh('ACTIVE'), claimAnswered: true };
  const heard = hearReport(
    answered,
    report({ about: 'claim', step: 'APPLY', outcome: 'FAILED', detail: 'late', final: true, baseline: ON_DEMAND }),
    AT,
  );
  t.same(heard, { state: answered, steps: [], alerts: [] });
});

t.test('a revert applied: REVERT succeeded, REVERT_VERIFY started', async (t) => {
  const heard = hearReport(
    fresh('REVERTING'),
    report({ about: 'release', step: 'REVERT', outcome: 'SUCCEEDED', detail: 'On-Demand', asyncOperationId: 'op-2' }),
    AT,
  );
  t.same(heard.steps, [
    { step: 'REVERT', outcome: 'SUCCEEDED', at: AT, asyncOperationId: 'op-2', detail: 'On-Demand' },
    { step: 'REVERT_VERIFY', outcome: 'STARTED', at: AT },
  ]);
  t.equal(heard.state.phase, 'REVERT_VERIFYING');
  t.equal(heard.state.result.revertOperationId, 'op-2');
  t.equal(heard.state.result.reverted, false);
  t.equal(heard.state.releaseAnswered, false);
});

t.test('a revert verified after it was applied', async (t) => {
  const applied = { ...fresh('REVERT_VERIFYING', { revertOperationId: 'op-2' }), revertBlocked: BLOCKED };
  const heard = hearReport(
    applied,
    report({
      about: 'release',
      step: 'REVERT_VERIFY',
      outcome: 'SUCCEEDED',
      asyncOperationId: 'op-3',
      namespaceHas: ON_DEMAND,
      final: true,
    }),
    AT,
  );
  t.same(heard.steps, [{ step: 'REVERT_VERIFY', outcome: 'SUCCEEDED', at: AT }]);
  const r = heard.state.result;
  t.equal(r.revertOperationId, 'op-3', 'the change that settled it');
  t.equal(r.reverted, true);
  t.same(r.revertedTo, ON_DEMAND);
  t.equal(r.revertedToOnDemand, true);
  t.equal(r.revertVerificationSuccess, true);
  t.equal(r.revertedAt, AT);
  t.equal(heard.state.revertBlocked, null, 'no longer blocked');
  t.equal(heard.state.releaseAnswered, true);
});

t.test('a release verified with nothing to change: one report says it all', async (t) => {
  const heard = hearReport(
    fresh('REVERTING'),
    report({
      about: 'release',
      step: 'REVERT_VERIFY',
      outcome: 'SUCCEEDED',
      detail: 'held by others',
      namespaceHas: provisioned(4),
      final: true,
    }),
    AT,
  );
  t.same(heard.steps, [
    { step: 'REVERT', outcome: 'SUCCEEDED', at: AT },
    { step: 'REVERT_VERIFY', outcome: 'STARTED', at: AT },
    { step: 'REVERT_VERIFY', outcome: 'SUCCEEDED', at: AT, detail: 'held by others' },
  ]);
  t.same(heard.state.result.revertedTo, provisioned(4));
  t.equal(heard.state.result.revertedToOnDemand, false);
  t.equal(heard.state.result.revertOperationId, null);
});

t.test('a release verified to an unknown capacity', async (t) => {
  const heard = hearReport(
    fresh('REVERT_VERIFYING'),
    report({ about: 'release', step: 'REVERT_VERIFY', outcome: 'SUCCEEDED', namespaceHas: null, final: true }),
    AT,
  );
  t.equal(heard.state.result.revertedTo, null);
  t.equal(heard.state.result.revertedToOnDemand, false);
});

t.test('a retried revert announced again is recorded again', async (t) => {
  const heard = hearReport(
    fresh('REVERT_VERIFYING'),
    report({ about: 'release', step: 'REVERT', outcome: 'SUCCEEDED', asyncOperationId: 'op-4' }),
    AT,
  );
  t.same(
    heard.steps.map((s) => `${s.step} ${s.outcome}`),
    ['REVERT SUCCEEDED', 'REVERT_VERIFY STARTED'],
  );
  t.equal(heard.state.result.revertOperationId, 'op-4');
});

t.test('a revert that failed and is retried: CRITICAL, blocked, reverting again', async (t) => {
  const heard = hearReport(
    fresh('REVERT_VERIFYING'),
    report({ about: 'release', step: 'REVERT', outcome: 'FAILED', detail: 'denied', revertBlocked: BLOCKED }),
    AT,
  );
  t.equal(heard.state.phase, 'REVERTING');
  t.same(heard.state.revertBlocked, BLOCKED);
  t.equal(heard.state.result.reverted, false, 'a failed apply reverted nothing');
  t.same(heard.state.result.errors, ['REVERT: denied']);
  t.same(heard.steps, [
    { step: 'REVERT', outcome: 'FAILED', at: AT, detail: 'denied' },
    { step: 'REVERT', outcome: 'STARTED', at: AT, detail: 'the namespace controller tries again' },
  ]);
  t.same(heard.alerts, [{ severity: 'CRITICAL', step: 'REVERT', reason: 'denied' }]);
  t.equal(heard.state.releaseAnswered, false);
});

t.test('an error is added to those the window already had', async (t) => {
  const state = fresh('REVERTING', { errors: ['VERIFY: timed out'] });
  const heard = hearReport(
    state,
    report({ about: 'release', step: 'REVERT', outcome: 'FAILED', detail: 'denied' }),
    AT,
  );
  t.same(heard.state.result.errors, ['VERIFY: timed out', 'REVERT: denied']);
  t.same(state.result.errors, ['VERIFY: timed out'], 'the state given keeps its own list');
});

t.test('a revert applied but not verified counts as reverted, and is retried', async (t) => {
  const heard = hearReport(
    fresh('REVERT_VERIFYING'),
    report({ about: 'release', step: 'REVERT_VERIFY', outcome: 'FAILED' }),
    AT,
  );
  t.equal(heard.state.result.reverted, true);
  t.equal(heard.state.revertBlocked, null, 'no blocked record in the report: none');
  t.same(heard.state.result.errors, ['REVERT_VERIFY: the revert failed'], 'a default reason');
  t.equal(heard.alerts[0].severity, 'CRITICAL');
});

t.test('a final failed release: said once as a warning, not retried for this window', async (t) => {
  const heard = hearReport(
    fresh('REVERT_VERIFYING'),
    report({ about: 'release', step: 'REVERT_VERIFY', outcome: 'FAILED', final: true }),
    AT,
  );
  t.same(heard.alerts, [{ severity: 'WARNING', step: 'REVERT_VERIFY', reason: 'the revert could not be verified' }]);
  t.same(heard.steps, [
    { step: 'REVERT_VERIFY', outcome: 'FAILED', at: AT, detail: 'the revert could not be verified' },
  ]);
  t.equal(heard.state.phase, 'REVERT_VERIFYING');
  t.equal(heard.state.result.reverted, false);
  t.equal(heard.state.releaseAnswered, true);
});

t.test('after the last word on a release, release reports change nothing', async (t) => {
  const answered = { ...fresh('REVERT_VERIFYING'), releaseAnswered: true };
  const heard = hearReport(
    answered,
    report({ about: 'release', step: 'REVERT', outcome: 'FAILED', detail: 'late' }),
    AT,
  );
  t.same(heard, { state: answered, steps: [], alerts: [] });
});

t.test('a claim report and a release report are heard apart', async (t) => {
  const claimDone = { ...fresh('REVERTING'), claimAnswered: true };
  const heard = hearReport(claimDone, report({ about: 'release', step: 'REVERT', outcome: 'SUCCEEDED' }), AT);
  t.equal(heard.steps.length, 2, 'a release report is heard after the claim was answered');
  const releaseDone = { ...fresh('ACTIVE'), releaseAnswered: true };
  t.equal(
    hearReport(releaseDone, report({ about: 'claim', step: 'VERIFY', outcome: 'SUCCEEDED', final: true }), AT).state
      .claimAnswered,
    true,
  );
});

t.test('the state given is left as it was', async (t) => {
  const state = fresh();
  const before = structuredClone(state);
  hearReport(state, report({ about: 'claim', step: 'APPLY', outcome: 'FAILED', detail: 'x', final: true }), AT);
  t.same(state, before);
});

t.test('a slow change: a STARTED step and a WARNING, nothing decided', async (t) => {
  const verifying = { ...fresh('VERIFYING', { initialChangeSuccess: true }) };
  const claim = hearReport(
    verifying,
    report({ about: 'claim', step: 'VERIFY', outcome: 'SUCCEEDED', slow: true, detail: 'slow: 2 min' }),
    AT,
  );
  t.same(claim.steps, [{ step: 'VERIFY', outcome: 'STARTED', at: AT, detail: 'slow: 2 min' }]);
  t.same(claim.alerts, [{ severity: 'WARNING', step: 'VERIFY', reason: 'slow: 2 min' }]);
  t.equal(claim.state.result.verificationSuccess, false, 'not verified by a slow report');
  t.equal(claim.state.claimAnswered, false);
  t.same(claim.state.result.errors, [], 'no error on the record');

  const release = hearReport(
    fresh('REVERT_VERIFYING', { verificationSuccess: true }),
    report({ about: 'release', step: 'REVERT_VERIFY', outcome: 'SUCCEEDED', slow: true, detail: 'slow' }),
    AT,
  );
  t.equal(release.state.result.revertVerificationSuccess, false);
  t.same(release.alerts, [{ severity: 'WARNING', step: 'REVERT_VERIFY', reason: 'slow' }]);

  const answered = { ...verifying, claimAnswered: true };
  t.same(
    hearReport(answered, report({ about: 'claim', step: 'VERIFY', outcome: 'SUCCEEDED', slow: true }), AT).alerts,
    [],
  );
});

t.test('a raise verified after its deadline: the result follows the namespace', async (t) => {
  const failed = {
    ...fresh('ACTIVE', { initialChangeSuccess: true, errors: ['VERIFY: not verified before the deadline'] }),
    claimAnswered: true,
  };
  const late = report({
    about: 'claim',
    step: 'VERIFY',
    outcome: 'SUCCEEDED',
    late: true,
    final: true,
    asyncOperationId: 'op-1',
    detail: '4 TRUs, verified after the verification deadline',
  });
  const heard = hearReport(failed, late, AT);
  t.match(heard.state.result, { verificationSuccess: true, verifiedAt: AT, applyOperationId: 'op-1' });
  t.same(heard.steps, [
    { step: 'VERIFY', outcome: 'SUCCEEDED', at: AT, asyncOperationId: 'op-1', detail: late.detail },
  ]);
  t.same(
    heard.state.result.errors,
    ['VERIFY: not verified before the deadline'],
    'the missed deadline stays on record',
  );
  t.same(heard.alerts, []);
  t.same(hearReport(heard.state, late, AT).steps, [], 'heard once');
  const notLate = hearReport(failed, { ...late, late: false }, AT);
  t.equal(notLate.state.result.verificationSuccess, false, 'only a late report reopens an answered claim');
});

t.test('a change waiting for the account budget: a BUDGET step, and the window says what it waits for', async (t) => {
  const waiting = hearReport(
    fresh(),
    report({ about: 'claim', step: 'BUDGET', outcome: 'WAITING', detail: "waits for the account's budget" }),
    AT,
  );
  t.same(waiting.steps, [{ step: 'BUDGET', outcome: 'STARTED', at: AT, detail: "waits for the account's budget" }]);
  t.equal(waiting.state.waitingFor, "waits for the account's budget");
  t.equal(waiting.state.claimAnswered, false, 'not an answer');
  t.equal(waiting.state.phase, 'APPLYING');
  const granted = hearReport(
    waiting.state,
    report({ about: 'claim', step: 'BUDGET', outcome: 'SUCCEEDED', detail: 'after 3 s' }),
    AT,
  );
  t.same(granted.steps, [{ step: 'BUDGET', outcome: 'SUCCEEDED', at: AT, detail: 'after 3 s' }]);
  t.equal(granted.state.waitingFor, null);
  const release = hearReport(
    { ...fresh('REVERTING'), claimAnswered: true },
    report({ about: 'release', step: 'BUDGET', outcome: 'WAITING', detail: 'queued' }),
    AT,
  );
  t.equal(release.state.waitingFor, 'queued', 'a revert shows it too');
  const late = hearReport(
    { ...fresh('ACTIVE'), claimAnswered: true },
    report({ about: 'claim', step: 'BUDGET', outcome: 'WAITING', detail: 'queued' }),
    AT,
  );
  t.same(late.steps, [], 'nothing after the last word on the claim');
});

t.test('a drift report: a DRIFT step and the drift kept, with no alert and nothing else decided', async (t) => {
  const drift = { expected: provisioned(4), found: provisioned(10), at: AT, policy: 'respect' as const };
  const active = { ...fresh('ACTIVE', { initialChangeSuccess: true, verificationSuccess: true }), claimAnswered: true };
  const heard = hearReport(
    active,
    report({ about: 'claim', step: 'DRIFT', outcome: 'FAILED', detail: 'expected 4 TRUs, found 10 TRUs', drift }),
    AT,
  );
  t.same(heard.steps, [{ step: 'DRIFT', outcome: 'FAILED', at: AT, detail: 'expected 4 TRUs, found 10 TRUs' }]);
  t.same(heard.state.drift, drift);
  t.same(heard.alerts, [], 'the controller alerts once for all its windows');
  t.equal(heard.state.phase, 'ACTIVE');
  t.same(heard.state.result.errors, [], 'not an error of the window');

  const waiting = { ...fresh('REVERTING'), waitingFor: 'the budget' };
  const released = hearReport(
    waiting,
    report({ about: 'release', step: 'DRIFT', outcome: 'FAILED', drift, final: false }),
    AT,
  );
  t.equal(released.state.waitingFor, 'the budget', 'what the window waits for is untouched');
  t.equal(released.state.releaseAnswered, false, 'a drift is never the last word on a release');
  const bare = hearReport(
    { ...active, drift },
    report({ about: 'claim', step: 'DRIFT', outcome: 'FAILED', detail: 'again' }),
    AT,
  );
  t.same(bare.state.drift, drift, 'a report without the drift keeps the one known');
});

t.test(
  'TRU-hours: the claim took effect at the change finish time, the release at the revert finish time',
  async (t) => {
    const FINISHED = '2026-12-06T09:59:30.000Z';
    const applied = fresh('VERIFYING', { initialChangeSuccess: true, applyOperationId: 'op-1' });
    const claimed = hearReport(
      applied,
      report({ about: 'claim', step: 'VERIFY', outcome: 'SUCCEEDED', changedAt: FINISHED, final: true }),
      AT,
    );
    t.equal(claimed.state.result.heldFrom, FINISHED, 'the finish time, not when the window heard it');
    t.equal(claimed.state.result.heldUntil, undefined, 'still held');
    const covered = hearReport(
      applied,
      report({ about: 'claim', step: 'VERIFY', outcome: 'SUCCEEDED', detail: 'nothing to change', final: true }),
      AT,
    );
    t.equal(covered.state.result.heldFrom, AT, 'nothing to change: when it was answered');
    const REVERTED = '2026-12-06T11:00:05.000Z';
    const released = hearReport(
      { ...claimed.state, phase: 'REVERT_VERIFYING' },
      report({ about: 'release', step: 'REVERT_VERIFY', outcome: 'SUCCEEDED', changedAt: REVERTED, final: true }),
      '2026-12-06T11:00:09.000Z',
    );
    t.equal(released.state.result.heldUntil, REVERTED);
    const refused = hearReport(
      fresh(),
      report({ about: 'claim', step: 'APPLY', outcome: 'FAILED', unchanged: true, final: true }),
      AT,
    );
    t.equal(refused.state.result.heldFrom, undefined, 'a refused claim never took effect');
  },
);

t.test('TRU-hours: a raise verified late took effect when it landed', async (t) => {
  const LANDED = '2026-12-06T09:58:00.000Z';
  const failed = fresh('ACTIVE', { initialChangeSuccess: true });
  const heard = hearReport(
    { ...failed, claimAnswered: true },
    report({ about: 'claim', step: 'VERIFY', outcome: 'SUCCEEDED', late: true, changedAt: LANDED, final: true }),
    AT,
  );
  t.equal(heard.state.result.heldFrom, LANDED);
});
