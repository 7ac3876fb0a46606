import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONSUMER_GROUP, createQueueKeys, shardOf } from '../../src/queue/queue-keys.js';
import { createRedisIngestQueue } from '../../src/queue/redis-ingest-queue.js';
import { createStreamWorker, sourceIdOf, type StreamBatch, type StreamWorker } from '../../src/worker/stream-worker.js';
import { metricValue } from '../helpers/otlp-receiver.js';
import { bundleChild } from '../queue/bundle-child.js';
import { entry, redisFixture, silent, stopProcess, until, type RedisFixture } from '../queue/redis-fixture.js';

let fx: RedisFixture;
const workers: StreamWorker[] = [];
const clients: Redis[] = [];
beforeEach(async () => {
  fx = await redisFixture();
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
  for (const client of clients.splice(0)) client.disconnect();
  await fx.cleanup();
});

function startWorker(options: { name: string; shards: number; handle: (batch: StreamBatch[]) => Promise<void>; claimIdleSeconds?: number; leaseMs?: number; registry?: Registry }): StreamWorker {
  const redis = fx.redis.duplicate();
  clients.push(redis);
  const worker = createStreamWorker({
    redis,
    shards: options.shards,
    claimIdleSeconds: options.claimIdleSeconds ?? 30,
    consumerName: options.name,
    handle: options.handle,
    logger: silent,
    prefix: fx.prefix,
    leaseMs: options.leaseMs ?? 600,
    blockMs: 100,
    ...(options.registry ? { registry: options.registry } : {}),
  });
  workers.push(worker);
  worker.start();
  return worker;
}

async function pendingCount(shards: number): Promise<number> {
  const keys = createQueueKeys(fx.prefix);
  let total = 0;
  for (let s = 0; s < shards; s++) {
    const summary = (await fx.redis.call('XPENDING', keys.stream(s), CONSUMER_GROUP).catch(() => [0])) as [number];
    total += summary[0];
  }
  return total;
}

async function consumersOf(shard: number): Promise<string[]> {
  const rows = (await fx.redis.xinfo('CONSUMERS', createQueueKeys(fx.prefix).stream(shard), CONSUMER_GROUP)) as string[][];
  return rows.map((row) => row[row.indexOf('name') + 1]!);
}

const messagesOf = (batches: StreamBatch[]): string[] => batches.flatMap((b) => b.entries.map((e) => e.message));

