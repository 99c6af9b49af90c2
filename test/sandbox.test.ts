// The workflow sandbox boundary, enforced: workflow code and the contracts it shares may import only
// deterministic code. A Node built-in or an activity implementation reaching a workflow would break replay.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';

const SANDBOXED = ['src/workflows', 'src/shared'];
const ALLOWED_PACKAGES = new Set(['@temporalio/workflow', '@temporalio/common']);

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

export function forbiddenImports(file: string, source: string): string[] {
  const problems: string[] = [];
  for (const m of source.matchAll(/^\s*(import|export)\s+(type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)) {
    const [, , typeOnly, spec] = m;
    if (typeOnly) continue;
    if (spec.startsWith('.')) {
      const target = path.normalize(path.join(path.dirname(file), spec));
      if (!SANDBOXED.some((dir) => target.startsWith(dir)))
        problems.push(`${file}: imports ${spec} (outside the sandbox)`);
    } else if (!ALLOWED_PACKAGES.has(spec)) {
      problems.push(`${file}: imports ${spec}`);
    }
  }
  return problems;
}

t.test('workflow and shared code import nothing outside the sandbox', async (t) => {
  const all = SANDBOXED.flatMap(files);
  t.ok(all.length >= 5, `checked ${all.length} files`);
  t.same(
    all.flatMap((f) => forbiddenImports(f, readFileSync(f, 'utf8'))),
    [],
  );
});

// Decisions are pure functions, unit-tested in plain Node: the workflow API (which needs a workflow context) stays out.
t.test('decisions import nothing of the workflow API', async (t) => {
  const decisions = files('src/workflows/decisions');
  t.ok(decisions.length >= 5, `checked ${decisions.length} files`);
  const offenders = decisions.filter((f) =>
    /from\s+'@temporalio\/workflow'|from\s+'\.\.\/(?!\.\.\/shared\/)/.test(readFileSync(f, 'utf8')),
  );
  t.same(offenders, []);
});

t.test('the check itself catches what it must', async (t) => {
  const f = 'src/workflows/x.ts';
  t.same(forbiddenImports(f, "import fs from 'node:fs';"), [`${f}: imports node:fs`]);
  t.same(forbiddenImports(f, "import { createActivities } from '../activities/index.js';"), [
    `${f}: imports ../activities/index.js (outside the sandbox)`,
  ]);
  t.same(forbiddenImports(f, "import type { Activities } from '../activities/index.js';"), []);
  t.same(forbiddenImports(f, "import { x } from '../shared/index.js';"), []);
});
