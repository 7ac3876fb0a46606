import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { registerBacklogGauge } from '../../src/queue/backlog-gauge.js';
import { metricValue } from '../helpers/otlp-receiver.js';
import { encodeRequest } from '../helpers/otlp-raw.js';
import { inspectExport } from '../../src/otlp/inspect-export.js';
import { loadOtlpRoot } from '../../src/otlp/proto-root.js';
import { decodeEntries } from '../../src/queue/entry-codec.js';
import { CONSUMER_GROUP, createQueueKeys } from '../../src/redis-keys.js';
import { shardOf } from '../../src/shard-of.js';
import { runQueueScript } from '../../src/queue/queue-scripts.js';
import { streamFields } from '../../src/queue/stream-fields.js';
import { BacklogFullError, createRedisIngestQueue } from '../../src/queue/redis-ingest-queue.js';
import { acceptedOf, acceptedOfBytes, entry, redisFixture, silent, type RedisFixture } from '../queue/redis-fixture.js';

let fx: RedisFixture;
beforeEach(async () => {
  fx = await redisFixture();
});
afterEach(async () => {
  await fx.cleanup();
});

/** A protobuf length prefix. */
function lengthOf(n: number): Buffer {
  const out: number[] = [];
  for (; n > 0x7f; n >>>= 7) out.push((n & 0x7f) | 0x80);
  out.push(n);
  return Buffer.from(out);
}

async function streamEntries(stream: string): Promise<{ id: string; messages: string[] }[]> {
  const rows = (await fx.redis.xrangeBuffer(stream, '-', '+')) as [Buffer, Buffer[]][];
  return rows.map(([id, fields]) => ({ id: id.toString(), messages: decodeEntries(streamFields(fields).d!).map((e) => e.message) }));
}

