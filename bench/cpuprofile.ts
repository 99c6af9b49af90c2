// Summarises V8 .cpuprofile files (from `node --cpu-prof`) by self time: the top functions and the share of
// each package or source area, so a profile can be read without a GUI (clinic is not installed here).
// Usage: node --import tsx bench/cpuprofile.ts [--top N] <file.cpuprofile>...
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a script belongs: an npm package, one of our source areas, Node's internals, or V8 itself. */
export function areaOf(url: string, functionName = ''): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return 'node:internal';
  const ours = /\/(src|bench|test)\/(.*)$/.exec(url);
  if (ours) {
    const parts = ours[2].split('/');
    return `${ours[1]}/${parts.length > 1 ? `${parts.slice(0, parts.length > 2 ? 2 : 1).join('/')}/` : parts[0]}`;
  }
  return url;
}

export interface Summary {
  totalMs: number;
  idleMs: number;
  functions: Array<{ name: string; where: string; ms: number }>;
  areas: Array<{ area: string; ms: number }>;
}

export function summarise(profile: Profile): Summary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  const fn = new Map<string, { name: string; where: string; ms: number }>();
  const area = new Map<string, number>();
  let idleMs = 0;
  for (const [id, ms] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') idleMs += ms;
    const where = url ? `${url.replace(/^.*\/(node_modules|src|bench)\//, '$1/')}:${lineNumber + 1}` : '';
    const key = `${functionName}@${where}`;
    const entry = fn.get(key) ?? { name: functionName || '(anonymous)', where, ms: 0 };
    entry.ms += ms;
    fn.set(key, entry);
    const a = areaOf(url, functionName);
    area.set(a, (area.get(a) ?? 0) + ms);
  }
  return {
    totalMs: (profile.endTime - profile.startTime) / 1000,
    idleMs,
    functions: [...fn.values()].sort((a, b) => b.ms - a.ms),
    areas: [...area.entries()].map(([a, ms]) => ({ area: a, ms })).sort((a, b) => b.ms - a.ms),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  let top = 25;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--top') top = Number(args[++i]);
    else files.push(args[i]);
  }
  for (const file of files) {
    const s = summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile);
    const busy = s.totalMs - s.idleMs;
    const pct = (ms: number) => `${((100 * ms) / Math.max(busy, 1)).toFixed(1)}%`;
    process.stdout.write(
      `\n== ${file}\nwall ${(s.totalMs / 1000).toFixed(1)} s, busy ${(busy / 1000).toFixed(1)} s (idle ${((100 * s.idleMs) / s.totalMs).toFixed(0)}%)\n`,
    );
    process.stdout.write(`\n-- self time by area (share of busy time)\n`);
    for (const a of s.areas.filter((x) => x.area !== '(idle)').slice(0, top)) {
      process.stdout.write(`${(a.ms / 1000).toFixed(2).padStart(8)} s ${pct(a.ms).padStart(6)}  ${a.area}\n`);
    }
    process.stdout.write(`\n-- top ${top} functions by self time\n`);
    for (const f of s.functions.filter((x) => x.name !== '(idle)').slice(0, top)) {
      process.stdout.write(
        `${(f.ms / 1000).toFixed(2).padStart(8)} s ${pct(f.ms).padStart(6)}  ${f.name}  ${f.where}\n`,
      );
    }
  }
}
