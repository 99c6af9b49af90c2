import t from 'tap';
import { readFile } from 'node:fs/promises';
import { OPENAPI_FILE, generateOpenApi } from '../../scripts/openapi.js';

t.test('the committed openapi/openapi.json is what the routes generate', async (t) => {
  const committed = await readFile(OPENAPI_FILE, 'utf8');
  t.equal(committed, await generateOpenApi(), 'stale: run `npm run openapi:write`');
});

t.test('every operation documents itself and its errors', async (t) => {
  const doc = JSON.parse(await generateOpenApi()) as {
    info: { title: string };
    paths: Record<
      string,
      Record<string, { summary?: string; description?: string; tags?: string[]; responses: Record<string, unknown> }>
    >;
  };
  t.equal(doc.info.title, 'Capacity Scheduler API');
  t.notOk(doc.paths['/openapi.json'], 'the document itself is hidden');
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      t.ok(op.summary && op.description && op.tags?.length, `${method} ${path} has summary, description and tags`);
      t.ok(op.responses['500'], `${method} ${path} documents its 500`);
    }
  }
});
