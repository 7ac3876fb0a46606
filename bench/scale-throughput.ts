/**
 * One throughput measurement: 2 receivers and N workers on an emptied Redis,
 * the load client flat out (8 exports in flight over both receivers). The
 * backlog bound is low, so receivers push back once workers fall behind and the
 * measured window is the steady state a collector would see: records committed
 * per second, with the CPU each tier spent on them.
 */
import { sampleCpu, withDeployment, type CpuSample } from './scale-deployment.js';
import type { BenchRedis } from './scale-redis.js';
import { lossCheck, sleep } from './scale-report.js';
import { committedRecords } from './scale-stack.js';

export interface ThroughputResult {
  committedRate: number;
  ackedRate: number;
  cpuPerRecordUs: { receivers: number; workers: number; redis: number; client: number };
  /** CPU used in the window, in cores: by the bench's processes, and by everything else on the machine. */
  ourCores: number;
  otherCores: number;
  lossCheck: string;
}

const CONCURRENCY = 8;
const WARMUP_MS = 3_000;
/** Records per shard (160 exports' worth over 16 shards): enough to keep every worker busy, small enough to push back within a second or two. */
const MAX_BACKLOG = '10000';

export async function measureThroughput(opts: { redis: BenchRedis; databaseUrl: string; workers: number; seconds: number }): Promise<ThroughputResult> {
  await opts.redis.flush();
  return withDeployment({ ...opts, env: { ANOMALOG_MAX_BACKLOG: MAX_BACKLOG } }, async (d) => {
    const redis = opts.redis.client;
    // Warm-up: connections, JIT, every service's patterns learned; then drained.
    d.client.start({ concurrency: CONCURRENCY, recordsPerSecond: 0 });
    await sleep(WARMUP_MS);
    const warm = await d.client.stop();
    const warmCheck = await lossCheck(redis, warm.acked);
    if (!warmCheck.ok) throw new Error(`warm-up: ${warmCheck.text}`);

    d.client.start({ concurrency: CONCURRENCY, recordsPerSecond: 0 });
    // Let the backlog fill so the window starts in the steady state.
    await sleep(2_000);
    const [c0, a0, cpu0] = await Promise.all([committedRecords(redis), d.client.progress(), sampleCpu(d)]);
    await sleep(opts.seconds * 1_000);
    const [c1, a1, cpu1] = await Promise.all([committedRecords(redis), d.client.progress(), sampleCpu(d)]);
    const final = await d.client.stop();
    const check = await lossCheck(redis, final.acked);

    const wall = (cpu1.at - cpu0.at) / 1_000;
    const records = c1 - c0;
    const perRecord = (k: keyof CpuSample) => ((cpu1[k] - cpu0[k]) / records) * 1e6;
    const ourCores = (cpu1.ours - cpu0.ours) / wall;
    return {
      committedRate: records / wall,
      ackedRate: (a1.acked - a0.acked) / wall,
      cpuPerRecordUs: { receivers: perRecord('receivers'), workers: perRecord('workers'), redis: perRecord('redis'), client: perRecord('client') },
      ourCores,
      otherCores: Math.max(0, (cpu1.machine - cpu0.machine) / wall - ourCores),
      lossCheck: check.text,
    };
  });
}
