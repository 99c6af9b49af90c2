// Writes or checks openapi/openapi.json, generated from the routes themselves.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pino } from 'pino';
import type { Client } from '@temporalio/client';
import { buildApp } from '../src/api/app.js';
import { loadConfig } from '../src/config.js';
import type { CapacityReader } from '../src/cloud-ops/types.js';

export const OPENAPI_FILE = resolve(dirname(fileURLToPath(import.meta.url)), '../openapi/openapi.json');

function inert(name: string): never {
  throw new Error(`${name} is not available while generating the OpenAPI document`);
}

/** The document as the routes describe it, serialized exactly as the committed file is. */
export async function generateOpenApi(): Promise<string> {
  const app = await buildApp({
    config: loadConfig({}),
    logger: pino({ level: 'silent' }),
    // Generating the document calls no dependency; these stand in so that nothing connects.
    temporal: {} as Client,
    capacity: {
      readCapacity: () => inert('readCapacity'),
      readTruOptions: () => inert('readTruOptions'),
      checkTrus: () => inert('checkTrus'),
      identity: () => inert('identity'),
    } satisfies CapacityReader,
  });
  try {
    await app.ready();
    return `${JSON.stringify(app.swagger(), null, 2)}\n`;
  } finally {
    await app.close();
  }
}

async function main(mode: string | undefined): Promise<number> {
  const generated = await generateOpenApi();
  if (mode === 'write') {
    await mkdir(dirname(OPENAPI_FILE), { recursive: true });
    await writeFile(OPENAPI_FILE, generated);
    console.log(`wrote ${OPENAPI_FILE}`);
    return 0;
  }
  if (mode === 'check') {
    const committed = await readFile(OPENAPI_FILE, 'utf8').catch(() => null);
    if (committed === generated) {
      console.log(`${OPENAPI_FILE} is up to date`);
      return 0;
    }
    console.error(
      `${OPENAPI_FILE} ${committed === null ? 'is missing' : 'is stale: it differs from what the routes generate'}. ` +
        'Run `npm run openapi:write` and commit the result.',
    );
    return 1;
  }
  console.error('usage: tsx scripts/openapi.ts write|check');
  return 64;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv[2]).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
