/**
 * Production as real processes: 1 receiver + 1 worker (`anomalog serve --role
 * receiver|worker`) over the bench's redis-server and a scratch Postgres
 * database, learning period off, under the load client. Two rates per window:
 * records the receiver acknowledged (appended to the ingest streams) and
 * records the worker committed: the sum of the pattern counts in Redis, raised
 * once per stored batch (stream entry). The worker's own
 * anomalog_worker_processed_records_total moves only once per read of up to 32
 * entries per shard (tens of thousands of records, seconds apart under a
 * backlog), too coarse for a window of a few seconds. The backlog bound is raised
 * so the receiver never pushes back inside the section: each tier runs at its
 * own pace, side by side on the same cores.
 */
import { startIngestLoad } from './ingest-load.js';
import { measureWindow, type WindowResult } from './ingest-window.js';
import { track } from './scale-cleanup.js';
import type { BenchRedis } from './scale-redis.js';
import { sleep } from './scale-report.js';
import { backlogRecords, committedRecords, startStack } from './scale-stack.js';

export interface ProductionResult {
  windows: WindowResult[];
  /** Records queued and not yet committed when the client stopped. */
  backlogAtEnd: number;
}

export interface ProductionPlan {
  redis: BenchRedis;
  databaseUrl: string;
  requests: readonly Buffer[];
  runs: number;
  seconds: number;
  warmupSeconds: number;
  concurrency: number;
  /** Flags for node itself per role, e.g. --cpu-prof. */
  nodeArgs?: { receiver?: string[]; worker?: string[] };
}

/** Per shard: far more than a section can queue, so the bound never decides the receiver's rate here. */
export const RAISED_MAX_BACKLOG = 10_000_000;

export async function measureProduction(plan: ProductionPlan): Promise<ProductionResult> {
  await plan.redis.flush();
  const stack = await startStack({
    redisUrl: plan.redis.url,
    databaseUrl: plan.databaseUrl,
    receivers: 1,
    workers: 1,
    env: { ANOMALOG_LEARNING_PERIOD: '0', ANOMALOG_MAX_BACKLOG: String(RAISED_MAX_BACKLOG) },
    nodeArgs: plan.nodeArgs,
  });
  const stopStack = track(() => stack.stop());
  try {
    const [receiver] = stack.receivers;
    const [worker] = stack.workers;
    const load = await startIngestLoad(receiver!.grpcPort, plan.requests);
    const stopLoad = track(() => load.close());
    try {
      const probes = {
        load,
        processes: { receiver: [receiver!.child.pid!], worker: [worker!.child.pid!], redis: [plan.redis.pid()], client: [load.pid] },
        committed: () => committedRecords(plan.redis.client),
      };
      load.start(plan.concurrency);
      await sleep(plan.warmupSeconds * 1_000);
      const windows: WindowResult[] = [];
      for (let run = 0; run < plan.runs; run++) windows.push(await measureWindow(probes, plan.seconds));
      await load.stop();
      return { windows, backlogAtEnd: await backlogRecords(plan.redis.client) };
    } finally {
      await stopLoad();
    }
  } finally {
    await stopStack();
  }
}