describe('stream worker', () => {
  it('hands every queued record to handle in per-service order and acknowledges it', async () => {
    const shards = 4;
    const queue = createRedisIngestQueue({ redis: fx.redis, shards, maxBacklog: 10_000, prefix: fx.prefix, logger: silent });
    const services = ['checkout', 'payments', 'search', 'auth', 'cart'];
    for (let round = 0; round < 20; round++) await queue.append(services.map((s) => entry(s, `${s} ${round}`)));
    const seen: StreamBatch[] = [];
    const registry = new Registry();
    const worker = startWorker({ name: 'w1', shards, registry, handle: async (batch) => void seen.push(...batch) });
    await until(() => messagesOf(seen).length === 100, 10_000, 'all records handled');
    await until(async () => (await metricValue(registry, 'anomalog_worker_processed_records_total')) === 100, 5_000, 'processed counter');
    expect(await metricValue(registry, 'anomalog_worker_leases')).toBe(shards);
    for (const s of services) {
      expect(messagesOf(seen).filter((m) => m.startsWith(`${s} `))).toEqual(Array.from({ length: 20 }, (_v, i) => `${s} ${i}`));
    }
    for (const b of seen) expect(b.shard).toBe(shardOf(b.entries[0]!.service, shards));
    await until(async () => (await queue.backlog()) === 0, 5_000, 'backlog drained');
    expect(await pendingCount(shards)).toBe(0);
    const shard = shardOf('checkout', shards);
    expect(await consumersOf(shard)).toContain('w1');
    await worker.stop();
    // A stopped worker with nothing pending leaves no consumer behind.
    expect(await consumersOf(shard)).not.toContain('w1');
  });

  it('leaves a batch pending while handle rejects, then retries it with the same stream id', async () => {
    const shards = 2;
    const queue = createRedisIngestQueue({ redis: fx.redis, shards, maxBacklog: 10_000, prefix: fx.prefix, logger: silent });
    await queue.append([entry('checkout', 'first'), entry('checkout', 'second')]);
    const attempts: string[] = [];
    let failing = true;
    const worker = startWorker({
      name: 'w1',
      shards,
      handle: async (batch) => {
        attempts.push(...batch.map((b) => sourceIdOf(b)));
        if (failing) throw new Error('postgres is down');
      },
    });
    await until(() => attempts.length >= 2, 10_000, 'two failed attempts');
    expect(new Set(attempts).size).toBe(1);
    expect(await queue.backlog()).toBe(2);
    expect(await pendingCount(shards)).toBe(1);
    expect(worker.status().handler).toBe('postgres is down');
    failing = false;
    await until(async () => (await queue.backlog()) === 0, 10_000, 'retried batch acknowledged');
    expect(new Set(attempts)).toEqual(new Set([attempts[0]]));
    expect(worker.status().handler).toBe('ok');
    expect(await pendingCount(shards)).toBe(0);
  });

  it("lets another worker claim a stopped worker's pending entries once idle, before newer entries", async () => {
    const shards = 1;
    const queue = createRedisIngestQueue({ redis: fx.redis, shards, maxBacklog: 10_000, prefix: fx.prefix, logger: silent });
    await queue.append([entry('checkout', 'old 1')]);
    await queue.append([entry('checkout', 'old 2')]);
    let tries = 0;
    const dying = startWorker({ name: 'dying', shards, handle: async () => { tries++; throw new Error('crashing'); } });
    await until(() => tries > 0, 10_000, 'first worker read the entries');
    await dying.stop();
    expect(await pendingCount(shards)).toBe(2);
    expect(await consumersOf(0)).toContain('dying');
    await queue.append([entry('checkout', 'new 3')]);

    const seen: StreamBatch[] = [];
    const started = Date.now();
    startWorker({ name: 'heir', shards, claimIdleSeconds: 0.5, handle: async (batch) => void seen.push(...batch) });
    await until(() => messagesOf(seen).length === 3, 10_000, 'heir handled everything');
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(messagesOf(seen)).toEqual(['old 1', 'old 2', 'new 3']);
    await until(async () => (await queue.backlog()) === 0, 5_000, 'backlog drained');
  });

  it('drops an undecodable stream entry with a metric instead of blocking its shard', async () => {
    const shards = 1;
    const queue = createRedisIngestQueue({ redis: fx.redis, shards, maxBacklog: 10_000, prefix: fx.prefix, logger: silent });
    await queue.append([entry('checkout', 'before')]);
    await fx.redis.xadd(createQueueKeys(fx.prefix).stream(0), '*', 'd', '[99,"from a future release"]', 'n', '0');
    await queue.append([entry('checkout', 'after')]);
    const seen: StreamBatch[] = [];
    const registry = new Registry();
    startWorker({ name: 'w1', shards, registry, handle: async (batch) => void seen.push(...batch) });
    await until(() => messagesOf(seen).length === 2, 10_000, 'valid entries handled');
    expect(messagesOf(seen)).toEqual(['before', 'after']);
    await until(async () => (await pendingCount(shards)) === 0, 5_000, 'nothing pending');
    expect(await metricValue(registry, 'anomalog_worker_undecodable_entries_total')).toBe(1);
    expect(await queue.backlog()).toBe(0);
  });

  it('spreads shard leases over workers as they join and takes them back when one leaves', async () => {
    const shards = 8;
    const handle = async () => undefined;
    const a = startWorker({ name: 'a', shards, handle });
    await until(() => a.status().leases === 8, 5_000, 'a holds all shards');
    const b = startWorker({ name: 'b', shards, handle });
    await until(() => a.status().leases === 4 && b.status().leases === 4, 10_000, 'a and b share 4/4');
    const c = startWorker({ name: 'c', shards, handle });
    await until(() => a.status().leases + b.status().leases + c.status().leases === 8 && Math.max(a.status().leases, b.status().leases, c.status().leases) === 3, 10_000, 'three share 3/3/2');
    await b.stop();
    await c.stop();
    await until(() => a.status().leases === 8, 10_000, 'a takes all shards back');
    const keys = createQueueKeys(fx.prefix);
    const holders = await fx.redis.mget(Array.from({ length: shards }, (_v, s) => keys.lease(s)));
    expect(holders).toEqual(Array(shards).fill('a'));
  });

  it('recovers the batch of a worker process killed with SIGKILL mid-batch', async () => {
    const shards = 2;
    const queue = createRedisIngestQueue({ redis: fx.redis, shards, maxBacklog: 10_000, prefix: fx.prefix, logger: silent });
    await queue.append([entry('checkout', 'in flight'), entry('payments', 'also in flight')]);
    const child = await bundleChild('./worker-child.ts');
    try {
      const proc = spawn(process.execPath, [child.file], {
        env: { ...process.env, SHARDS: String(shards), CONSUMER: 'victim', PREFIX: fx.prefix, LEASE_MS: '600' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const lines = createInterface({ input: proc.stdout });
      const firstBatch = await new Promise<string[]>((resolve) => lines.once('line', (line) => resolve(JSON.parse(line) as string[])));
      await stopProcess(proc, 'SIGKILL');
      expect(firstBatch.length).toBeGreaterThan(0);
      expect(await pendingCount(shards)).toBeGreaterThan(0);

      const seen: StreamBatch[] = [];
      startWorker({ name: 'survivor', shards, claimIdleSeconds: 0.5, handle: async (batch) => void seen.push(...batch) });
      await until(async () => (await queue.backlog()) === 0, 15_000, 'survivor drained the backlog');
      expect(messagesOf(seen).sort()).toEqual(['also in flight', 'in flight']);
      for (const id of firstBatch) expect(seen.map((b) => b.streamId)).toContain(id);
    } finally {
      child.remove();
    }
  });
});
