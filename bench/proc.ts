// What a process has used so far, from Linux /proc (NaN elsewhere): shared by the bench driver and the load child.
import { readFileSync } from 'node:fs';
import { procStatCpuSeconds } from './stats.js';

/** VmRSS of a process, in MB. */
export function rssOfPid(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds (user + system, all threads) a process has used so far. */
export function cpuOfPid(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    return procStatCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return Number.NaN;
  }
}
