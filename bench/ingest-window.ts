/**
 * One measured window of bench:ingest: records acknowledged to the load client
 * (and, in production, committed by the worker) per second, and the CPU each
 * process group and the rest of the machine used meanwhile.
 */
import type { IngestLoad } from './ingest-load.js';
import { machineBusySeconds, sampleProcess } from './scale-procfs.js';
import { sleep } from './scale-report.js';

export interface WindowResult {
  seconds: number;
  /** Records in exports the service acknowledged, per second. */
  ackedRate: number;
  /** Records committed per second (embedded: acknowledged means detected and committed). */
  committedRate: number;
  /** Exports refused (and retried by the client) in the window. */
  refused: number;
  /** CPU used by each named group of processes, in cores. */
  cores: Record<string, number>;
  /** CPU used by everything else on the machine, in cores. */
  otherCores: number;
  /** The window on the monotonic clock in µs (the clock of a .cpuprofile). */
  fromUs: number;
  toUs: number;
}

export interface WindowProbes {
  load: IngestLoad;
  /** pids by group, e.g. { service: [pid], client: [pid] }; this process counts as ours too, listed or not. */
  processes: Record<string, number[]>;
  /** Records committed so far; defaults to the records acknowledged. */
  committed?: () => Promise<number>;
}

async function probe(p: WindowProbes) {
  const groups = Object.entries(p.processes);
  const [progress, committed, cpu, self, machine] = await Promise.all([
    p.load.progress(),
    p.committed?.(),
    Promise.all(groups.map(async ([, pids]) => (await Promise.all(pids.map((pid) => sampleProcess(pid)))).reduce((s, x) => s + x.cpuSeconds, 0))),
    sampleProcess(process.pid),
    machineBusySeconds(),
  ]);
  return { progress, committed: committed ?? progress.acked, cpu, self: self.cpuSeconds, machine, at: process.hrtime.bigint() };
}

export async function measureWindow(p: WindowProbes, seconds: number): Promise<WindowResult> {
  const a = await probe(p);
  await sleep(seconds * 1_000);
  const b = await probe(p);
  const wall = Number(b.at - a.at) / 1e9;
  const cores = Object.fromEntries(Object.keys(p.processes).map((name, i) => [name, (b.cpu[i]! - a.cpu[i]!) / wall]));
  const listed = Object.values(p.processes).some((pids) => pids.includes(process.pid));
  const ours = Object.values(cores).reduce((s, c) => s + c, 0) + (listed ? 0 : (b.self - a.self) / wall);
  return {
    seconds: wall,
    ackedRate: (b.progress.acked - a.progress.acked) / wall,
    committedRate: (b.committed - a.committed) / wall,
    refused: b.progress.refused - a.progress.refused,
    cores,
    otherCores: Math.max(0, (b.machine - a.machine) / wall - ours),
    fromUs: Number(a.at / 1000n),
    toUs: Number(b.at / 1000n),
  };
}
