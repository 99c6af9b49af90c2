// The per-module mutation threshold: the score of each file in Stryker's JSON report. Pure, no server.
import t from 'tap';
import { belowThreshold, moduleScores } from '../scripts/mutation-score.js';

const mutants = (...statuses: string[]) => ({ mutants: statuses.map((status) => ({ status })) });

t.test('a module scores its killed and timed-out mutants over the valid ones, as Stryker does', async (t) => {
  const scores = moduleScores({
    files: {
      'src/b.ts': mutants('Killed', 'Timeout', 'Survived', 'NoCoverage', 'RuntimeError', 'CompileError', 'Ignored'),
      'src/a.ts': mutants('Killed'),
      'src/c.ts': mutants('Ignored'),
    },
  });
  t.same(scores, [
    { file: 'src/a.ts', detected: 1, valid: 1, score: 100 },
    { file: 'src/b.ts', detected: 2, valid: 4, score: 50 },
    { file: 'src/c.ts', detected: 0, valid: 0, score: null },
  ]);
});

t.test('any module under the threshold fails the run, whatever the total', async (t) => {
  const scores = moduleScores({
    files: { 'src/big.ts': mutants(...Array(99).fill('Killed')), 'src/small.ts': mutants('Killed', 'Survived') },
  });
  t.same(
    belowThreshold(scores, 90).map((s) => s.file),
    ['src/small.ts'],
    '100 of 101 in total, 50 % in one module',
  );
  t.same(belowThreshold(scores, 50), [], 'the threshold itself passes');
  t.same(
    belowThreshold(moduleScores({ files: { 'src/none.ts': mutants() } }), 90),
    [],
    'no valid mutant: nothing to fail',
  );
});
