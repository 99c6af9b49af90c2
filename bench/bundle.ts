// Bundles the workflows in a child process (as `npm run build` does ahead of time), so that webpack's
// ~200 MB never counts in the benchmark process's RSS. Usage: node --import tsx bench/bundle.ts <out.js>
import { writeFile } from 'node:fs/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowsPath } from '../src/worker/index.js';

const noop = () => undefined;
const logger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };
const { code } = await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger });
await writeFile(process.argv[2], code);
