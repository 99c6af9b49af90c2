// Our workflow-side modules are preloaded: instantiated once and shared by every workflow in the worker's cache
// (src/worker/index.ts, preloadedWorkflowModules). A module-level binding that one workflow could change would then
// be seen by the others, and replay would diverge. So what a preloaded module declares at its top level must be
// immutable: const bindings, collections and literals typed readonly, no statement that runs for its effect, and
// classes without static members (a workflow's instances are its own; statics would be everyone's).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import ts from 'typescript';
import { workflowBundle } from '../src/worker/index.js';

const MUTABLE_COLLECTIONS = new Set(['Map', 'Set', 'WeakMap', 'WeakSet', 'Array']);

function readonlyTyped(decl: ts.VariableDeclaration): boolean {
  const init = decl.initializer;
  if (init && ts.isAsExpression(init) && init.type.getText() === 'const') return true;
  return decl.type !== undefined && /^Readonly/.test(decl.type.getText());
}

function isStatic(member: ts.ClassElement): boolean {
  return (
    ts.isClassStaticBlockDeclaration(member) ||
    (ts.canHaveModifiers(member) && (ts.getModifiers(member) ?? []).some((m) => m.kind === ts.SyntaxKind.StaticKeyword))
  );
}

function mutableByNature(init: ts.Expression): string | undefined {
  if (ts.isObjectLiteralExpression(init)) return 'an object literal';
  if (ts.isArrayLiteralExpression(init)) return 'an array literal';
  if (ts.isNewExpression(init) && ts.isIdentifier(init.expression) && MUTABLE_COLLECTIONS.has(init.expression.text)) {
    return `a ${init.expression.text}`;
  }
  return undefined;
}

export function moduleStateProblems(file: string, source: string): string[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.ES2023, true);
  const problems: string[] = [];
  for (const st of sf.statements) {
    if (ts.isExpressionStatement(st)) {
      problems.push(`${file}: runs \`${st.getText().slice(0, 40)}\` at its top level`);
    } else if (ts.isVariableStatement(st)) {
      const isConst = (st.declarationList.flags & ts.NodeFlags.Const) !== 0;
      for (const decl of st.declarationList.declarations) {
        const name = decl.name.getText();
        if (!isConst) {
          problems.push(`${file}: \`${name}\` is not const`);
          continue;
        }
        const kind = decl.initializer && mutableByNature(decl.initializer);
        if (kind && !readonlyTyped(decl)) problems.push(`${file}: \`${name}\` is ${kind} not typed readonly`);
      }
    } else if (ts.isClassDeclaration(st) && st.members.some(isStatic)) {
      problems.push(`${file}: declares class ${st.name?.text ?? ''} with static members (they would be shared)`);
    }
  }
  return problems;
}

/** Every module of ours in the workflow bundle, as the bundler names them. */
const ours = ['src/workflows', 'src/shared'].flatMap((dir) =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f)),
);

t.test('the bundle the worker loads preloads every module of src/workflows and src/shared', async (t) => {
  t.ok(ours.length >= 10, `${ours.length} modules`);
  const bundle = await workflowBundle();
  const code = 'code' in bundle ? bundle.code : readFileSync(bundle.codePath, 'utf8');
  // The SDK's bundler writes the preload list as the body of this one function.
  const body = /exports\.preloadModules = function preloadModules\(\) \{([^}]*)\}/.exec(code)?.[1] ?? '';
  const preloaded = [...body.matchAll(/__webpack_require__\(.*"\.\/([^"]+)"\)/g)].map((m) => m[1]);
  t.same(preloaded.sort(), ours.sort());
});

t.test('no preloaded module holds state a workflow could change', async (t) => {
  const problems = ours.flatMap((f) => moduleStateProblems(f, readFileSync(f, 'utf8')));
  t.same(problems, []);
});

t.test('the check itself catches what it must', async (t) => {
  const f = 'src/workflows/x.ts';
  t.same(moduleStateProblems(f, 'let count = 0;'), [`${f}: \`count\` is not const`]);
  t.same(moduleStateProblems(f, 'const seen = new Set<string>();'), [`${f}: \`seen\` is a Set not typed readonly`]);
  t.same(moduleStateProblems(f, 'const seen: ReadonlySet<string> = new Set(["a"]);'), []);
  t.same(moduleStateProblems(f, 'const cfg = { retries: 1 };'), [
    `${f}: \`cfg\` is an object literal not typed readonly`,
  ]);
  t.same(moduleStateProblems(f, 'const cfg = { retries: 1 } as const;'), []);
  t.same(moduleStateProblems(f, 'const list: string[] = [];'), [
    `${f}: \`list\` is an array literal not typed readonly`,
  ]);
  t.same(moduleStateProblems(f, 'globalThis.x = 1;'), [`${f}: runs \`globalThis.x = 1;\` at its top level`]);
  t.same(moduleStateProblems(f, 'class Cache { static entries = []; }'), [
    `${f}: declares class Cache with static members (they would be shared)`,
  ]);
  t.same(moduleStateProblems(f, 'class Cache { static { globalThis.x = 1; } }'), [
    `${f}: declares class Cache with static members (they would be shared)`,
  ]);
  t.same(moduleStateProblems(f, 'export class Window { private steps: string[] = []; }'), []);
  t.same(moduleStateProblems(f, 'export function f() { let n = 0; return ++n; }'), []);
});
