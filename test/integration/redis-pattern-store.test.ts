import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLocalEmbedder } from '../../src/embeddings/local-embedder.js';
import type { Level, LogEntry } from '../../src/log-entry.js';
import { batchSources } from '../../src/pipeline/batch-sources.js';
import { createDetector, type Detector } from '../../src/pipeline/detector.js';
import type { PatternStore } from '../../src/store/pattern-store.js';
import { createRedisPatternStore, ttlRefreshMs } from '../../src/store/redis-pattern-store.js';

const logger = pino({ level: 'silent' });
const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const MIN = 60_000;
const SERVICE = 'checkout';

/** The documented defaults. */
const config = loadConfig({}).detection;
const limits = loadConfig({}).limits;

function entry(message: string, time: number, level: Level = 'info'): LogEntry {
  return { time, service: SERVICE, level, message, traceId: '', spanId: '', attributes: {}, resource: {}, scope: '' };
}

let prefix: string;
let clients: Redis[];
let stores: PatternStore[];
let clock: number;

beforeEach(() => {
  prefix = `anomalog-test-${randomUUID()}`;
  clients = [];
  stores = [];
  clock = T0;
});

afterEach(async () => {
  for (const s of stores) await s.close();
  const redis = new Redis('redis://127.0.0.1:6379');
  const found = await redis.keys(`${prefix}:*`);
  if (found.length > 0) await redis.del(...found);
  redis.disconnect();
  for (const c of clients) c.disconnect();
});

/** One "process": its own connection, store and detector. */
async function replica(limitsOf = limits): Promise<{ store: PatternStore; detector: Detector }> {
  const redis = new Redis('redis://127.0.0.1:6379');
  clients.push(redis);
  const store = await createRedisPatternStore({ redis, prefix, idleTtlMs: limits.serviceIdleTtlMs, logger });
  stores.push(store);
  const detector = createDetector({ config, limits: limitsOf, store, embedder: createLocalEmbedder(), now: () => clock, logger });
  return { store, detector };
}

