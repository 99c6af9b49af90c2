// Fails when any mutated module scores under stryker.config.json's thresholds.break: Stryker checks the total only.
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';

interface Report {
  files: Record<string, { mutants: { status: string }[] }>;
}

export interface ModuleScore {
  file: string;
  /** Killed or timed out (a mutant that never returns was noticed). */
  detected: number;
  /** Detected, survived or not covered: compile and runtime errors and ignored mutants are left out, as Stryker does. */
  valid: number;
  /** Percent; null when the module has no valid mutant. */
  score: number | null;
}

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

export function moduleScores(report: Report): ModuleScore[] {
  return Object.entries(report.files)
    .map(([file, { mutants }]) => {
      const detected = mutants.filter((m) => DETECTED.has(m.status)).length;
      const valid = detected + mutants.filter((m) => UNDETECTED.has(m.status)).length;
      return { file, detected, valid, score: valid ? (100 * detected) / valid : null };
    })
    .sort((a, b) => a.file.localeCompare(b.file));
}

/** The modules under the threshold (a module with no valid mutant has nothing to fail). */
export function belowThreshold(scores: readonly ModuleScore[], threshold: number): ModuleScore[] {
  return scores.filter((s) => s.score !== null && s.score < threshold);
}

async function main(): Promise<number> {
  const config = JSON.parse(await readFile('stryker.config.json', 'utf8')) as { thresholds: { break: number } };
  const report = JSON.parse(await readFile('reports/mutation/mutation.json', 'utf8')) as Report;
  const threshold = config.thresholds.break;
  const scores = moduleScores(report);
  for (const s of scores) {
    console.log(
      `${s.score === null ? '   n/a' : `${s.score.toFixed(2).padStart(6)} %`}  ${s.detected}/${s.valid}  ${s.file}`,
    );
  }
  const low = belowThreshold(scores, threshold);
  if (low.length) {
    console.error(`mutation score under ${threshold} % in: ${low.map((s) => s.file).join(', ')}`);
    return 1;
  }
  console.log(`every mutated module scores at least ${threshold} %`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
