import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryDedupe, createRedisDedupe } from '../../src/alerts/dedupe.js';
import { createPatternKeys } from '../../src/redis-keys.js';
import { backoffMs } from '../../src/alerts/outbox.js';

describe('memory dedupe', () => {
  it('lets one claim through per service and pattern until the cooldown ends, or until released', async () => {
    let t = 1_000_000;
    const dedupe = createMemoryDedupe(() => t);
    expect(await dedupe.claim('api', 'p1', 60)).toBe(true);
    expect(await dedupe.claim('api', 'p1', 60)).toBe(false);
    expect(await dedupe.claim('api', 'p2', 60)).toBe(true);
    expect(await dedupe.claim('web', 'p1', 60)).toBe(true);
    t += 59_999;
    expect(await dedupe.claim('api', 'p1', 60)).toBe(false);
    t += 1;
    expect(await dedupe.claim('api', 'p1', 60)).toBe(true);
    await dedupe.release('api', 'p1');
    expect(await dedupe.claim('api', 'p1', 60)).toBe(true);
  });
});

describe('redis dedupe', () => {
  const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
  const prefix = `test:dedupe:${randomBytes(4).toString('hex')}`;
  beforeAll(() => redis.connect());
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('claims with SET NX EX under a service hash tag, so exactly one of many racing callers wins', async () => {
    const stores = Array.from({ length: 5 }, () => createRedisDedupe(redis, createPatternKeys(prefix).alertClaim));
    const wins = await Promise.all(stores.map((s) => s.claim('checkout', 'p9', 1800)));
    expect(wins.filter(Boolean)).toHaveLength(1);
    const key = createPatternKeys(prefix).alertClaim('checkout', 'p9');
    expect(key).toContain('{checkout}');
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(1790);
    expect(ttl).toBeLessThanOrEqual(1800);
    await stores[0]!.release('checkout', 'p9');
    expect(await stores[1]!.claim('checkout', 'p9', 1800)).toBe(true);
  });
});

describe('outbox backoff', () => {
  it('doubles from the base delay, caps at the maximum, and jitters by at most 20%', () => {
    const policy = { baseMs: 1000, maxMs: 60_000, maxAttempts: 10 };
    expect([1, 2, 3, 4].map((n) => backoffMs(n, policy, () => 0.5))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffMs(20, policy, () => 0.5)).toBe(60_000);
    expect(backoffMs(1, policy, () => 0)).toBe(800);
    expect(backoffMs(1, policy, () => 0.9999)).toBeLessThanOrEqual(1200);
  });
});
