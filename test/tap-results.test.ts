// The closing line of `npm test` (scripts/tap-results.ts): a file that died mid-run is a failure, however many of
// its points passed before.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { countResults } from '../scripts/tap-results.js';

function resultsOf(files: Record<string, string>): ReturnType<typeof countResults> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tap-results-'));
  try {
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), text);
    }
    return countResults(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const finished = [
  'TAP version 14',
  '# Subtest: a',
  '    ok 1 - inner',
  '    1..1',
  'ok 1 - a # time=5ms',
  'ok 2 - b',
  '1..2',
  '',
].join('\n');

t.test('a file that finished its plan counts its top-level points, not its subtests', async (t) => {
  t.same(resultsOf({ 'test/a.test.ts.tap': finished }), { passed: 2, failed: 0, skipped: 0 });
  t.same(
    resultsOf({ 'a.tap': 'TAP version 14\n1..2\nok 1 - a\nnot ok 2 - b\n' }),
    { passed: 1, failed: 1, skipped: 0 },
    'a plan given first',
  );
  t.same(resultsOf({ 'a.tap': 'ok 1 - a\nok 2 - b # SKIP no browser\n1..2\n' }), { passed: 1, failed: 0, skipped: 1 });
});

t.test('a file that crashed after some passing points counts as failed', async (t) => {
  const crashed = 'TAP version 14\nok 1 - a\nok 2 - b\n';
  t.same(
    resultsOf({ 'crashed.tap': crashed }),
    { passed: 2, failed: 1, skipped: 0 },
    'no plan line: it never finished',
  );
  t.same(
    resultsOf({ 'short.tap': 'TAP version 14\n1..3\nok 1 - a\nok 2 - b\n' }),
    { passed: 2, failed: 1, skipped: 0 },
    'fewer points than planned',
  );
  t.same(
    resultsOf({ 'nothing.tap': 'TAP version 14\n' }),
    { passed: 0, failed: 1, skipped: 0 },
    'died before its first point',
  );
  t.same(
    resultsOf({ 'bail.tap': 'ok 1 - a\nBail out! # boom\n1..1\n' }),
    { passed: 1, failed: 1, skipped: 0 },
    'bailed out',
  );
  t.same(
    resultsOf({ 'a.tap': finished, 'b.tap': crashed }),
    { passed: 4, failed: 1, skipped: 0 },
    'one crashed file among good ones',
  );
});

t.test('a plan of a subtest does not finish the file', async (t) => {
  t.same(resultsOf({ 'a.tap': 'TAP version 14\n# Subtest: a\n    ok 1 - x\n    1..1\nok 1 - a\n' }), {
    passed: 1,
    failed: 1,
    skipped: 0,
  });
});
