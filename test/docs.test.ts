// The configuration docs against the one source of truth, src/config.ts's EnvSchema: docs/deployment.md's
// "Configuration" table and .env.example must list exactly its variables, with its defaults. And every
// relative link in README.md and docs/ leads to a file, and to a heading there.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { EnvSchema } from '../src/config.js';

const read = (file: string) => readFileSync(fileURLToPath(new URL(`../${file}`, import.meta.url)), 'utf8');

/** Every variable with its schema default (undefined: none, the variable is optional). */
const schema = new Map(
  Object.entries(EnvSchema.properties).map(([name, prop]) => [
    name,
    (prop as { default?: unknown }).default as string | undefined,
  ]),
);
const schemaNames = [...schema.keys()].sort();

const duplicates = (names: string[]) => names.filter((n, i) => names.indexOf(n) !== i);

t.test('docs/deployment.md "Configuration" table: exactly the EnvSchema variables, with their defaults', async (t) => {
  const page = read('docs/deployment.md');
  // The section runs to the next "## " heading or to the end of the page.
  const section = /^## Configuration\s*$([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(page)?.[1];
  if (section === undefined) throw new Error('docs/deployment.md has no "## Configuration" section');
  // Rows of the form | `NAME` | default | description |
  const rows = [...section.matchAll(/^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|([^|]*)\|/gm)].map((m) => ({
    name: m[1],
    def: m[2].trim(),
  }));
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

/** Markdown outside fenced code blocks, with inline code removed: links and headings there are real. */
const prose = (text: string) =>
  text
    .split(/^```.*$/m)
    .filter((_, i) => i % 2 === 0)
    .join('\n')
    .replace(/`[^`\n]*`/g, '');

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as dashes, repeats numbered. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const [, heading] of text
    .split(/^```.*$/m)
    .filter((_, i) => i % 2 === 0)
    .join('\n')
    .matchAll(/^#{1,6}\s+(.+?)\s*$/gm)) {
    const slug = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    result.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return result;
}

t.test('README.md and docs/: every relative link reaches a file, and every #anchor a heading there', async (t) => {
  const repo = fileURLToPath(new URL('..', import.meta.url));
  const pages = [
    'README.md',
    ...readdirSync(join(repo, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  let checked = 0;
  for (const page of pages) {
    for (const [, target] of prose(read(page)).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target)) continue;
      const [path, anchor] = target.split('#');
      const file = path === '' ? page : join(dirname(page), path);
      checked += 1;
      if (!existsSync(join(repo, file))) {
        t.fail(`${page}: ${target}: no such file`);
        continue;
      }
      if (anchor !== undefined) t.ok(anchors(read(file)).has(anchor), `${page}: ${target}: ${file} has the heading`);
    }
  }
  t.ok(checked > 20, `${checked} links checked`);
});
