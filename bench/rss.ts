/**
 * Memory of the processes a benchmark measures, read from /proc: the register's resident set
 * (VmRSS now, VmHWM its peak since it started) and a PostgreSQL cluster's, summed over its
 * processes. A backend's RSS counts every shared buffer it has touched, so summing RSS would
 * count the shared buffers once per backend: the cluster's sum is of PSS (each shared page
 * divided among the processes mapping it), which adds up to the memory the cluster holds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const statusField = (text: string, field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);

/** VmRSS and VmHWM of a process, in kB (zeros once it has ended). */
export function processMemory(pid: number): { rss: number; hwm: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { rss: statusField(status, 'VmRSS'), hwm: statusField(status, 'VmHWM') };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

/** The postmaster of the cluster in `clusterDir` (scripts/pg-cluster.mjs) and its children: their PSS and RSS summed, in kB. */
export function clusterMemory(clusterDir: string): { pss: number; rss: number; processes: number } {
  const postmaster = Number(readFileSync(join(clusterDir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  let pss = 0;
  let rss = 0;
  let processes = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const pid = Number(d);
      const parent = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${d}/status`, 'utf8'))?.[1]);
      if (pid !== postmaster && parent !== postmaster) continue;
      const rollup = readFileSync(`/proc/${d}/smaps_rollup`, 'utf8');
      pss += statusField(rollup, 'Pss');
      rss += statusField(rollup, 'Rss');
      processes++;
    } catch {
      // ended meanwhile
    }
  }
  return { pss, rss, processes };
}

/** Samples `read` every `everyMs` until stopped: the first, the largest and the last value. */
export function sampler(read: () => number, everyMs = 200): { stop(): { start: number; peak: number; end: number } } {
  const start = read();
  let peak = start;
  const timer = setInterval(() => (peak = Math.max(peak, read())), everyMs);
  return {
    stop() {
      clearInterval(timer);
      const end = read();
      return { start, peak: Math.max(peak, end), end };
    },
  };
}

export const mb = (kb: number) => `${Math.round(kb / 1024)} MB`;
