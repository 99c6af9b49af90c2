// The benchmark's pure parts, and its reading of a process's peak RSS. Speed targets live in `npm run bench`,
// never in tests.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import t from 'tap';
import { peakRssOfPid, resetPeakRss, rssOfPid } from '../bench/proc.js';
import {
  distinct,
  fmt,
  formatTable,
  mean,
  misses,
  parseArgs,
  peakOverlap,
  percentile,
  procStatCpuSeconds,
  ratio,
  verdict,
  type Row,
} from '../bench/stats.js';

t.test('percentile is nearest-rank over unsorted samples', async (t) => {
  const samples = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
  t.equal(percentile(samples, 50), 5);
  t.equal(percentile(samples, 90), 9);
  t.equal(percentile(samples, 99), 10);
  t.equal(percentile(samples, 100), 10);
  t.equal(percentile(samples, 0), 1);
  t.equal(percentile([42], 99), 42);
  t.ok(Number.isNaN(percentile([], 50)));
  t.throws(() => percentile(samples, 101), RangeError);
  t.same(samples, [5, 1, 4, 2, 3, 10, 9, 8, 7, 6], 'the input is not sorted in place');
  // p99 of 1,000 samples is the 990th smallest.
  t.equal(
    percentile(
      Array.from({ length: 1000 }, (_, i) => 1000 - i),
      99,
    ),
    990,
  );
});

t.test('ratio and mean refuse meaningless baselines', async (t) => {
  t.equal(ratio(90, 100), 0.9);
  t.ok(Number.isNaN(ratio(1, 0)));
  t.ok(Number.isNaN(ratio(1, Number.NaN)));
  t.ok(Number.isNaN(ratio(-1, 2)));
  t.equal(mean([1, 2, 3]), 2);
  t.ok(Number.isNaN(mean([])));
});

t.test('verdicts: a missing figure misses its target', async (t) => {
  t.equal(verdict(0.95, { op: '>=', value: 0.9 }), 'PASS');
  t.equal(verdict(0.9, { op: '>=', value: 0.9 }), 'PASS');
  t.equal(verdict(0.89, { op: '>=', value: 0.9 }), 'MISS');
  t.equal(verdict(1.2, { op: '<=', value: 1.2 }), 'PASS');
  t.equal(verdict(1.21, { op: '<=', value: 1.2 }), 'MISS');
  t.equal(verdict(Number.NaN, { op: '<=', value: 1 }), 'MISS');
  t.equal(verdict(3, undefined), 'n/a');
});

t.test('the table lists figure, target and verdict; misses are picked out', async (t) => {
  const rows: Row[] = [
    {
      section: '1',
      figure: 'create throughput, API / raw',
      value: 0.934,
      target: { op: '>=', value: 0.9 },
      baseline: 'API 93/s vs raw 100/s',
    },
    { section: '4', figure: 'time to verified p99', value: 1.5, unit: ' s', target: { op: '<=', value: 1 } },
    { section: '5', figure: 'peak active | count', value: 1000 },
  ];
  const table = formatTable(rows).split('\n');
  t.equal(table[0], '| # | figure | value | target | verdict | baseline / notes |');
  t.equal(table[1], '| --- | --- | --- | --- | --- | --- |');
  t.equal(table[2], '| 1 | create throughput, API / raw | 0.934 | >= 0.9 | PASS | API 93/s vs raw 100/s |');
  t.equal(table[3], '| 4 | time to verified p99 | 1.50 s | <= 1 s | MISS |  |');
  t.equal(table[4], '| 5 | peak active \\| count | 1000 |  |  |  |', 'a pipe in a cell is escaped');
  t.same(
    misses(rows).map((r) => r.figure),
    ['time to verified p99'],
  );
  t.equal(fmt(Number.NaN), 'n/a');
  t.equal(fmt(12.345, ' MB'), '12.3 MB');
});

t.test('distinct hands out each item once, then refuses', async (t) => {
  const next = distinct(['a.bench', 'b.bench'], 'namespaces');
  t.equal(next(), 'a.bench');
  t.equal(next(), 'b.bench');
  t.throws(() => next(), /ran out of distinct namespaces/);
});

t.test('command-line options', async (t) => {
  t.same(parseArgs([]), { large: false, tiny: false, json: false });
  t.same(parseArgs(['--large', '--json']), { large: true, tiny: false, json: true });
  t.throws(() => parseArgs(['--huge']), /unknown option/);
  t.throws(() => parseArgs(['--large', '--tiny']), /exclude/);
});

t.test('CPU seconds from /proc/<pid>/stat, whatever the command name holds', async (t) => {
  // utime 250 and stime 50 ticks (fields 14 and 15), at 100 ticks a second.
  const rest = '2289 0 -1 4194304 99 0 0 0 250 50 0 0 20 0 1 0 941673 3133440 412';
  t.equal(procStatCpuSeconds(`8827 (node) R 8825 8825 ${rest}`), 3);
  t.equal(procStatCpuSeconds(`8827 (a (b) c) S 1 8825 ${rest}`), 3, 'spaces and parentheses in the name');
  t.ok(Number.isNaN(procStatCpuSeconds('garbage')));
});

t.test('peakOverlap counts the most intervals open at once', async (t) => {
  t.equal(peakOverlap([]), 0);
  t.equal(
    peakOverlap([
      [0, 10],
      [5, 15],
      [12, 20],
    ]),
    2,
  );
  t.equal(
    peakOverlap([
      [0, 10],
      [10, 20],
    ]),
    1,
    'an end and a start at the same instant do not overlap',
  );
  t.equal(
    peakOverlap([
      [0, 10],
      [1, 9],
      [2, 8],
      [3, Number.NaN],
    ]),
    3,
    'an interval without an end is left out',
  );
});

t.test('the kernel peak RSS of a process starts again from its RSS now', async (t) => {
  // 64 MB touched, then freed: glibc unmaps an allocation this large, so the RSS falls and the peak stays. V8 may
  // free the buffer's memory on a background thread after the collection, so the child says when its RSS fell.
  const child = spawn(process.execPath, [
    '--expose-gc',
    '-e',
    `let b = Buffer.alloc(64 * 2 ** 20, 1);
    const high = process.memoryUsage.rss();
    b = null;
    gc();
    const since = Date.now();
    const wait = setInterval(() => {
      const fell = process.memoryUsage.rss() < high - 48 * 2 ** 20;
      if (!fell && Date.now() - since < 20000) return;
      clearInterval(wait);
      process.stdout.write(fell ? 'freed' : 'still held');
      setInterval(() => {}, 1000);
    }, 20);`,
  ]);
  t.teardown(() => void child.kill());
  const [said] = (await once(child.stdout, 'data')) as [Buffer];
  t.equal(said.toString(), 'freed', 'the child gave the 64 MB back');
  const pid = child.pid;
  t.ok(peakRssOfPid(pid) - rssOfPid(pid) > 48, 'the peak still holds the freed 64 MB');
  t.equal(resetPeakRss(pid), true);
  t.ok(peakRssOfPid(pid) - rssOfPid(pid) < 8, 'after the reset, the peak is the RSS now');
  t.ok(Number.isNaN(peakRssOfPid(undefined)));
  t.equal(resetPeakRss(undefined), false);
});