async function until(check: () => Promise<boolean>, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('redis pattern store shared by replicas', () => {
  it('two replicas meeting the same new template at once create one pattern and one anomaly', async () => {
    const a = await replica();
    const b = await replica();
    await a.detector.learn([entry('Cart 1 updated with 3 items', T0)]);
    clock = T0 + MIN;
    const msg = 'Inventory reservation 8812 failed: stock service refused connection';
    const [fromA, fromB] = await Promise.all([a.detector.process([entry(msg, clock, 'error')]), b.detector.process([entry(msg, clock, 'error')])]);
    const patterns = (await a.store.list(SERVICE)).filter((p) => p.template.startsWith('Inventory'));
    expect(patterns).toHaveLength(1);
    expect([...fromA, ...fromB].map((x) => [x.kind, x.patternId])).toEqual([['new_pattern', patterns[0]!.id]]);
    expect(patterns[0]!.count).toBe(2);
  });

  it('announces new patterns so another replica joins them without creating its own', async () => {
    const a = await replica();
    const b = await replica();
    await a.detector.learn([entry('Cart 1 updated with 3 items', T0)]);
    // b loads the service now, so it learns of a's next patterns only through pub/sub.
    expect(await b.detector.process([entry('Cart 2 updated with 4 items', T0 + 1)])).toEqual([]);
    clock = T0 + MIN;
    const created = await a.detector.process([entry('Payment provider returned malformed signature for order 77', clock, 'error')]);
    expect(created).toHaveLength(1);
    const id = created[0]!.patternId;
    await until(async () => (await b.store.get(id)) !== undefined);
    await new Promise((r) => setTimeout(r, 100));
    // A different template text (one more token, a value) that the embedding maps to a's pattern.
    const joined = await b.detector.process([entry('Payment provider returned malformed signature for order 78 (2)', clock, 'error')]);
    expect(joined).toEqual([]);
    const patterns = await b.store.list(SERVICE);
    expect(patterns).toHaveLength(2);
    expect(patterns.find((p) => p.id === id)?.templates).toBe(2);
  });

  it('shares window counters, so a spike split across replicas is seen', async () => {
    const a = await replica();
    const b = await replica();
    const msg = 'Shipping quote 5 computed in 12 ms';
    for (let w = 0; w < 6; w++) {
      clock = T0 + w * MIN + 1000;
      const batch = Array.from({ length: 5 }, () => entry(msg, clock));
      if (w === 0) await a.detector.learn(batch);
      else expect(await (w % 2 ? a : b).detector.process(batch)).toEqual([]);
    }
    clock = T0 + 6 * MIN + 1000;
    const half = () => Array.from({ length: 20 }, () => entry(msg, clock));
    expect(await a.detector.process(half())).toEqual([]); // 20: 4x
    const found = await b.detector.process(half()); // 40 across both: 8x
    expect(found.map((x) => [x.kind, x.count])).toEqual([['frequency_spike', 40]]);
  });

  it('honours a mute made through another replica', async () => {
    const a = await replica();
    const b = await replica();
    await a.detector.learn([entry('Session 1 expired', T0, 'warn')]);
    const [pattern] = await a.store.list(SERVICE);
    expect(await b.store.mute(pattern!.id, null)).toBe(true);
    expect((await a.store.get(pattern!.id))?.muted).toBe(true);
    expect(await b.store.mute('no-such-pattern', null)).toBe(false);
    for (let w = 1; w < 6; w++) {
      clock = T0 + w * MIN;
      await a.detector.process([entry('Session 1 expired', clock, 'warn')]);
    }
    clock = T0 + 6 * MIN;
    expect(await a.detector.process(Array.from({ length: 300 }, () => entry('Session 9 expired', clock, 'warn')))).toEqual([]);
    await until(async () => a.detector.drainPatternChanges().some((p) => p.id === pattern!.id && p.muted));
    expect(await b.store.unmute(pattern!.id)).toBe(true);
    expect((await a.store.get(pattern!.id))?.muted).toBe(false);
  });

  it('lets exactly one of many concurrent claims of a template key create the pattern', async () => {
    const replicas = await Promise.all(Array.from({ length: 5 }, () => replica()));
    const pattern = (id: string) => ({
      id,
      service: SERVICE,
      template: 'Worker <*> crashed',
      example: 'Worker 7 crashed',
      level: 'error' as const,
      count: 0,
      firstSeen: T0,
      lastSeen: T0,
      centroid: Float32Array.from([1, 0, 0]),
      templates: 1,
      muted: false,
      mutedUntil: null,
      stats: { mean: 0, variance: 0, windows: 0 },
    });
    const results = await Promise.all(
      replicas.map((r, i) => r.store.claimTemplates([{ service: SERVICE, templateKey: 'k-worker-crashed', pattern: pattern(`p${i}`) }])),
    );
    const flat = results.map((r) => r[0]!);
    expect(flat.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(flat.map((r) => r.id)).size).toBe(1);
    expect(await replicas[0]!.store.list(SERVICE)).toHaveLength(1);
  });

  it('caches embeddings by key across store instances', async () => {
    const a = await replica();
    const b = await replica();
    const v = Float32Array.from([0.6, 0.8, 0]);
    await a.store.putEmbeddings([['k1', v]]);
    const [hit, miss] = await b.store.getEmbeddings(['k1', 'k2']);
    expect(Array.from(hit!)).toEqual(Array.from(v));
    expect(miss).toBeUndefined();
  });

  it('a batch redelivered to another worker after a crash emits its anomaly again and counts nothing twice', async () => {
    const crashed = await replica();
    const survivor = await replica();
    await crashed.detector.learn([entry('Cart 1 updated with 3 items', T0)]);
    clock = T0 + 2 * MIN;
    const batch = [
      entry('Payment webhook signature mismatch for merchant 77', clock, 'error'),
      entry('Cart 2 updated with 5 items', clock),
      entry('Cart 3 updated with 1 items', clock),
    ];
    // The first worker detects (creating the pattern and counting) and dies before committing.
    const lost = await crashed.detector.process(batch, batchSources([{ source: '3/1795600000000-0', entries: batch }]));
    expect(lost.map((a) => a.kind)).toEqual(['new_pattern']);
    const countsAfterFirst = new Map((await survivor.store.list(SERVICE)).map((p) => [p.id, p.count]));

    // Another worker claims the same stored batch.
    const again = await survivor.detector.process(batch, batchSources([{ source: '3/1795600000000-0', entries: batch }]));
    expect(again.map((a) => [a.kind, a.id])).toEqual([['new_pattern', lost[0]!.id]]);
    const countsAfterRedelivery = new Map((await survivor.store.list(SERVICE)).map((p) => [p.id, p.count]));
    expect(countsAfterRedelivery).toEqual(countsAfterFirst);

    // The next batch counts as usual and raises nothing new.
    const nextBatch = [entry('Cart 4 updated with 2 items', clock)];
    const next = await survivor.detector.process(nextBatch, batchSources([{ source: '3/1795600000001-0', entries: nextBatch }]));
    expect(next).toEqual([]);
    const cart = (await survivor.store.list(SERVICE)).find((p) => p.template.startsWith('Cart'))!;
    expect(cart.count).toBe(countsAfterFirst.get(cart.id)! + 1);
  });

  it('stored batches detected together and redelivered one at a time count nothing twice, and the one that created a pattern emits its anomaly again', async () => {
    const crashed = await replica();
    const survivor = await replica();
    await crashed.detector.learn([entry('Cart 1 updated with 3 items', T0)]);
    clock = T0 + 2 * MIN;
    const first = [entry('Cart 2 updated with 5 items', clock), entry('Cart 3 updated with 1 items', clock)];
    const second = [entry('Payment webhook signature mismatch for merchant 77', clock, 'error'), entry('Cart 4 updated with 2 items', clock)];
    const parts = [
      { source: '3/1795600000000-0', entries: first },
      { source: '3/1795600000000-1', entries: second },
    ];
    // One worker detects a read of two stored batches at once and dies before acknowledging them.
    const lost = await crashed.detector.process([...first, ...second], batchSources(parts));
    expect(lost.map((a) => a.kind)).toEqual(['new_pattern']);
    const countsAfterFirst = new Map((await survivor.store.list(SERVICE)).map((p) => [p.id, p.count]));
    expect([...countsAfterFirst.values()].reduce((a, b) => a + b)).toBe(5);

    // Another worker gets them one at a time (as after a failure of the two together).
    expect(await survivor.detector.process(first, batchSources([parts[0]!]))).toEqual([]);
    const again = await survivor.detector.process(second, batchSources([parts[1]!]));
    expect(again.map((a) => [a.kind, a.id])).toEqual([['new_pattern', lost[0]!.id]]);
    expect(new Map((await survivor.store.list(SERVICE)).map((p) => [p.id, p.count]))).toEqual(countsAfterFirst);
  });

  it('gives every key of a service a TTL of about ANOMALOG_SERVICE_IDLE_TTL and renews them while it logs, at most once per refresh interval', async () => {
    const redis = new Redis('redis://127.0.0.1:6379');
    clients.push(redis);
    const idleTtlMs = limits.serviceIdleTtlMs;
    const store = await createRedisPatternStore({ redis, prefix, idleTtlMs, logger, now: () => clock });
    stores.push(store);
    const detector = createDetector({ config, limits, store, embedder: createLocalEmbedder(), now: () => clock, logger });
    await detector.process([entry('Cart 1 updated with 3 items', clock), entry('Checkout page rendered slowly', clock, 'warn')]);

    const serviceKeys = await redis.keys(`${prefix}:{${SERVICE}}:*`);
    expect(serviceKeys.length).toBeGreaterThanOrEqual(5);
    for (const key of serviceKeys) {
      const ttl = await redis.pttl(key);
      expect(ttl, key).toBeGreaterThan(0);
      if (!key.includes(':n:')) expect(ttl, key).toBeGreaterThan(idleTtlMs);
      expect(ttl, key).toBeLessThanOrEqual(idleTtlMs + 2 * ttlRefreshMs(idleTtlMs));
    }

    const [pattern] = await store.list(SERVICE);
    const patternKey = `${prefix}:{${SERVICE}}:pattern:${pattern!.id}`;
    await redis.expire(patternKey, 100);
    await detector.process([entry('Cart 2 updated with 1 items', clock)]);
    expect(await redis.ttl(patternKey)).toBeLessThanOrEqual(100);
    clock += ttlRefreshMs(idleTtlMs);
    await detector.process([entry('Cart 3 updated with 4 items', clock)]);
    expect(await redis.pttl(patternKey)).toBeGreaterThan(idleTtlMs);
  });

  it('drops the ids of expired patterns from the shared id index', async () => {
    const { store, detector } = await replica();
    await detector.process([entry('Cart 1 updated with 3 items', clock)]);
    const [pattern] = await store.list(SERVICE);
    expect(await store.get(pattern!.id)).toBeDefined();
    const redis = clients[0]!;
    // What expiry does once the service has been idle long enough.
    await redis.del(...(await redis.keys(`${prefix}:{${SERVICE}}:*`)));
    expect(await redis.hexists(`${prefix}:pattern-services`, pattern!.id)).toBe(1);
    expect(await store.forgetIdle(clock)).toEqual([]);
    expect(await redis.hexists(`${prefix}:pattern-services`, pattern!.id)).toBe(0);
    expect(await store.list()).toEqual([]);
  });

  it('two replicas past the pattern cap share one overflow pattern and announce the limit once', async () => {
    const capped = { ...limits, maxPatternsPerService: 1 };
    const a = await replica(capped);
    const b = await replica(capped);
    await a.detector.learn([entry('Cart 1 updated with 3 items', T0)]);
    clock = T0 + 2 * MIN;
    const fromA = await a.detector.process([entry('Inventory sync lagging behind warehouse feed', clock, 'error')]);
    expect(fromA.map((x) => x.kind)).toEqual(['pattern_limit']);
    await until(async () => (await b.store.list(SERVICE)).length === 2);
    const fromB = await b.detector.process([entry('Coupon engine returned malformed discount payload', clock, 'error')]);
    expect(fromB).toEqual([]);
    const overflow = (await b.store.list(SERVICE)).find((p) => p.id === fromA[0]!.patternId)!;
    expect(overflow).toMatchObject({ count: 2, templates: 2 });
  });
});
