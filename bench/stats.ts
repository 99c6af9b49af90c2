// The benchmark's pure parts: percentiles, ratios, target verdicts and the results table. No I/O, so the test
// suite covers them (test/bench.test.ts); speed targets themselves live only in the benchmark.

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  if (p < 0 || p > 100) throw new RangeError(`percentile ${p} is outside 0..100`);
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function mean(samples: readonly number[]): number {
  return samples.length === 0 ? Number.NaN : samples.reduce((a, b) => a + b, 0) / samples.length;
}

/** value / baseline; NaN when either is not a positive finite number (a ratio to nothing means nothing). */
export function ratio(value: number, baseline: number): number {
  if (!Number.isFinite(value) || !Number.isFinite(baseline) || baseline <= 0 || value < 0) return Number.NaN;
  return value / baseline;
}

export interface Target {
  op: '>=' | '<=';
  value: number;
}

export type Verdict = 'PASS' | 'MISS' | 'n/a';

export function verdict(value: number, target: Target | undefined): Verdict {
  if (!target || !Number.isFinite(value)) return target ? 'MISS' : 'n/a';
  return (target.op === '>=' ? value >= target.value : value <= target.value) ? 'PASS' : 'MISS';
}

/** Rounds for display: 3 significant digits, no exponent for everyday magnitudes. */
export function fmt(value: number, unit = ''): string {
  if (!Number.isFinite(value)) return 'n/a';
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return `${value.toFixed(digits)}${unit}`;
}

export interface Row {
  section: string;
  figure: string;
  value: number;
  unit?: string;
  /** What the ratio is taken against, or how the count was made. */
  baseline?: string;
  target?: Target;
}

/** The results as a Markdown table (it also reads well on a terminal). */
export function formatTable(rows: readonly Row[]): string {
  const header = ['#', 'figure', 'value', 'target', 'verdict', 'baseline / notes'];
  const lines = rows.map((r) => [
    r.section,
    r.figure,
    fmt(r.value, r.unit ?? ''),
    r.target ? `${r.target.op} ${r.target.value}${r.unit ?? ''}` : '',
    r.target ? verdict(r.value, r.target) : '',
    r.baseline ?? '',
  ]);
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [header, header.map(() => '---'), ...lines].map((cells) => `| ${cells.map(esc).join(' | ')} |`).join('\n');
}

/** The rows that have a target and miss it. */
export function misses(rows: readonly Row[]): Row[] {
  return rows.filter((r) => r.target && verdict(r.value, r.target) === 'MISS');
}

/** Cycles through distinct items and throws when they run out, so that no item is ever used twice. */
export function distinct<T>(items: readonly T[], what: string): () => T {
  let next = 0;
  return () => {
    if (next >= items.length) throw new Error(`ran out of distinct ${what} (${items.length})`);
    return items[next++];
  };
}

/** Command-line options of `npm run bench`. */
export interface BenchArgs {
  large: boolean;
  /** Minimal sizes, to check that the benchmark itself works; its figures mean nothing. */
  tiny: boolean;
  json: boolean;
}

export function parseArgs(argv: readonly string[]): BenchArgs {
  const known = new Set(['--large', '--tiny', '--json']);
  const unknown = argv.filter((a) => !known.has(a));
  if (unknown.length > 0) throw new Error(`unknown option(s): ${unknown.join(' ')} (known: ${[...known].join(' ')})`);
  if (argv.includes('--large') && argv.includes('--tiny')) throw new Error('--large and --tiny exclude each other');
  return { large: argv.includes('--large'), tiny: argv.includes('--tiny'), json: argv.includes('--json') };
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ): 100 on every Linux this runs on. */
export const CLK_TCK = 100;

/**
 * CPU seconds (user + system) from the text of /proc/<pid>/stat. The command name may hold spaces and
 * parentheses, so the fields are counted after the last ')': utime and stime (fields 14 and 15 of proc(5))
 * are the 12th and 13th from there.
 */
export function procStatCpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? ticks / CLK_TCK : Number.NaN;
}

/**
 * The most intervals [start, end) open at once (a sweep over their ends); intervals with a non-finite end
 * are left out. An interval ending where another starts does not overlap it.
 */
export function peakOverlap(intervals: ReadonlyArray<readonly [number, number]>): number {
  const edges = intervals
    .filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b) && b > a)
    .flatMap(([a, b]) => [[a, 1] as const, [b, -1] as const])
    .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let open = 0;
  let peak = 0;
  for (const [, d] of edges) peak = Math.max(peak, (open += d));
  return peak;
}
