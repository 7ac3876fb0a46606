/** Per-process resident memory and CPU time, read from Linux /proc (the bench runs on Linux). */
import { readFile } from 'node:fs/promises';

export interface ProcessSample {
  rssBytes: number;
  /** The highest RSS the process has had (VmHWM). */
  peakRssBytes: number;
  /** User + system CPU seconds since the process started. */
  cpuSeconds: number;
}

// USER_HZ: 100 on every mainstream Linux build.
const TICKS_PER_SECOND = 100;

export async function sampleProcess(pid: number): Promise<ProcessSample> {
  const [status, stat] = await Promise.all([readFile(`/proc/${pid}/status`, 'utf8'), readFile(`/proc/${pid}/stat`, 'utf8')]);
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssBytes: kb('VmRSS') * 1024, peakRssBytes: kb('VmHWM') * 1024, cpuSeconds: ticks / TICKS_PER_SECOND };
}

/** CPU seconds the whole machine spent busy (all cores, every process) since boot. */
export async function machineBusySeconds(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0]!;
  const [, ...ticks] = line.trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal: everything but idle and iowait.
  const busy = ticks.slice(0, 8).reduce((sum, t, i) => (i === 3 || i === 4 ? sum : sum + t), 0);
  return busy / TICKS_PER_SECOND;
}
