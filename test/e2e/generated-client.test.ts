// Clients generated from the document work: openapi-typescript turns openapi/openapi.json into types, a program
// written against them with openapi-fetch is typechecked, then drives one window (create → get → cancel → done)
// through the API on a real Temporal server.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import openapiTS, { astToString } from 'openapi-typescript';
import { startHarness, type Harness } from '../helpers/harness.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

// The client as a user would write it: every path, body and answer typed from the document.
const DRIVER = `
import createClient from 'openapi-fetch';
import type { paths } from './schema.js';

// A write without a JSON body must carry X-Requested-With (the API's cross-site guard): a client-wide header.
const client = createClient<paths>({ baseUrl: process.env.BASE_URL, headers: { 'X-Requested-With': 'generated-client' } });
const namespace = process.env.NAMESPACE as string;

async function read(id: string) {
  const { data, error } = await client.GET('/v1/capacity-changes/{id}', { params: { path: { id } } });
  if (!data) throw new Error(\`GET: \${error?.code}\`);
  return data;
}

async function until(id: string, done: (w: Awaited<ReturnType<typeof read>>) => boolean) {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
    const window = await read(id);
    if (done(window)) return window;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('window did not get there in time');
}

const created = await client.POST('/v1/capacity-changes', {
  body: { namespace, trus: 4, duration: 'PT1H', reason: 'generated client' },
});
if (created.response.status !== 202 || !created.data || !('id' in created.data)) {
  throw new Error(\`create answered \${created.response.status}\`);
}
const id: string = created.data.id;
const active = await until(id, (w) => w.phase === 'ACTIVE');
const cancelled = await client.POST('/v1/capacity-changes/{id}/cancel', {
  params: { path: { id } },
  body: { reason: 'done early' },
});
if (!cancelled.data) throw new Error(\`cancel: \${cancelled.error?.code}\`);
const done = await until(id, (w) => w.status === 'COMPLETED');
const refused = await client.POST('/v1/capacity-changes/{id}/cancel', { params: { path: { id } }, body: {} });
console.log(
  JSON.stringify({
    id,
    created: created.data.phase,
    active: active.namespaceCapacity?.has?.trus ?? null,
    cancelledIn: cancelled.data.phase,
    final: done.phase,
    reason: done.result?.cancelled?.reason ?? null,
    again: refused.error?.code ?? null,
  }),
);
`;

let h: Harness;
let baseUrl: string;
t.before(async () => {
  h = await startHarness({ applyDelayMs: 200 });
  baseUrl = await h.app.listen({ port: 0, host: '127.0.0.1' });
});
t.teardown(() => h.close());

/** A project of its own: the types generated from the document, the program, and a strict tsconfig. */
async function generatedProject(program: string): Promise<{ dir: string; typecheck: string }> {
  // Inside node_modules, so that the program resolves openapi-fetch as a user's project would.
  mkdirSync(path.join(root, 'node_modules/.cache'), { recursive: true });
  const dir = mkdtempSync(path.join(root, 'node_modules/.cache/generated-client-'));
  const doc = JSON.parse(readFileSync(path.join(root, 'openapi/openapi.json'), 'utf8'));
  writeFileSync(path.join(dir, 'schema.ts'), astToString(await openapiTS(doc)));
  writeFileSync(path.join(dir, 'driver.ts'), program);
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  const compilerOptions = {
    strict: true,
    noEmit: true,
    target: 'es2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    skipLibCheck: true,
    types: ['node'],
  };
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['driver.ts'] }));
  const tsc = await run(path.join(root, 'node_modules/.bin/tsc'), ['-p', dir]).catch((err: { stdout: string }) => err);
  return { dir, typecheck: tsc.stdout };
}

t.test('a client generated from openapi/openapi.json typechecks and drives a window to its end', async (t) => {
  const { dir, typecheck } = await generatedProject(DRIVER);
  t.equal(typecheck, '', 'the program typechecks against the generated types');

  const ns = h.newNamespace();
  const { stdout } = await run(path.join(root, 'node_modules/.bin/tsx'), [path.join(dir, 'driver.ts')], {
    env: { ...process.env, BASE_URL: baseUrl, NAMESPACE: ns },
  });
  const outcome = JSON.parse(stdout);
  t.match(outcome, {
    created: 'PENDING',
    active: 4,
    cancelledIn: 'ACTIVE',
    final: 'COMPLETED',
    reason: 'done early',
    again: 'WINDOW_CLOSED',
  });
  t.equal((await h.windowStatus(outcome.id)).result?.cancelled?.reason, 'done early', 'the API saw the same window');
  t.equal(h.emulator.state.snapshot(ns).updates.length, 2, 'one apply, one revert');
});

t.test('the typecheck has teeth: a body the document does not allow fails it', async (t) => {
  const { typecheck } = await generatedProject(
    `import createClient from 'openapi-fetch';\nimport type { paths } from './schema.js';\n` +
      `await createClient<paths>({}).POST('/v1/capacity-changes', { body: { namespace: 'a.b', trus: '4' } });\n`,
  );
  t.match(typecheck, /error TS\d+/, 'trus as a string does not typecheck');
});
