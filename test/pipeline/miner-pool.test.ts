import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { LogEntry } from '../../src/log-entry.js';
import { createInlineMinerPool, splitByService, type MinerPool } from '../../src/pipeline/miner-pool.js';
import { createThreadedMinerPool } from '../../src/pipeline/miner-threads.js';
import type { MineParams } from '../../src/pipeline/mine-batch.js';

const logger = pino({ level: 'silent' });
const T0 = Date.UTC(2026, 11, 1, 12);
const params: MineParams = { maxMessageChars: 4096, windowMs: 60_000, at: T0 + 120_000 };
const warnings: string[] = [];
const warn = (service: string): void => void warnings.push(service);

/** Four services, each with a few shapes whose values vary, spread over two windows. */
function batch(round: number): LogEntry[] {
  const entries: LogEntry[] = [];
  for (let i = 0; i < 400; i++) {
    const service = `svc-${i % 4}`;
    const shape = [
      `connection from 10.0.${i % 7}.${round} port ${4000 + i} accepted`,
      `user u${i} logged in after ${i * 3} ms`,
      `job ${i} failed: disk /var/data/${i % 3} is full`,
    ][i % 3]!;
    entries.push({
      time: T0 + (i % 2) * 60_000 + i,
      service,
      level: i % 3 === 2 ? 'error' : 'info',
      message: shape,
      traceId: '',
      spanId: '',
      attributes: {},
      resource: {},
    } as unknown as LogEntry);
  }
  return entries;
}

const pools: MinerPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

function open(threads: number): MinerPool {
  const pool = threads === 0 ? createInlineMinerPool(warn) : createThreadedMinerPool({ threads, warn, logger });
  pools.push(pool);
  return pool;
}

describe('miner pools', () => {
  it('mine the same groups on worker threads as inline, batch after batch', async () => {
    const inline = open(0);
    const threaded = open(3);
    for (let round = 0; round < 3; round++) {
      const parts = splitByService(batch(round), 4096);
      const [a, b] = await Promise.all([inline.mine(parts, params), threaded.mine(parts, params)]);
      expect(b).toEqual(a);
      expect(a.reduce((sum, g) => sum + g.count, 0)).toBe(400);
      // Three shapes per service, each over two windows at most.
      expect(new Set(a.map((g) => `${g.service}|${g.minerId}`)).size).toBe(12);
    }
  });

  it('keeps each service in one thread, in order, and its groups in order of first record', async () => {
    const parts = splitByService(batch(0), 4096);
    const groups = await open(2).mine(parts, params);
    expect([...new Set(groups.map((g) => g.service))]).toEqual(parts.map((p) => p.service));
    for (const service of parts.map((p) => p.service)) {
      const firsts = groups.filter((g) => g.service === service).map((g) => g.first);
      expect(firsts).toEqual([...firsts].sort((x, y) => x - y));
    }
  });

  it('hands its miners over in snapshots: a new pool adopting them goes on from what they learned', async () => {
    const names = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];
    const logins = (who: string[]): LogEntry[] => who.map((name, i) => ({ ...batch(0)[0]!, service: 'auth', time: T0 + i, message: `user ${name} logged in` }));
    const first = open(2);
    const learned = await first.mine(splitByService(logins(names), 4096), params);
    expect(learned.at(-1)!.template).toBe('user <*> logged in');
    const saved = await first.snapshots();
    expect(Object.keys(saved)).toEqual(['auth']);

    const adopting = open(3);
    adopting.adopt(saved);
    const [next] = await adopting.mine(splitByService(logins(['zed']), 4096), params);
    expect(next!.template).toBe('user <*> logged in');
    expect(learned.map((g) => g.minerId)).toContain(next!.minerId);
    // A miner started from scratch takes the line as it is.
    const [scratch] = await open(0).mine(splitByService(logins(['zed']), 4096), params);
    expect(scratch!.template).toBe('user zed logged in');
  });

  it('forgets a service: its next records start a new miner', async () => {
    const pool = open(2);
    await pool.mine(splitByService(batch(0), 4096), params);
    pool.forget(['svc-1']);
    const saved = await pool.snapshots();
    expect(Object.keys(saved).sort()).toEqual(['svc-0', 'svc-2', 'svc-3']);
  });

  it('warns and mines from scratch when a saved miner is unusable', async () => {
    warnings.length = 0;
    const pool = open(1);
    pool.adopt({ broken: { version: 999 } as never });
    const entries = batch(0).map((e) => ({ ...e, service: 'broken' }));
    const groups = await pool.mine(splitByService(entries, 4096), params);
    expect(groups.length).toBeGreaterThan(0);
    await expect.poll(() => warnings).toContain('broken');
  });
});
