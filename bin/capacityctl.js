#!/usr/bin/env node
// Launcher of capacityctl: the TypeScript source through tsx in a clone (never a stale build), the compiled
// CLI (dist/, `npm run build`) in an image without dev dependencies.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/capacityctl.ts', import.meta.url);
const compiled = new URL('../dist/src/cli/capacityctl.js', import.meta.url);
let entry = compiled;
if (existsSync(source)) {
  try {
    const { register } = await import('tsx/esm/api');
    register();
    entry = source;
  } catch {
    // No tsx (a production install): fall back to the build.
  }
}
if (!existsSync(entry)) {
  console.error('capacityctl: neither runnable from source (tsx is missing: npm ci) nor built (npm run build)');
  process.exit(70);
}
const { main } = await import(entry.href);
await main(process.argv.slice(2));
