// The sandbox boundary is the linter's job: code under src/workflows and src/shared that imports Node or a
// side-effecting module must fail `npm run lint`, not wait for a nondeterminism error in production.
import { ESLint } from 'eslint';
import t from 'tap';

const eslint = new ESLint();
const RULE = '@typescript-eslint/no-restricted-imports';

async function sandboxErrors(filePath: string, code: string): Promise<number> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.filter((m) => m.ruleId === RULE).length;
}

t.test('workflow and shared code may not import Node built-ins or side-effecting modules', async (t) => {
  for (const file of ['src/workflows/capacity-window.ts', 'src/shared/window.ts']) {
    t.equal(await sandboxErrors(file, "import fs from 'node:fs';\nexport const a = fs;\n"), 1, `${file}: node:fs`);
    t.equal(await sandboxErrors(file, "import path from 'path';\nexport const a = path;\n"), 1, `${file}: bare path`);
    t.equal(
      await sandboxErrors(file, "import { Client } from '@temporalio/client';\nexport const a = Client;\n"),
      1,
      `${file}: a client`,
    );
    t.equal(
      await sandboxErrors(
        file,
        "import { createActivities } from '../activities/index.js';\nexport const a = createActivities;\n",
      ),
      1,
      `${file}: activities as values`,
    );
  }
});

t.test('what the sandbox may import passes', async (t) => {
  const ok = [
    "import { sleep } from '@temporalio/workflow';",
    "import { SearchAttributeType } from '@temporalio/common';",
    "import type { Activities } from '../activities/index.js';",
    "import { windowIdOf } from '../shared/index.js';",
  ].join('\n');
  t.equal(
    await sandboxErrors(
      'src/workflows/capacity-window.ts',
      `${ok}\nexport const a = [sleep, SearchAttributeType, windowIdOf];\n`,
    ),
    0,
  );
});

t.test('a module in a folder below src/workflows is held to the same boundary', async (t) => {
  const file = 'src/workflows/decisions/claims.ts';
  t.equal(
    await sandboxErrors(
      file,
      "import { createActivities } from '../../activities/index.js';\nexport const a = createActivities;\n",
    ),
    1,
    'activities as values',
  );
  t.equal(
    await sandboxErrors(
      file,
      "import { provisioned } from '../../shared/capacity.js';\nexport const a = provisioned;\n",
    ),
    0,
    'shared contracts',
  );
});

t.test('the rest of the tree may import Node', async (t) => {
  t.equal(await sandboxErrors('src/activities/index.ts', "import fs from 'node:fs';\nexport const a = fs;\n"), 0);
});
