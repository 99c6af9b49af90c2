import t from 'tap';
import { loadConfig } from '../src/config.js';
import { checkGuardrails, type Guardrails } from '../src/guardrails.js';

const open: Guardrails = {
  allow: null,
  deny: [],
  maxTrus: null,
  maxTrusByNamespace: {},
  maxWindowMs: null,
  minWindowMs: 3_600_000,
};
const hour = 3_600_000;

t.test('each rule refuses with its own code', async (t) => {
  const req = { namespace: 'payments.a1b2c', trus: 4, windowMs: 2 * hour };
  t.equal(checkGuardrails(open, req), null);
  t.equal(checkGuardrails({ ...open, deny: ['payments.a1b2c'] }, req)?.code, 'NAMESPACE_DENIED');
  t.equal(checkGuardrails({ ...open, allow: ['batch.a1b2c'] }, req)?.code, 'NAMESPACE_NOT_ALLOWED');
  t.equal(checkGuardrails({ ...open, allow: ['payments.a1b2c'] }, req), null);
  t.equal(checkGuardrails({ ...open, maxTrus: 3 }, req)?.code, 'TRUS_ABOVE_LIMIT');
  t.equal(
    checkGuardrails({ ...open, maxTrus: 3, maxTrusByNamespace: { 'payments.a1b2c': 8 } }, req),
    null,
    'a per-namespace limit overrides',
  );
  t.equal(checkGuardrails({ ...open, maxTrusByNamespace: { 'payments.a1b2c': 2 } }, req)?.code, 'TRUS_ABOVE_LIMIT');
  t.equal(checkGuardrails({ ...open, maxWindowMs: hour }, req)?.code, 'WINDOW_TOO_LONG');
  t.equal(
    checkGuardrails({ ...open, maxWindowMs: hour }, { ...req, windowMs: null })?.code,
    'WINDOW_TOO_LONG',
    'a permanent change is longer than any limit',
  );
  t.equal(checkGuardrails(open, { ...req, windowMs: null }), null, 'permanent changes pass without a limit');
  const short = checkGuardrails(open, { ...req, windowMs: 10 * 60_000 });
  t.equal(short?.code, 'WINDOW_TOO_SHORT');
  t.match(short?.message, /acknowledgeShortWindow/);
  t.equal(checkGuardrails(open, { ...req, windowMs: 10 * 60_000, acknowledgeShortWindow: true }), null);
});

t.test('guardrails come from config, and bad values name the variable', async (t) => {
  const g = loadConfig({
    GUARDRAIL_NAMESPACE_ALLOWLIST: 'payments.a1b2c, batch.a1b2c',
    GUARDRAIL_NAMESPACE_DENYLIST: 'search.a1b2c',
    GUARDRAIL_MAX_TRUS: '8',
    GUARDRAIL_MAX_TRUS_PER_NAMESPACE: 'batch.a1b2c=4',
    GUARDRAIL_MAX_WINDOW_DURATION: 'P1D',
  }).guardrails;
  t.same(g, {
    allow: ['payments.a1b2c', 'batch.a1b2c'],
    deny: ['search.a1b2c'],
    maxTrus: 8,
    maxTrusByNamespace: { 'batch.a1b2c': 4 },
    maxWindowMs: 24 * hour,
    minWindowMs: hour,
  });
  t.same(loadConfig({}).guardrails, open, 'by default only the hourly minimum applies');
  t.throws(() => loadConfig({ GUARDRAIL_MAX_TRUS_PER_NAMESPACE: 'batch.a1b2c:4' }), /GUARDRAIL_MAX_TRUS_PER_NAMESPACE/);
  t.throws(() => loadConfig({ GUARDRAIL_NAMESPACE_DENYLIST: 'Bad' }), /GUARDRAIL_NAMESPACE_DENYLIST/);
  t.throws(() => loadConfig({ GUARDRAIL_MAX_WINDOW_DURATION: 'forever' }), /GUARDRAIL_MAX_WINDOW_DURATION/);
});
