// The contract test has teeth: scripts/contract-test.sh fails when the server answers something the document
// does not say. A test-only plugin makes GET /healthz answer an undocumented 418; the same run without it passes.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import type { FastifyPluginAsync } from 'fastify';
import { buildTestApp } from './helpers/app.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');

// skip-override (what fastify-plugin sets): the hook applies to the whole app, not to a context of its own.
const undocumentedStatus: FastifyPluginAsync = Object.assign(
  async (app: Parameters<FastifyPluginAsync>[0]) => {
    app.addHook('onRequest', async (request, reply) => {
      if (request.url !== '/healthz') return;
      return reply.code(418).send({ statusCode: 418, code: 'TEAPOT', error: "I'm a Teapot", message: 'a variant' });
    });
  },
  { [Symbol.for('skip-override')]: true },
);

/** The contract test against this app, on GET /healthz only, with a fixed seed; its exit code and output. */
async function contractTest(t: Test, plugins: FastifyPluginAsync[]) {
  const { app } = await buildTestApp(t, { plugins });
  const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  const env = { ...process.env, CONTRACT_BASE_URL: baseUrl, CONTRACT_TOKEN: 'unused-on-healthz' };
  return run(
    'sh',
    ['scripts/contract-test.sh', '--seed', '7', '--include-path', '/healthz', '--phases', 'examples,coverage,fuzzing'],
    { cwd: root, env },
  )
    .then(({ stdout }) => ({ code: 0, stdout }))
    .catch((err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }));
}

t.test(
  'an undocumented status fails the contract test; the documented server passes it',
  { timeout: 300_000 },
  async (t) => {
    const variant = await contractTest(t, [undocumentedStatus]);
    t.not(variant.code, 0, 'the contract test fails');
    t.match(variant.stdout, /Undocumented status code/, 'and says why');
    t.match(variant.stdout, /418/);

    const documented = await contractTest(t, []);
    t.equal(documented.code, 0, 'the same run against the documented server passes', {
      output: documented.stdout.slice(-1500),
    });
  },
);
