// The process entry refuses, with exit code 78 and the variable's name, the combinations that open a door: a real
// Cloud Ops key with open authentication, open authentication on a non-loopback interface.
import t from 'tap';
import { spawnService } from './helpers/process.js';

const cases: Array<[string, Record<string, string>, RegExp]> = [
  [
    'a real Cloud Ops key with AUTH_DISABLED=true',
    { TEMPORAL_ADDRESS: 'temporal.invalid:7233', AUTH_DISABLED: 'true', TEMPORAL_CLOUD_API_KEY: 'real-key' },
    /TEMPORAL_CLOUD_API_KEY is a real Cloud Ops key/,
  ],
  [
    'a real Cloud Ops key in local mode without tokens',
    { AUTH_DISABLED: '', TEMPORAL_CLOUD_API_KEY: 'real-key' },
    /TEMPORAL_CLOUD_API_KEY is a real Cloud Ops key/,
  ],
  ['AUTH_DISABLED=true on 0.0.0.0', { AUTH_DISABLED: 'true', HOST: '0.0.0.0' }, /HOST is 0\.0\.0\.0, not a loopback/],
  ['local mode without tokens on ::', { AUTH_DISABLED: '', HOST: '::' }, /HOST is ::, not a loopback/],
];

t.test('each unsafe combination: exit 78 naming the variable', async (t) => {
  // All at once: each is a whole node process, and the machine may be busy.
  const procs = cases.map(([, env]) => spawnService({ LOG_LEVEL: 'error', ...env }));
  const exits = await Promise.all(procs.map((p) => p.exited));
  cases.forEach(([what, , message], i) => {
    t.equal(exits[i].code, 78, `${what}: EX_CONFIG`);
    t.match(procs[i].lines.join('\n'), message, `${what}: names the variable`);
  });
});
