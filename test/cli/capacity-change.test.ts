import t from 'tap';
import { EXIT, formatHttpError, parseArgs, progressLines, requestBody, verdict, type WindowView } from '../../src/cli/capacity-change.js';

t.test('parseArgs', async (t) => {
  t.same(parseArgs(['payments.a1b2c', '4', '120']), { namespace: 'payments.a1b2c', trus: 4, minutes: 120 });
  t.match(parseArgs(['payments.a1b2c', '4']), { error: /3 arguments/ });
  t.match(parseArgs(['payments.a1b2c', 'four', '120']), { error: /trus/ });
  t.match(parseArgs(['payments.a1b2c', '4', '0']), { error: /minutes/ });
  t.match(parseArgs(['payments.a1b2c', '1.5', '10']), { error: /trus/ });
  t.match(parseArgs(['payments.a1b2c', '4', '-3']), { error: /minutes/ });
});

t.test('requestBody asks for a duration in minutes', async (t) => {
  t.same(requestBody({ namespace: 'payments.a1b2c', trus: 4, minutes: 90 }), {
    namespace: 'payments.a1b2c',
    trus: 4,
    duration: 'PT90M',
    reason: 'runbook: capacity-change',
  });
});

const view = (phase: string, status = 'RUNNING', steps: WindowView['steps'] = []): WindowView => ({ id: 'x', phase, status, steps });

t.test('progressLines prints new steps and phase changes only', async (t) => {
  const apply = { step: 'APPLY', outcome: 'SUCCEEDED', at: '2025-01-01T00:00:00Z', asyncOperationId: 'op-1' };
  t.same(progressLines(undefined, view('PENDING')), ['phase PENDING (workflow RUNNING)']);
  t.same(progressLines(view('PENDING'), view('PENDING')), []);
  t.same(progressLines(view('PENDING'), view('VERIFYING', 'RUNNING', [apply])), [
    '  2025-01-01T00:00:00Z APPLY SUCCEEDED [op-1]',
    'phase VERIFYING (workflow RUNNING)',
  ]);
  t.same(progressLines(view('VERIFYING', 'RUNNING', [apply]), view('VERIFYING', 'RUNNING', [apply, { step: 'VERIFY', outcome: 'FAILED', at: 't', detail: 'timeout' }])), [
    '  t VERIFY FAILED: timeout',
  ]);
});

t.test('verdict', async (t) => {
  t.equal(verdict(view('PENDING')), undefined);
  t.equal(verdict(view('VERIFYING')), undefined);
  t.equal(verdict(view('ACTIVE')), EXIT.ok);
  t.equal(verdict(view('COMPLETED', 'COMPLETED')), EXIT.ok);
  t.equal(verdict(view('FAILED')), EXIT.failed);
  t.equal(verdict(view('APPLYING', 'TERMINATED')), EXIT.failed);
  t.equal(
    verdict(view('ACTIVE', 'RUNNING', [{ step: 'VERIFY', outcome: 'FAILED', at: 't', detail: 'not applied' }])),
    EXIT.failed,
    'a window holding after a failed verification is not a success',
  );
});

t.test('formatHttpError', async (t) => {
  t.equal(formatHttpError(409, { statusCode: 409, code: 'WINDOW_ALREADY_RUNNING', error: 'Conflict', message: 'busy' }), 'WINDOW_ALREADY_RUNNING: busy');
  t.equal(formatHttpError(502, null), 'HTTP_502: unexpected answer from the Capacity Scheduler');
});
