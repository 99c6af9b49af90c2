// The closing line of `npm test`: counts tap's result files (one TAP file per test file).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Counts the top-level test points of every file's TAP output (subtests count once, by their own line). A file
 * that did not finish its plan (it crashed, was killed, or bailed out) counts as one failure more: its points
 * so far may all be ok.
 */
export function countResults(dir: string): { passed: number; failed: number; skipped: number } {
  const totals = { passed: 0, failed: 0, skipped: 0 };
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((f) =>
      statSync(path.join(d, f)).isDirectory() ? walk(path.join(d, f)) : [path.join(d, f)],
    );
  for (const file of walk(dir).filter((f) => f.endsWith('.tap'))) {
    const lines = readFileSync(file, 'utf8').split('\n');
    let points = 0;
    for (const line of lines) {
      const m = /^(not )?ok \d+/.exec(line);
      if (!m) continue;
      points++;
      if (/# (SKIP|TODO)/i.test(line)) totals.skipped++;
      else if (m[1]) totals.failed++;
      else totals.passed++;
    }
    const plan = lines.map((l) => /^1\.\.(\d+)/.exec(l)).find((m) => m !== null);
    const finished = plan !== undefined && points >= Number(plan[1]);
    if (!finished || lines.some((l) => /^Bail out!/.test(l))) totals.failed++;
  }
  return totals;
}
