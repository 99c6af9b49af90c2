// The configuration docs against the one source of truth, src/config.ts's EnvSchema: README.md's
// "Configuration" table and .env.example must list exactly its variables, with its defaults.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { EnvSchema } from '../src/config.js';

const read = (file: string) => readFileSync(fileURLToPath(new URL(`../${file}`, import.meta.url)), 'utf8');

/** Every variable with its schema default (undefined: none, the variable is optional). */
const schema = new Map(
  Object.entries(EnvSchema.properties).map(([name, prop]) => [name, (prop as { default?: unknown }).default as string | undefined]),
);
const schemaNames = [...schema.keys()].sort();

const duplicates = (names: string[]) => names.filter((n, i) => names.indexOf(n) !== i);

t.test('README.md "Configuration" table: exactly the EnvSchema variables, with their defaults', async (t) => {
  const readme = read('README.md');
  const section = /^## Configuration\s*$([\s\S]*?)(?=^## )/m.exec(readme)?.[1];
  if (section === undefined) throw new Error('README.md has no "## Configuration" section');
  // Rows of the form | `NAME` | default | description |
  const rows = [...section.matchAll(/^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|([^|]*)\|/gm)].map((m) => ({ name: m[1], def: m[2].trim() }));
  const names = rows.map((r) => r.name);
  t.ok(rows.length > 0, 'the section has a table of variables');
  t.same(duplicates(names), [], 'no variable is listed twice');
  t.same(
    schemaNames.filter((n) => !names.includes(n)),
    [],
    'no EnvSchema variable is missing from the table',
  );
  t.same(
    names.filter((n) => !schema.has(n)),
    [],
    'the table lists no variable that EnvSchema does not have',
  );
  for (const { name, def } of rows) {
    if (!schema.has(name)) continue;
    const expected = schema.get(name);
    if (expected === undefined) t.match(def, /unset/i, `${name}: no default in the schema, so the table says unset`);
    else t.equal(def, `\`${expected}\``, `${name}: default ${expected}`);
  }
});

t.test('.env.example: exactly the EnvSchema variables, defaults as values, optional ones empty', async (t) => {
  const entries = read('.env.example')
    .split(/\r?\n/)
    .map((l) => /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ name: m[1], value: m[2] }));
  const names = entries.map((e) => e.name);
  t.same(duplicates(names), [], 'no variable is set twice');
  t.same(
    schemaNames.filter((n) => !names.includes(n)),
    [],
    'no EnvSchema variable is missing from .env.example',
  );
  t.same(
    names.filter((n) => !schema.has(n)),
    [],
    '.env.example sets no variable that EnvSchema does not have',
  );
  for (const { name, value } of entries) {
    if (!schema.has(name)) continue;
    const expected = schema.get(name);
    // Optional variables stay empty (empty counts as unset): a value there would change the behaviour.
    t.equal(value, expected ?? '', expected === undefined ? `${name}: empty (no default)` : `${name}=${expected}`);
  }
});
