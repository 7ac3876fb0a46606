import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DependencyUnavailableError } from '../../src/errors.js';
import { createRedisDeadLetters } from '../../src/queue/dead-letter-stream.js';
import { decodeEntries, encodeEntries } from '../../src/queue/entry-codec.js';
import { CONSUMER_GROUP, createQueueKeys } from '../../src/redis-keys.js';
import { shardOf } from '../../src/shard-of.js';
import { defineQueueScripts, runQueueScript } from '../../src/queue/queue-scripts.js';
import { streamFields } from '../../src/queue/stream-fields.js';
import { createRedisIngestQueue } from '../../src/queue/redis-ingest-queue.js';
import { createStreamWorker, sourceIdOf, type StreamBatch, type StreamWorker } from '../../src/worker/stream-worker.js';
import { metricValue } from '../helpers/otlp-receiver.js';
import { bundleChild } from '../queue/bundle-child.js';
import { acceptedOf, entry, redisFixture, silent, stopProcess, until, type RedisFixture } from '../queue/redis-fixture.js';

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

function startWorker(options: {
  name: string;
  shards: number;
  handle: (batch: StreamBatch) => Promise<void>;
  claimIdleSeconds?: number;
  leaseMs?: number;
  registry?: Registry;
  maxDeliveries?: number;
}): StreamWorker {
  const redis = fx.redis.duplicate();
  clients.push(redis);
  const worker = createStreamWorker({
    redis,
    shards: options.shards,
    claimIdleSeconds: options.claimIdleSeconds ?? 30,
    consumerName: options.name,
    // The batches of a read, one after the other: a failure fails the read's call, and the worker then handles each alone.
    handle: async (batches) => {
      for (const batch of batches) await options.handle(batch);
    },
    logger: silent,
    prefix: fx.prefix,
    leaseMs: options.leaseMs ?? 600,
    blockMs: 100,
    ...(options.registry ? { registry: options.registry } : {}),
    ...(options.maxDeliveries ? { maxDeliveries: options.maxDeliveries } : {}),
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

/** The dead-letter stream's entries, oldest first, as field maps. */
async function deadLetterEntries() {
  const rows = await fx.redis.xrange(createQueueKeys(fx.prefix).deadLetters(), '-', '+');
  return rows.map(([id, fields]) => Object.assign(streamFields(fields), { id }));
}

describe('stream worker', () => {
  it('hands every queued record to handle in per-service order and acknowledges it', async () => {
    const shards = 4;
    const queue = createRedisIngestQueue({ redis: fx.redis, shards, maxBacklog: 10_000, retryWindowMs: 120_000, prefix: fx.prefix, logger: silent });
    const services = ['checkout', 'payments', 'search', 'auth', 'cart'];
    for (let round = 0; round < 20; round++) await queue.append(acceptedOf(services.map((s) => entry(s, `${s} ${round}`))));
    const seen: StreamBatch[] = [];
    const registry = new Registry();
    const worker = startWorker({ name: 'w1', shards, registry, handle: async (batch) => void seen.push(batch) });
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

  it('hands the batches of a read, across shards, to handle in one call', async () => {
    const shards = 4;
    const queue = createRedisIngestQueue({ redis: fx.redis, shards, maxBacklog: 10_000, retryWindowMs: 120_000, prefix: fx.prefix, logger: silent });
    const services = ['checkout', 'payments', 'search', 'auth', 'cart'];
    for (let round = 0; round < 5; round++) await queue.append(acceptedOf(services.map((s) => entry(s, `${s} ${round}`))));
    const calls: StreamBatch[][] = [];
    const redis = fx.redis.duplicate();
    clients.push(redis);
    const worker = createStreamWorker({
      redis, shards, claimIdleSeconds: 30, consumerName: 'w1', prefix: fx.prefix, leaseMs: 600, blockMs: 100, logger: silent,
      handle: async (batches) => void calls.push(batches),
    });
    workers.push(worker);
    worker.start();
    await until(() => messagesOf(calls.flat()).length === 25, 10_000, 'all records handled');
    expect(calls.length).toBeLessThan(shards * 5);
    expect(Math.max(...calls.map((c) => new Set(c.map((b) => b.shard)).size))).toBeGreaterThan(1);
  });

  it('leaves a batch pending while handle rejects, then retries it with the same stream id', async () => {
    const shards = 2;
    const queue = createRedisIngestQueue({ redis: fx.redis, shards, maxBacklog: 10_000, retryWindowMs: 120_000, prefix: fx.prefix, logger: silent });
    await queue.append(acceptedOf([entry('checkout', 'first'), entry('checkout', 'second')]));
    const attempts: string[] = [];
    let failing = true;
    const worker = startWorker({
      name: 'w1',
      shards,
      handle: async (batch) => {
        attempts.push(sourceIdOf(batch));
        if (failing) throw new DependencyUnavailableError('postgres', 'postgres is down');
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
    const queue = createRedisIngestQueue({ redis: fx.redis, shards, maxBacklog: 10_000, retryWindowMs: 120_000, prefix: fx.prefix, logger: silent });
    await queue.append(acceptedOf([entry('checkout', 'old 1')]));
    await queue.append(acceptedOf([entry('checkout', 'old 2')]));
    let tries = 0;
    const dying = startWorker({ name: 'dying', shards, handle: async () => { tries++; throw new Error('crashing'); } });
    await until(() => tries > 0, 10_000, 'first worker read the entries');
    await dying.stop();
    expect(await pendingCount(shards)).toBe(2);
    expect(await consumersOf(0)).toContain('dying');
    await queue.append(acceptedOf([entry('checkout', 'new 3')]));

    const seen: StreamBatch[] = [];
    const started = Date.now();
    startWorker({ name: 'heir', shards, claimIdleSeconds: 0.5, handle: async (batch) => void seen.push(batch) });
    await until(() => messagesOf(seen).length === 3, 10_000, 'heir handled everything');
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(messagesOf(seen)).toEqual(['old 1', 'old 2', 'new 3']);
    await until(async () => (await queue.backlog()) === 0, 5_000, 'backlog drained');
  });

  it('drops an undecodable stream entry with a metric instead of blocking its shard', async () => {
    const shards = 1;
    const queue = createRedisIngestQueue({ redis: fx.redis, shards, maxBacklog: 10_000, retryWindowMs: 120_000, prefix: fx.prefix, logger: silent });
    await queue.append(acceptedOf([entry('checkout', 'before')]));
    await fx.redis.xadd(createQueueKeys(fx.prefix).stream(0), '*', 'd', '[99,"from a future release"]', 'n', '0');
    await queue.append(acceptedOf([entry('checkout', 'after')]));
    const seen: StreamBatch[] = [];
    const registry = new Registry();
    startWorker({ name: 'w1', shards, registry, handle: async (batch) => void seen.push(batch) });
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
    const queue = createRedisIngestQueue({ redis: fx.redis, shards, maxBacklog: 10_000, retryWindowMs: 120_000, prefix: fx.prefix, logger: silent });
    await queue.append(acceptedOf([entry('checkout', 'in flight'), entry('payments', 'also in flight')]));
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
      startWorker({ name: 'survivor', shards, claimIdleSeconds: 0.5, handle: async (batch) => void seen.push(batch) });
      await until(async () => (await queue.backlog()) === 0, 15_000, 'survivor drained the backlog');
      expect(messagesOf(seen).sort()).toEqual(['also in flight', 'in flight']);
      for (const id of firstBatch) expect(seen.map((b) => b.streamId)).toContain(id);
    } finally {
      child.remove();
    }
  });

  it('moves a batch that keeps failing to the dead letters after exactly maxDeliveries failures, and goes on with its shard', async () => {
    const shards = 1;
    const queue = createRedisIngestQueue({ redis: fx.redis, shards, maxBacklog: 10_000, retryWindowMs: 120_000, prefix: fx.prefix, logger: silent });
    await queue.append(acceptedOf([entry('checkout', 'before')]));
    await queue.append(acceptedOf([entry('checkout', 'poison'), entry('checkout', 'with the poison')]));
    await queue.append(acceptedOf([entry('checkout', 'after')]));
    const seen: StreamBatch[] = [];
    let poisonTries = 0;
    const registry = new Registry();
    const worker = startWorker({
      name: 'w1',
      shards,
      registry,
      maxDeliveries: 3,
      handle: async (batch) => {
        if (batch.entries.some((e) => e.message === 'poison')) {
          poisonTries++;
          throw new TypeError("Cannot read properties of undefined (reading 'id')");
        }
        seen.push(batch);
      },
    });
    await until(() => messagesOf(seen).includes('after'), 15_000, 'the batch after the poison handled');
    // The first try is with the read's other batches; that failure sends each alone (the batch
    // before the poison is handled again: handling is at least once) and counts no delivery.
    expect([...new Set(messagesOf(seen))]).toEqual(['before', 'after']);
    expect(poisonTries).toBe(4);
    const [letter, ...more] = await deadLetterEntries();
    expect(more).toEqual([]);
    expect(letter).toMatchObject({ shard: '0', n: '2', deliveries: '3', error: "Cannot read properties of undefined (reading 'id')" });
    // The batch's data as stored, binary and all.
    const [stored] = (await fx.redis.xrangeBuffer(createQueueKeys(fx.prefix).deadLetters(), '-', '+')) as [Buffer, Buffer[]][];
    expect(decodeEntries(streamFields(stored![1]).d!)).toEqual([entry('checkout', 'poison'), entry('checkout', 'with the poison')]);
    expect(letter!.origin).toBe(`0/${letter!.entry}`);
    await until(async () => (await queue.backlog()) === 0, 5_000, 'backlog drained');
    expect(await pendingCount(shards)).toBe(0);
    expect(await fx.redis.hlen(createQueueKeys(fx.prefix).failures(0))).toBe(0);
    expect(await metricValue(registry, 'anomalog_dead_lettered_batches_total')).toBe(1);
    expect(await metricValue(registry, 'anomalog_worker_handle_failures_total')).toBe(4);
    await until(() => worker.status().oldestPendingAt === undefined, 5_000, 'nothing unfinished');
  });

  it('holds back only the failing shard: other shards are handled while it is retried', async () => {
    const shards = 4;
    const queue = createRedisIngestQueue({ redis: fx.redis, shards, maxBacklog: 10_000, retryWindowMs: 120_000, prefix: fx.prefix, logger: silent });
    const other = ['payments', 'search', 'auth', 'cart'].find((s) => shardOf(s, shards) !== shardOf('checkout', shards))!;
    await queue.append(acceptedOf([entry('checkout', 'stuck'), entry(other, 'fine 1')]));
    await queue.append(acceptedOf([entry('checkout', 'behind the stuck one'), entry(other, 'fine 2')]));
    const seen: StreamBatch[] = [];
    startWorker({
      name: 'w1',
      shards,
      handle: async (batch) => {
        if (batch.entries.some((e) => e.service === 'checkout')) throw new DependencyUnavailableError('postgres', 'down for checkout');
        seen.push(batch);
      },
    });
    await until(() => new Set(messagesOf(seen)).size === 2, 10_000, 'the other shard handled');
    expect([...new Set(messagesOf(seen))]).toEqual(['fine 1', 'fine 2']);
    expect(await queue.backlog()).toBe(2);
  });

  it('reads new entries of the other shards while one shard backs off from a batch that keeps failing', async () => {
    const shards = 4;
    const queue = createRedisIngestQueue({ redis: fx.redis, shards, maxBacklog: 10_000, retryWindowMs: 120_000, prefix: fx.prefix, logger: silent });
    const other = ['payments', 'search', 'auth', 'cart'].find((s) => shardOf(s, shards) !== shardOf('checkout', shards))!;
    await queue.append(acceptedOf([entry('checkout', 'needs the provider')]));
    let tries = 0;
    const seen: StreamBatch[] = [];
    startWorker({
      name: 'w1',
      shards,
      handle: async (batch) => {
        if (batch.entries.some((e) => e.service === 'checkout')) {
          tries++;
          throw new DependencyUnavailableError('embeddings', 'provider down');
        }
        seen.push(batch);
      },
    });
    await until(() => tries >= 1, 10_000, 'the checkout batch failed once');
    // Arrives after the failure, so only a later read of its shard finds it.
    await queue.append(acceptedOf([entry(other, 'arrives during the outage')]));
    await until(() => seen.length === 1, 5_000, 'the other shard read and handled');
    expect(messagesOf(seen)).toEqual(['arrives during the outage']);
    await until(() => tries >= 3, 10_000, 'the checkout batch retried meanwhile');
    expect(await queue.backlog()).toBe(1);
  });

  it('never dead-letters a batch that fails for an outage, however often, and handles it once the outage ends', async () => {
    const shards = 1;
    const queue = createRedisIngestQueue({ redis: fx.redis, shards, maxBacklog: 10_000, retryWindowMs: 120_000, prefix: fx.prefix, logger: silent });
    await queue.append(acceptedOf([entry('checkout', 'waits out the outage')]));
    let failures = 0;
    let down = true;
    const seen: StreamBatch[] = [];
    startWorker({
      name: 'w1',
      shards,
      maxDeliveries: 2,
      handle: async (batch) => {
        if (down) {
          failures++;
          // An outage as each store reports it: node-postgres, ioredis, the embeddings guard.
          const outages = [
            Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
            new Error('Connection is closed.'),
            new DependencyUnavailableError('embeddings', 'provider down'),
          ];
          throw outages[failures % outages.length]!;
        }
        seen.push(batch);
      },
    });
    await until(() => failures >= 4, 15_000, 'twice maxDeliveries failed attempts');
    expect(await deadLetterEntries()).toEqual([]);
    expect(await pendingCount(shards)).toBe(1);
    expect(await fx.redis.hlen(createQueueKeys(fx.prefix).failures(0))).toBe(0);
    down = false;
    await until(() => messagesOf(seen).length === 1, 10_000, 'handled after the outage');
    await until(async () => (await queue.backlog()) === 0, 5_000, 'backlog drained');
  });

  it('counts failures across workers: a batch does not start its count again in the worker that claims it', async () => {
    const shards = 1;
    const queue = createRedisIngestQueue({ redis: fx.redis, shards, maxBacklog: 10_000, retryWindowMs: 120_000, prefix: fx.prefix, logger: silent });
    await queue.append(acceptedOf([entry('checkout', 'poison')]));
    let tries = 0;
    const poisoned = async () => {
      tries++;
      throw new SyntaxError('Unexpected token');
    };
    const first = startWorker({ name: 'first', shards, maxDeliveries: 3, handle: poisoned });
    await until(() => tries === 2, 10_000, 'two failures in the first worker');
    await first.stop();
    expect(await deadLetterEntries()).toEqual([]);
    startWorker({ name: 'heir', shards, maxDeliveries: 3, claimIdleSeconds: 0.2, handle: poisoned });
    await until(async () => (await deadLetterEntries()).length === 1, 10_000, 'dead-lettered by the heir');
    expect(tries).toBe(3);
    expect((await deadLetterEntries())[0]!.deliveries).toBe('3');
    expect(await queue.backlog()).toBe(0);
  });

  it('replays a dead letter onto its shard under its first id, where it is handled, and removes it', async () => {
    const shards = 2;
    const queue = createRedisIngestQueue({ redis: fx.redis, shards, maxBacklog: 10_000, retryWindowMs: 120_000, prefix: fx.prefix, logger: silent });
    await queue.append(acceptedOf([entry('checkout', 'fails until fixed')]));
    let fixed = false;
    const seen: StreamBatch[] = [];
    startWorker({
      name: 'w1',
      shards,
      maxDeliveries: 2,
      handle: async (batch) => {
        if (!fixed) throw new Error('bug in this release');
        seen.push(batch);
      },
    });
    await until(async () => (await deadLetterEntries()).length === 1, 10_000, 'dead-lettered');
    const deadLetters = createRedisDeadLetters({ redis: fx.redis, shards, prefix: fx.prefix });
    const [listed] = await deadLetters.list(10);
    const shard = shardOf('checkout', shards);
    const letter = (await deadLetterEntries())[0]!;
    expect(listed).toMatchObject({ id: letter.id, source: `${shard}/${letter.entry}`, records: 1, deliveries: 2, error: 'bug in this release' });
    expect(listed!.createdAt).toBeGreaterThan(Date.now() - 60_000);

    fixed = true;
    expect(await deadLetters.replay(letter.id)).toBe(true);
    expect(await deadLetters.replay(letter.id)).toBe(false);
    expect(await deadLetters.replay('not-an-id')).toBe(false);
    await until(() => seen.length === 1, 10_000, 'replayed batch handled');
    expect(messagesOf(seen)).toEqual(['fails until fixed']);
    expect(seen[0]!.replayOf).toBe(`${shard}/${letter.entry}`);
    expect(seen[0]!.streamId).not.toBe(letter.entry);
    expect(await deadLetterEntries()).toEqual([]);
    await until(async () => (await queue.backlog()) === 0, 5_000, 'backlog drained');
  });

  it('handles, dead-letters and replays an entry an earlier version wrote in format 1', async () => {
    const shards = 2;
    const keys = createQueueKeys(fx.prefix);
    const shard = shardOf('checkout', shards);
    const old = [entry('checkout', 'queued before the upgrade'), entry('checkout', 'and its neighbour')];
    await fx.redis.xgroup('CREATE', keys.stream(shard), CONSUMER_GROUP, '0', 'MKSTREAM');
    await fx.redis.xadd(keys.stream(shard), '*', 'd', encodeEntries(old), 'n', old.length);
    await fx.redis.incrby(keys.backlog(shard), old.length);
    let fixed = false;
    const seen: StreamBatch[] = [];
    startWorker({
      name: 'w1',
      shards,
      maxDeliveries: 2,
      handle: async (batch) => {
        if (!fixed) throw new Error('bug in this release');
        seen.push(batch);
      },
    });
    await until(async () => (await deadLetterEntries()).length === 1, 10_000, 'dead-lettered');
    const deadLetters = createRedisDeadLetters({ redis: fx.redis, shards, prefix: fx.prefix });
    const [listed] = await deadLetters.list(10);
    expect(listed).toMatchObject({ records: 2, deliveries: 2 });
    fixed = true;
    expect(await deadLetters.replay(listed!.id)).toBe(true);
    await until(() => seen.length === 1, 10_000, 'replayed batch handled');
    expect(seen[0]!.entries).toEqual(old);
    await until(async () => (await fx.redis.get(keys.backlog(shard))) === '0', 5_000, 'backlog drained');
  });

  it('keeps the dead-letter stream near its bound and reports how many old dead letters each move dropped', async () => {
    const keys = createQueueKeys(fx.prefix);
    const stream = keys.stream(0);
    await fx.redis.xgroup('CREATE', stream, CONSUMER_GROUP, '0', 'MKSTREAM');
    for (let i = 0; i < 300; i++) await fx.redis.xadd(stream, '*', 'd', encodeEntries([entry('s', `m${i}`)]), 'n', '1');
    await fx.redis.incrby(keys.backlog(0), 300);
    const read = (await fx.redis.xreadgroup('GROUP', CONSUMER_GROUP, 'c', 'COUNT', 300, 'STREAMS', stream, '>')) as [string, [string, string[]][]][];
    defineQueueScripts(fx.redis);
    let dropped = 0;
    for (const [id] of read[0]![1]) {
      const reply = (await runQueueScript(fx.redis, 'fail-entry-4', [stream, keys.backlog(0), keys.failures(0), keys.deadLetters()], [CONSUMER_GROUP, id, 0, 1, 'bad', 50])) as [number, string, number];
      expect(reply[1]).not.toBe('');
      dropped += reply[2];
    }
    const length = await fx.redis.xlen(keys.deadLetters());
    // Trimmed in whole radix-tree nodes (~): near the bound, never below it.
    expect(length).toBeGreaterThanOrEqual(50);
    expect(length).toBeLessThan(300);
    expect(dropped).toBe(300 - length);
    expect(await fx.redis.get(keys.backlog(0))).toBe('0');
  });
});