describe('redis ingest queue', () => {
  it('appends one stream entry per shard per export, keeping each service in order', async () => {
    const shards = 4;
    const queue = createRedisIngestQueue({ redis: fx.redis, shards, maxBacklog: 1000, retryWindowMs: 120_000, prefix: fx.prefix, logger: silent });
    const keys = createQueueKeys(fx.prefix);
    const services = ['checkout', 'payments', 'search', 'auth', 'cart', 'mail'];
    for (let round = 0; round < 3; round++) {
      await queue.append(acceptedOf(services.flatMap((s) => [entry(s, `${s} ${round} a`), entry(s, `${s} ${round} b`)])));
    }
    for (let shard = 0; shard < shards; shard++) {
      const rows = await streamEntries(keys.stream(shard));
      const mine = services.filter((s) => shardOf(s, shards) === shard);
      expect(rows).toHaveLength(mine.length > 0 ? 3 : 0);
      for (const s of mine) {
        const seen = rows.flatMap((r) => r.messages).filter((m) => m.startsWith(`${s} `));
        expect(seen).toEqual([0, 1, 2].flatMap((r) => [`${s} ${r} a`, `${s} ${r} b`]));
      }
    }
    expect(await queue.backlog()).toBe(36);
    const registry = new Registry();
    registerBacklogGauge({ redis: fx.redis, shards, prefix: fx.prefix, registry, logger: silent });
    let gaugeTotal = 0;
    for (let s = 0; s < shards; s++) gaugeTotal += await metricValue(registry, 'anomalog_queue_backlog_records', { shard: String(s) });
    expect(gaugeTotal).toBe(36);
  });

  it('refuses a whole export with BacklogFullError once a shard it touches is at the bound, appending nothing', async () => {
    const shards = 8;
    const queue = createRedisIngestQueue({ redis: fx.redis, shards, maxBacklog: 10, retryWindowMs: 120_000, prefix: fx.prefix, logger: silent });
    const keys = createQueueKeys(fx.prefix);
    const [hot, cold] = ['checkout', 'payments'];
    expect(shardOf(hot, shards)).not.toBe(shardOf(cold, shards));
    await queue.append(acceptedOf(Array.from({ length: 10 }, (_v, i) => entry(hot, `hot ${i}`))));
    const error = await queue.append(acceptedOf([entry(cold, 'cold 1'), entry(hot, 'hot 10')])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BacklogFullError);
    expect((error as BacklogFullError).code).toBe('ANOMALOG_BACKLOG_FULL');
    expect((error as BacklogFullError).shard).toBe(shardOf(hot, shards));
    expect((error as BacklogFullError).retryAfterMs).toBeGreaterThan(0);
    expect(await fx.redis.xlen(keys.stream(shardOf(cold, shards)))).toBe(0);
    expect(await queue.backlog()).toBe(10);
    // Other shards still take traffic.
    await queue.append(acceptedOf([entry(cold, 'cold 2')]));
    expect(await queue.backlog()).toBe(11);
  });

  it("appends each ResourceLogs to its service's shard as the bytes it came in, in order, the last resource field naming the service", async () => {
    const shards = 8;
    const queue = createRedisIngestQueue({ redis: fx.redis, shards, maxBacklog: 1000, retryWindowMs: 120_000, prefix: fx.prefix, logger: silent });
    const keys = createQueueKeys(fx.prefix);
    const [a, b] = ['checkout', 'payments'];
    expect(shardOf(a, shards)).not.toBe(shardOf(b, shards));
    const resource = (service: string) => ({ attributes: [{ key: 'service.name', value: { stringValue: service } }] });
    const logs = (service: string, ...messages: string[]) => ({ resource: resource(service), scopeLogs: [{ logRecords: messages.map((m) => ({ body: { stringValue: m } })) }] });
    const bytes = encodeRequest({ resourceLogs: [logs(a, 'a1', 'a2'), logs(b, 'b1'), logs(a, 'a3')] });
    await queue.append(acceptedOfBytes(bytes));
    const [entryA] = await streamEntries(keys.stream(shardOf(a, shards)));
    const [entryB] = await streamEntries(keys.stream(shardOf(b, shards)));
    expect(entryA!.messages).toEqual(['a1', 'a2', 'a3']);
    expect(entryB!.messages).toEqual(['b1']);
    // No encoding again: the entry holds the request's own bytes, after its 9-byte header.
    const { parts } = inspectExport(bytes) as { parts: Buffer[] };
    const [stored] = (await fx.redis.xrangeBuffer(keys.stream(shardOf(a, shards)), '-', '+')) as [Buffer, Buffer[]][];
    expect(streamFields(stored![1]).d!.subarray(9)).toEqual(Buffer.concat([parts[0]!, parts[2]!]));

    // One ResourceLogs with two resource fields, a's then b's: its records are b's, as protobufjs reads it, and go to b's shard.
    const root = loadOtlpRoot();
    const encode = (type: string, value: object) => Buffer.from(root.lookupType(type).encode(value).finish());
    const field = (payload: Buffer, tag: number) => Buffer.concat([Buffer.from([tag]), lengthOf(payload.length), payload]);
    const resourceOf = (service: string) => encode('opentelemetry.proto.resource.v1.Resource', resource(service));
    const scopeLogs = encode('opentelemetry.proto.logs.v1.ScopeLogs', { logRecords: [{ body: { stringValue: 'named twice' } }] });
    const twice = field(Buffer.concat([field(resourceOf(a), 0x0a), field(resourceOf(b), 0x0a), field(scopeLogs, 0x12)]), 0x0a);
    await queue.append(acceptedOfBytes(twice));
    expect((await streamEntries(keys.stream(shardOf(b, shards)))).map((e) => e.messages)).toEqual([['b1'], ['named twice']]);
    expect(await streamEntries(keys.stream(shardOf(a, shards)))).toHaveLength(1);
  });

  it('puts exports that arrive while a call runs into one entry per shard, in order', async () => {
    const shards = 4;
    const queue = createRedisIngestQueue({ redis: fx.redis, shards, maxBacklog: 10_000, retryWindowMs: 120_000, prefix: fx.prefix, logger: silent });
    const keys = createQueueKeys(fx.prefix);
    const services = ['checkout', 'payments', 'search', 'auth', 'cart', 'mail'];
    await Promise.all(Array.from({ length: 6 }, (_v, round) => queue.append(acceptedOf(services.map((s) => entry(s, `${s} ${round}`))))));
    let entries = 0;
    for (let shard = 0; shard < shards; shard++) {
      const rows = await streamEntries(keys.stream(shard));
      entries += rows.length;
      for (const s of services.filter((x) => shardOf(x, shards) === shard)) {
        expect(rows.flatMap((r) => r.messages).filter((m) => m.startsWith(`${s} `))).toEqual(Array.from({ length: 6 }, (_v, r) => `${s} ${r}`));
      }
    }
    const touched = new Set(services.map((s) => shardOf(s, shards))).size;
    // The first export goes alone; the five that came meanwhile go together.
    expect(entries).toBe(2 * touched);
    expect(await queue.backlog()).toBe(36);
  });

  it('trims only entries the group acknowledged, and counts each acknowledgement once', async () => {
    const queue = createRedisIngestQueue({ redis: fx.redis, shards: 1, maxBacklog: 1000, retryWindowMs: 120_000, prefix: fx.prefix, logger: silent });
    const keys = createQueueKeys(fx.prefix);
    const stream = keys.stream(0);
    for (let i = 0; i < 4; i++) await queue.append(acceptedOf([entry('svc', `m${i}a`), entry('svc', `m${i}b`)]));
    // Deliver the first three; the fourth stays undelivered.
    const read = await fx.redis.xreadgroup('GROUP', CONSUMER_GROUP, 'c1', 'COUNT', 3, 'STREAMS', stream, '>');
    const ids = (read as [string, [string, string[]][]][])[0]![1].map(([id]) => id);
    expect(ids).toHaveLength(3);
    const ack = (...which: string[]) => runQueueScript(fx.redis, 'ack-3', [stream, keys.backlog(0), keys.failures(0)], [CONSUMER_GROUP, ...which.flatMap((id) => [id, 2])]);

    expect(await ack(ids[0]!, ids[2]!)).toBe(2);
    // ids[1] is still pending: it and everything after it stays.
    expect((await streamEntries(stream)).map((r) => r.id)).toEqual([ids[1], ids[2], expect.any(String)]);
    expect(await queue.backlog()).toBe(4);

    expect(await ack(ids[1]!)).toBe(1);
    expect(await ack(ids[1]!, ids[0]!)).toBe(0);
    expect(await queue.backlog()).toBe(2);
    // Nothing pending: all delivered entries go, the undelivered one stays.
    const left = await streamEntries(stream);
    expect(left.map((r) => r.messages)).toEqual([['m3a', 'm3b']]);
  });
});
