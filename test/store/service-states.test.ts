/** serviceStates, the console's read of learning state, on both pattern stores. */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryPatternStore } from '../../src/store/memory-pattern-store.js';
import type { PatternStore } from '../../src/store/pattern-store.js';
import { createRedisPatternStore } from '../../src/store/redis-pattern-store.js';

const logger = pino({ level: 'silent' });
const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function memoryStore(now: () => number): Promise<PatternStore> {
  const dir = await mkdtemp(join(tmpdir(), 'anomalog-states-'));
  const store = await createMemoryPatternStore({ dataDir: dir, snapshotIntervalSeconds: 3600, logger, now });
  cleanups.push(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  return store;
}

async function redisStore(): Promise<PatternStore> {
  const prefix = `anomalog-test-${randomUUID()}`;
  const redis = new Redis('redis://127.0.0.1:6379');
  const store = await createRedisPatternStore({ redis, prefix, idleTtlMs: 86_400_000, logger });
  cleanups.push(async () => {
    await store.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });
  return store;
}

describe.each([
  ['memory', () => memoryStore(() => T0)],
  ['redis', redisStore],
] as const)('serviceStates on the %s store', (_name, open) => {
  it('answers each service’s first record and learned flag, and undefined for a service it does not know', async () => {
    const store = await open();
    await store.startService('orders', T0 - 5_000);
    await store.startService('billing', T0 - 9_000);
    await store.markLearned('billing');
    expect(await store.serviceStates(['orders', 'nobody', 'billing'])).toEqual([
      { firstSeen: T0 - 5_000, learned: false },
      undefined,
      { firstSeen: T0 - 9_000, learned: true },
    ]);
    expect(await store.serviceStates([])).toEqual([]);
  });
});

describe('serviceStates on the memory store', () => {
  it('does not keep an idle service alive by reading it', async () => {
    let clock = T0;
    const store = await memoryStore(() => clock);
    await store.startService('orders', T0);
    clock = T0 + 60_000;
    expect(await store.serviceStates(['orders'])).toEqual([{ firstSeen: T0, learned: false }]);
    expect(await store.forgetIdle(T0 + 1)).toEqual(['orders']);
    expect(await store.serviceStates(['orders'])).toEqual([undefined]);
  });
});
