// Prepares the benchmark's worker as production runs it, in a child process so that neither step counts in
// the benchmark process's RSS. Usage: node --import tsx bench/bundle.ts <bundle.js> <js dir>
// 1. The workflow bundle (as `npm run build` makes it ahead of time; webpack takes ~200 MB).
// 2. The worker's code as plain JavaScript (the production image runs `node dist/src/main.js`): run through tsx,
//    the worker would carry tsx's loader thread and esbuild in its RSS (~40 MB more than production).
//    Transpiling only (types were checked by `npm run typecheck`) takes a second, where tsc -p takes many.
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowBundlerOptions } from '../src/worker/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [bundleFile, jsDir] = process.argv.slice(2);

const noop = () => undefined;
const logger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };
const { code } = await bundleWorkflowCode({ ...workflowBundlerOptions(), logger });
await writeFile(bundleFile, code);

if (jsDir) {
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.ESNext,
    target: ts.ScriptTarget.ES2023,
    sourceMap: false,
  };
  const sources = (dir: string): string[] =>
    readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
    );
  for (const file of [...sources('src'), ...sources('bench')]) {
    const out = path.join(jsDir, file.replace(/\.ts$/, '.js'));
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(
      out,
      ts.transpileModule(readFileSync(path.join(root, file), 'utf8'), { compilerOptions: options, fileName: file })
        .outputText,
    );
  }
  // ESM like the repository, and its node_modules found from the copy.
  writeFileSync(path.join(jsDir, 'package.json'), JSON.stringify({ type: 'module' }));
  symlinkSync(path.join(root, 'node_modules'), path.join(jsDir, 'node_modules'), 'dir');
}
