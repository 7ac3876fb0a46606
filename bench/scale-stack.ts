/**
 * The production deployment under test: receiver and worker processes
 * (`anomalog serve --role ...`, real child processes) sharing the bench's
 * Redis and scratch Postgres, and the bench's reads of what they committed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { createQueueKeys } from '../src/redis-keys.js';
import { startAnomalog, type AnomalogProcess } from '../test/helpers/anomalog-process.js';

/** Shard streams of the deployment (set explicitly, so the bench's reads match). */
export const SHARDS = 16;

export interface Stack {
  readonly receivers: AnomalogProcess[];
  /** Live workers; a killed one is removed. */
  readonly workers: AnomalogProcess[];
  addWorker(): Promise<AnomalogProcess>;
  /** SIGKILL: no shutdown, its pending entries stay for another worker to claim. */
  killWorker(worker: AnomalogProcess): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(opts: {
  redisUrl: string;
  databaseUrl: string;
  receivers: number;
  workers: number;
  env?: Record<string, string>;
  /** Flags for node itself per role, e.g. --cpu-prof. */
  nodeArgs?: { receiver?: string[]; worker?: string[] };
}): Promise<Stack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'anomalog-bench-data-'));
  const env = { REDIS_URL: opts.redisUrl, DATABASE_URL: opts.databaseUrl, ANOMALOG_LOG_LEVEL: 'warn', ANOMALOG_DATA_DIR: dataDir, ANOMALOG_SHARDS: String(SHARDS), ...opts.env };
  const receivers: AnomalogProcess[] = [];
  const workers: AnomalogProcess[] = [];
  const stack: Stack = {
    receivers,
    workers,
    async addWorker() {
      const worker = await startAnomalog({ role: 'worker', env, nodeArgs: opts.nodeArgs?.worker });
      workers.push(worker);
      return worker;
    },
    async killWorker(worker) {
      await worker.kill();
      workers.splice(workers.indexOf(worker), 1);
    },
    async stop() {
      // Receivers first, so nothing new is queued while workers finish their batches.
      await Promise.all(receivers.splice(0).map((p) => p.stop()));
      await Promise.all(workers.splice(0).map((p) => p.stop()));
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  try {
    // One worker first: it applies the migrations the others then find done.
    await stack.addWorker();
    await Promise.all(Array.from({ length: opts.workers - 1 }, () => stack.addWorker()));
    for (let i = 0; i < opts.receivers; i++) receivers.push(await startAnomalog({ role: 'receiver', env, nodeArgs: opts.nodeArgs?.receiver }));
  } catch (error) {
    await stack.stop();
    throw error;
  }
  return stack;
}

/**
 * Records committed: the sum of every pattern's `count` in Redis. A pattern
 * count is raised once per stored batch (a redelivered batch is recognised by
 * its stream id), so this is the number of records really processed.
 */
export async function committedRecords(redis: Redis): Promise<number> {
  const patternKeys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', 'anomalog:{*}:pattern:*', 'COUNT', 1000);
    cursor = next;
    patternKeys.push(...found);
  } while (cursor !== '0');
  if (patternKeys.length === 0) return 0;
  const p = redis.pipeline();
  for (const key of patternKeys) p.hget(key, 'count');
  const replies = (await p.exec()) ?? [];
  return replies.reduce((sum, [error, value]) => {
    if (error) throw error;
    return sum + Number(value ?? 0);
  }, 0);
}

/** Records queued and not yet acknowledged by a worker, over all shards. */
export async function backlogRecords(redis: Redis): Promise<number> {
  const keys = createQueueKeys();
  const values = await redis.mget(Array.from({ length: SHARDS }, (_v, s) => keys.backlog(s)));
  return values.reduce((sum, v) => sum + Number(v ?? 0), 0);
}

/** One unlabelled sample from a process's Prometheus /metrics. */
export async function scrapeMetric(httpPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const line = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return line ? Number(line[1]) : 0;
}
