// What a process has used so far, from Linux /proc (NaN elsewhere): shared by the bench driver and the load child.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { procStatCpuSeconds } from './stats.js';

/** VmRSS of a process, in MB. */
export function rssOfPid(pid: number | undefined): number {
  return statusFieldMB(pid, 'VmRSS');
}

function statusFieldMB(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number {
  if (pid === undefined) return Number.NaN;
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * Starts a process's peak RSS (the kernel's VmHWM) again from its RSS now, so that peakRssOfPid gives the peak since
 * this call, however short it was: a sampler in a busy event loop can miss it. False where this is not allowed
 * (not Linux, or another user's process); VmHWM is then the peak of the process's whole life.
 */
export function resetPeakRss(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** VmHWM of a process, in MB: its peak RSS since it started or since resetPeakRss. */
export function peakRssOfPid(pid: number | undefined): number {
  return statusFieldMB(pid, 'VmHWM');
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

/** This machine's jemalloc, the allocator the image preloads (see the Dockerfile), or null when not installed. */
export function findJemalloc(): string | null {
  const multiarch = existsSync('/usr/lib') ? readdirSync('/usr/lib').filter((d) => d.endsWith('-linux-gnu')) : [];
  const dirs = ['/usr/local/lib', ...multiarch.map((d) => path.join('/usr/lib', d)), '/usr/lib'];
  return dirs.map((d) => path.join(d, 'libjemalloc.so.2')).find((f) => existsSync(f)) ?? null;
}

/** The malloc a running process really uses (a preload that fails only warns): jemalloc if it has it mapped. */
export function mallocOfPid(pid: number | undefined): 'jemalloc' | 'glibc' | 'unknown' {
  if (pid === undefined) return 'unknown';
  try {
    return readFileSync(`/proc/${pid}/maps`, 'utf8').includes('libjemalloc') ? 'jemalloc' : 'glibc';
  } catch {
    return 'unknown';
  }
}
