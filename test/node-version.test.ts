// The tests run on the Node the image runs: the major pinned in .nvmrc (scripts/pinned-node.sh fetches it when
// the machine's Node is another one), the one the Dockerfile's base image names, and one engines accepts.
import { readFileSync } from 'node:fs';
import t from 'tap';

const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
const pinned = read('.nvmrc').trim();
const major = (version: string) => Number(version.split('.')[0]);

t.test('this test process runs on the pinned Node major', async (t) => {
  t.match(pinned, /^\d+\.\d+\.\d+$/, `.nvmrc pins an exact version (${pinned})`);
  t.equal(major(process.versions.node), major(pinned), `node ${process.versions.node} runs the tests`);
});

t.test("the image's base is the same major, and engines accepts it", async (t) => {
  const bases = [...read('Dockerfile').matchAll(/^FROM\s+node:(\d+)-/gm)].map((m) => Number(m[1]));
  t.ok(bases.length > 0, 'the Dockerfile builds FROM a node image');
  for (const base of bases) t.equal(base, major(pinned), `FROM node:${base}`);
  const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
  t.equal(engines, `>=${major(pinned)}`, `engines.node is ${engines}`);
});
