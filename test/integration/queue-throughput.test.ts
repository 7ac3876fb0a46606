import { type Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogEntry } from '../../src/log-entry.js';
import { decodeEntries, encodeEntries, encodeOtlpEntry } from '../../src/queue/entry-codec.js';
import { createQueueKeys } from '../../src/redis-keys.js';
import { createRedisIngestQueue } from '../../src/queue/redis-ingest-queue.js';
import { createStreamWorker, type StreamWorker } from '../../src/worker/stream-worker.js';
import { acceptedOf, redisFixture, silent, until, type RedisFixture } from '../queue/redis-fixture.js';

let fx: RedisFixture;
const clients: Redis[] = [];
const workers: StreamWorker[] = [];
beforeEach(async () => {
  fx = await redisFixture();
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
  for (const c of clients.splice(0)) c.disconnect();
  await fx.cleanup();
});

const SERVICES = Array.from({ length: 20 }, (_v, i) => `service-${i}`);

/** A collector-like export: a few services, shared resource per service, realistic attributes. */
function exportOf(round: number, records: number): LogEntry[] {
  const out: LogEntry[] = [];
  for (let i = 0; i < records; i++) {
    const service = SERVICES[(round + i) % SERVICES.length]!;
    out.push({
      time: 1_700_000_000_000 + round * 1000 + i,
      service,
      level: i % 10 === 0 ? 'error' : 'info',
      message: `request ${round}-${i} served in ${i % 97} ms for user u-${i * 7919}`,
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      attributes: { 'http.route': '/api/orders/{id}', 'http.status_code': 200, seq: round * records + i },
      resource: RESOURCES.get(service)!,
      scope: 'app',
    });
  }
  return out;
}
const RESOURCES = new Map(SERVICES.map((s) => [s, { 'service.name': s, 'host.name': `${s}-7d9f8c-abcde`, 'k8s.namespace.name': 'prod', 'telemetry.sdk.language': 'nodejs' }]));

describe('queue throughput', () => {
  it('moves 100k records through append → two workers → ack without loss, duplicates or reordering', async () => {
    const shards = 16;
    const queue = createRedisIngestQueue({ redis: fx.redis, shards, maxBacklog: 1_000_000, retryWindowMs: 120_000, prefix: fx.prefix, logger: silent });
    const lastSeq = new Map<string, number>();
    let handled = 0;
    let outOfOrder = 0;
    for (const name of ['w1', 'w2']) {
      const redis = fx.redis.duplicate();
      clients.push(redis);
      const worker = createStreamWorker({
        redis, shards, claimIdleSeconds: 30, consumerName: name, prefix: fx.prefix, leaseMs: 3_000, blockMs: 100, logger: silent,
        handle: async (batches) => {
          for (const e of batches.flatMap((b) => b.entries)) {
            const seq = e.attributes.seq as number;
            if ((lastSeq.get(e.service) ?? -1) >= seq) outOfOrder++;
            lastSeq.set(e.service, seq);
            handled++;
          }
        },
      });
      workers.push(worker);
      worker.start();
    }
    const exports = 200;
    const perExport = 500;
    const started = performance.now();
    for (let round = 0; round < exports; round += 8) {
      await Promise.all(Array.from({ length: 8 }, (_v, k) => queue.append(acceptedOf(exportOf(round + k, perExport)))));
    }
    const appendedAt = performance.now();
    await until(() => handled >= exports * perExport, 60_000, 'all records handled');
    const doneAt = performance.now();
    await until(async () => (await queue.backlog()) === 0, 10_000, 'backlog drained');

    expect(handled).toBe(exports * perExport);
    expect(outOfOrder).toBe(0);
    const keys = createQueueKeys(fx.prefix);
    let stored = 0;
    for (let s = 0; s < shards; s++) stored += await fx.redis.xlen(keys.stream(s));
    // Acknowledged entries are trimmed: at most the last delivered one per shard may linger.
    expect(stored).toBeLessThanOrEqual(shards);

    const sample = exportOf(0, perExport);
    const accepted = acceptedOf(sample);
    const t0 = performance.now();
    const encoded = encodeOtlpEntry('parts' in accepted ? accepted.parts : [], accepted.arrivalMs);
    const t1 = performance.now();
    decodeEntries(encoded);
    const t2 = performance.now();
    const records = exports * perExport;
    console.info(
      `queue: append ${Math.round(records / ((appendedAt - started) / 1000))} records/s, ` +
        `append→handled ${Math.round(records / ((doneAt - started) / 1000))} records/s (2 workers, 16 shards); ` +
        `entry ${(encoded.length / perExport).toFixed(0)} B/record (format 2) vs ${(encodeEntries(sample).length / perExport).toFixed(0)} (format 1), ` +
        `encode ${Math.round(perExport / ((t1 - t0) / 1000))} rec/s, decode ${Math.round(perExport / ((t2 - t1) / 1000))} rec/s`,
    );
  });
});
