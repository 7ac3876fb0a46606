/**
 * An export Redis stored whose reply was lost (Redis died, the connection
 * dropped) comes again: the client resends the call, or the exporter retries
 * after an error. Either way it must be stored once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { connectRedis } from '../../src/service/open-stores.js';
import { createQueueKeys } from '../../src/redis-keys.js';
import { createRedisIngestQueue } from '../../src/queue/redis-ingest-queue.js';
import { startProxy, type CuttableProxy } from '../helpers/cluster-proxy.js';
import { metricValue } from '../helpers/otlp-receiver.js';
import { encodeRequest, simpleRequest } from '../helpers/otlp-raw.js';
import { acceptedOf, acceptedOfBytes, entry, redisFixture, silent, type RedisFixture } from '../queue/redis-fixture.js';

let fx: RedisFixture;
const closers: Array<() => Promise<void> | void> = [];
beforeEach(async () => {
  fx = await redisFixture();
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await fx.cleanup();
});

const SHARDS = 2;
const keys = () => createQueueKeys(fx.prefix);

/** Records stored over every shard stream. */
async function storedEntries(): Promise<number> {
  let n = 0;
  for (let s = 0; s < SHARDS; s++) n += await fx.redis.xlen(keys().stream(s));
  return n;
}

function queueOn(redis = fx.redis, retryWindowMs = 120_000) {
  const registry = new Registry();
  const queue = createRedisIngestQueue({ redis, shards: SHARDS, maxBacklog: 10_000, retryWindowMs, prefix: fx.prefix, logger: silent, registry });
  return { queue, duplicates: () => metricValue(registry, 'anomalog_queue_duplicate_records_total') };
}

/** One export as an exporter sends it: the same bytes on every try. */
const exportOf = (tag: string) => acceptedOf(['checkout', 'payments', 'search'].flatMap((s) => [entry(s, `${s} ${tag} a`), entry(s, `${s} ${tag} b`)]));

describe('retries of stored exports', () => {
  it('stores an export once when its bytes come again within the retry window, and counts the duplicate', async () => {
    const { queue, duplicates } = queueOn();
    const first = exportOf('one');
    await queue.append(first);
    const afterFirst = await storedEntries();
    // The exporter retries the same bytes (a new arrival), alone and then next to a new export in one call.
    await queue.append({ ...exportOf('one'), arrivalMs: Date.now() + 5 });
    await Promise.all([queue.append(exportOf('one')), queue.append(exportOf('two'))]);
    expect(await duplicates()).toBe(12);
    expect(await queue.backlog()).toBe(12);
    expect(await storedEntries()).toBeGreaterThan(afterFirst);
    // Two tries of one export in flight together: one is stored, the other finds it.
    await Promise.all([queue.append(exportOf('three')), queue.append(exportOf('three'))]);
    expect(await queue.backlog()).toBe(18);
    expect(await duplicates()).toBe(18);
  });

  it('stores repeated bytes every time when a record has no time (a script sending one line on purpose)', async () => {
    const { queue, duplicates } = queueOn();
    const untimed = acceptedOfBytes(encodeRequest(simpleRequest(3, 'checkout', 'disk almost full')));
    expect(untimed.summary.untimed).toBe(3);
    await queue.append(untimed);
    await queue.append(untimed);
    expect(await queue.backlog()).toBe(6);
    expect(await duplicates()).toBe(0);
  });

  it('stores repeated bytes every time when the retry window is 0', async () => {
    const { queue, duplicates } = queueOn(fx.redis, 0);
    await queue.append(exportOf('one'));
    await queue.append(exportOf('one'));
    expect(await queue.backlog()).toBe(12);
    expect(await duplicates()).toBe(0);
    expect(await fx.redis.keys(`${fx.prefix}:*stored*`)).toEqual([]);
  });

  it('stores an export once when Redis did the append and the reply was lost, whether the client resends it or the exporter retries', async () => {
    const proxy: CuttableProxy = await startProxy({ host: '127.0.0.1', port: 6379 });
    closers.push(() => proxy.close());
    // The client anomalog runs with, through a hop that can lose a reply.
    const redis = connectRedis(`redis://127.0.0.1:${proxy.port}`, silent);
    closers.push(() => redis.disconnect());
    const { queue, duplicates } = queueOn(redis);
    await queue.append(exportOf('warm-up'));
    expect(await queue.backlog()).toBe(6);

    // Lost reply, connection back at once: the client resends the call it had in flight.
    proxy.loseNextReply();
    await queue.append(exportOf('resent'));
    expect(await queue.backlog()).toBe(12);
    expect(await duplicates()).toBe(6);

    // Lost reply, Redis unreachable for longer than the client waits: the append fails, the exporter retries once it is back.
    proxy.loseNextReply();
    const failed = queue.append(exportOf('retried')).then(
      () => 'stored',
      (error: Error) => error.message,
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    await proxy.cut();
    expect(await failed).not.toBe('stored');
    await proxy.restore();
    await new Promise<void>((resolve) => (redis.status === 'ready' ? resolve() : redis.once('ready', () => resolve())));
    await queue.append(exportOf('retried'));
    expect(await queue.backlog()).toBe(18);
    expect(await duplicates()).toBe(12);
  });
});
