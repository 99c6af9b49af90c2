// Prebuilds the workflow bundle at build time (`npm run build`), so that a production worker starts without
// running webpack (seconds of CPU and ~200 MB at every start).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { PREBUILT_BUNDLE_NAME, workflowBundlerOptions } from '../src/worker/index.js';

const target = path.resolve('dist/src/workflows', PREBUILT_BUNDLE_NAME);
const { code } = await bundleWorkflowCode(workflowBundlerOptions());
await writeFile(target, code);
console.log(`wrote ${target}`);
