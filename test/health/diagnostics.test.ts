// The preflight's decision without a server: who may change a namespace. The checks themselves run against the real dev server and emulator in test/e2e/diagnostics.test.ts.
import t from 'tap';
import { mayChange } from '../../src/health/diagnostics.js';

const NS = 'payments.a1b2c';
const sa = (access: object, extra: object = {}) => ({
  serviceAccount: { id: 'sa', spec: { name: 'sa', access, ...extra } },
});

t.test('mayChange: account owner or admin, or namespace admin or write; read or nothing is refused', async (t) => {
  t.match(mayChange(sa({ accountAccess: { role: 1 } }), NS), { ok: true, because: 'account role owner' });
  t.match(mayChange(sa({ accountAccess: { role: 2 } }), NS), { ok: true, because: 'account role admin' });
  const developer = { accountAccess: { role: 3 } };
  t.match(mayChange(sa(developer), NS), { ok: false });
  t.match(mayChange(sa({ ...developer, namespaceAccesses: { [NS]: { permission: 2 } } }), NS), {
    ok: true,
    because: 'namespace permission write',
  });
  t.match(mayChange(sa({ ...developer, namespaceAccesses: { [NS]: { permission: 3 } } }), NS), {
    ok: false,
    because: /PERMISSION_READ/,
  });
  t.match(mayChange(sa({ ...developer, namespaceAccesses: { 'other.a1b2c': { permission: 1 } } }), NS), { ok: false });
  t.match(mayChange(sa({}, { namespaceScopedAccess: { namespace: NS, access: { permission: 1 } } }), NS), {
    ok: true,
    because: 'namespace permission admin',
  });
  t.match(mayChange({ user: { id: 'u', spec: { email: 'a@b', access: { accountAccess: { role: 5 } } } } }, NS), {
    ok: false,
  });
});
