/**
 * `npm run bench:scale`: the production deployment (receivers and workers as
 * separate processes over Redis Streams, Postgres for anomalies) under an
 * OTLP/gRPC load client. Measures throughput with 1, 2, 4 workers, a soak
 * (RSS, backlog, loss), and recovery after a worker kill and a Redis restart.
 *
 * Flags: --workers 1,2,4  --seconds N (per throughput run)  --runs N
 *        --soak-minutes N (0 skips the soak)
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createScratchDatabase } from '../test/helpers/postgres-scratch.js';
import { stopAll, stopAllOnInterrupt, track } from './scale-cleanup.js';
import { startBenchRedis, type BenchRedis } from './scale-redis.js';
import { measureRecovery } from './scale-recovery.js';
import { runSoak } from './scale-soak.js';
import { measureThroughput, type ThroughputResult } from './scale-throughput.js';
import { fmt, median } from './scale-report.js';

stopAllOnInterrupt();

function parseFlags() {
  const { values } = parseArgs({
    options: {
      workers: { type: 'string', default: '1,2,4' },
      seconds: { type: 'string', default: '15' },
      runs: { type: 'string', default: '3' },
      'soak-minutes': { type: 'string', default: '10' },
    },
    strict: true,
  });
  const workers = values.workers.split(',').map(Number);
  const seconds = Number(values.seconds);
  const runs = Number(values.runs);
  const soakMinutes = Number(values['soak-minutes']);
  if (workers.some((w) => !Number.isInteger(w) || w < 1)) throw new Error('--workers: comma-separated positive integers');
  if (!(seconds > 0) || !(runs >= 1) || !(soakMinutes >= 0)) throw new Error('--seconds and --runs must be positive, --soak-minutes not negative');
  return { workers, seconds, runs, soakMinutes };
}

async function throughputSection(redis: BenchRedis, databaseUrl: string, flags: ReturnType<typeof parseFlags>): Promise<Map<number, ThroughputResult[]>> {
  console.log(`## Throughput: 2 receivers, ${flags.workers.join(' / ')} workers, ${flags.seconds} s measured per run, ${flags.runs} runs\n`);
  const results = new Map<number, ThroughputResult[]>(flags.workers.map((w) => [w, []]));
  const ratios = new Map<number, number[]>(flags.workers.map((w) => [w, []]));
  for (let run = 1; run <= flags.runs; run++) {
    // Configurations interleaved within a run, so drifting load from other users hits them alike.
    const rates = new Map<number, number>();
    for (const workers of flags.workers) {
      const r = await measureThroughput({ redis, databaseUrl, workers, seconds: flags.seconds });
      results.get(workers)!.push(r);
      rates.set(workers, r.committedRate);
      console.log(
        `run ${run}, ${workers} worker(s): ${fmt(r.committedRate)} records/s committed (${fmt(r.ackedRate)} acknowledged), ` +
          `CPU µs/record: receivers ${r.cpuPerRecordUs.receivers.toFixed(1)}, workers ${r.cpuPerRecordUs.workers.toFixed(1)}, ` +
          `redis ${r.cpuPerRecordUs.redis.toFixed(1)}, client ${r.cpuPerRecordUs.client.toFixed(1)}; ` +
          `our CPU ${r.ourCores.toFixed(2)} cores, others ${r.otherCores.toFixed(2)}; ${r.lossCheck}`,
      );
    }
    const base = rates.get(flags.workers[0]!)!;
    for (const [w, rate] of rates) ratios.get(w)!.push(rate / base);
  }
  console.log(`\nmedians of ${flags.runs} (ratio: to ${flags.workers[0]} worker(s), within each run, median):`);
  for (const w of flags.workers) {
    const rs = results.get(w)!;
    const cpu = (k: keyof ThroughputResult['cpuPerRecordUs']) => median(rs.map((r) => r.cpuPerRecordUs[k]));
    console.log(
      `  ${w} worker(s): ${fmt(median(rs.map((r) => r.committedRate)))} records/s, ratio ${median(ratios.get(w)!).toFixed(2)}, ` +
        `CPU µs/record receivers ${cpu('receivers').toFixed(1)} workers ${cpu('workers').toFixed(1)} redis ${cpu('redis').toFixed(1)}, ` +
        `our CPU ${median(rs.map((r) => r.ourCores)).toFixed(2)} of 2 cores, others ${median(rs.map((r) => r.otherCores)).toFixed(2)}`,
    );
  }
  const busiest = flags.workers.at(-1)!;
  const cores = (k: 'ourCores' | 'otherCores') => median(results.get(busiest)!.map((r) => r[k]));
  console.log(
    `\nwhere it stops: with ${busiest} worker(s) the bench's processes used ${cores('ourCores').toFixed(2)} cores and other users ` +
      `${cores('otherCores').toFixed(2)}, of the machine's 2: added workers only share the same CPU (receivers, workers, Redis and the client all run here).`,
  );
  printEstimate(results);
  return results;
}

/** What more cores would give, from the CPU each tier spends per record (client excluded: it is the collector). */
function printEstimate(results: Map<number, ThroughputResult[]>): void {
  const all = [...results.values()].flat();
  const recv = median(all.map((r) => r.cpuPerRecordUs.receivers));
  const work = median(all.map((r) => r.cpuPerRecordUs.workers));
  const redis = median(all.map((r) => r.cpuPerRecordUs.redis));
  const redisCeiling = 1e6 / redis;
  const appCores = (cores: number) => (cores * 1e6) / (recv + work);
  console.log(
    `\nper-record CPU (median over all runs): receiver ${recv.toFixed(1)} µs + worker ${work.toFixed(1)} µs in Node, redis ${redis.toFixed(1)} µs in its one thread.` +
      `\nestimate, 16-core host (redis on 1 core, 15 for Node): min(${fmt(appCores(15))}, redis ceiling ${fmt(redisCeiling)}) = ${fmt(Math.min(appCores(15), redisCeiling))} records/s` +
      `\nestimate, 4 hosts like this one (8 cores for Node, redis on its own host): min(${fmt(appCores(8))}, ${fmt(redisCeiling)}) = ${fmt(Math.min(appCores(8), redisCeiling))} records/s` +
      `\n(the ingest streams share one hash tag, so one Redis node carries the whole queue: past its ceiling, more hosts need more Redis instances)\n`,
  );
}

async function main(): Promise<void> {
  const flags = parseFlags();
  console.log(`anomalog bench:scale, node ${process.version}, load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  const db = await createScratchDatabase('bench');
  track(() => db.drop());
  const redis = await startBenchRedis({ aof: false });
  track(() => redis.stop());

  const results = await throughputSection(redis, db.url, flags);
  const oneWorker = median(results.get(flags.workers[0]!)!.map((r) => r.committedRate));

  if (flags.soakMinutes > 0) {
    // Half of what one worker held flat out: a rate the machine holds beside other users.
    await runSoak({ redis, databaseUrl: db.url, minutes: flags.soakMinutes, recordsPerSecond: Math.round(oneWorker / 2 / 1000) * 1000 });
  }

  const aofRedis = await startBenchRedis({ aof: true });
  track(() => aofRedis.stop());
  await measureRecovery({ redis: aofRedis, databaseUrl: db.url, recordsPerSecond: Math.round(oneWorker / 2 / 1000) * 1000 });
}

try {
  await main();
} finally {
  await stopAll();
}
