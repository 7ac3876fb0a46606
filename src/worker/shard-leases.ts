/**
 * Which shards this worker works. A shard is worked by one worker at a time: its
 * lease is a key holding the owner's name with an expiry (SET NX PX), renewed by
 * compare-and-pexpire and given up by compare-and-del. Live workers announce
 * themselves in a heartbeat sorted set; each aims at ceil(shards / live) leases,
 * so a joining worker finds shards released by those over their share, and a
 * leaving (or dead) worker's leases are free once released (or expired).
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { QueueKeys } from '../redis-keys.js';
import { defineQueueScripts, runQueueScript } from '../queue/queue-scripts.js';

export interface ShardLeases {
  /** Heartbeat, renew held leases, then release or acquire toward this worker's fair share. */
  rebalance(): Promise<void>;
  /** Heartbeat and renew held leases only (safe while a batch is being worked). */
  renew(): Promise<void>;
  /** Shards held now, ascending. */
  owned(): number[];
  /** Give every lease up and leave the live set (graceful stop). */
  releaseAll(): Promise<void>;
}

export function createShardLeases(deps: {
  redis: Redis;
  keys: QueueKeys;
  shards: number;
  owner: string;
  leaseMs: number;
  logger: Logger;
}): ShardLeases {
  const { redis, keys, shards, owner, leaseMs, logger } = deps;
  defineQueueScripts(redis);
  const held = new Set<number>();

  async function heartbeat(): Promise<string[]> {
    return (await runQueueScript(redis, 'heartbeat-1', [keys.workers()], [owner, leaseMs])) as string[];
  }

  async function renewHeld(): Promise<void> {
    const shardsHeld = [...held];
    const results = await Promise.all(shardsHeld.map((s) => runQueueScript(redis, 'renew-lease-1', [keys.lease(s)], [owner, leaseMs])));
    shardsHeld.forEach((s, i) => {
      if (results[i] !== 1) {
        held.delete(s);
        logger.warn({ shard: s }, 'shard lease lost (expired or taken over)');
      }
    });
  }

  async function release(shard: number): Promise<void> {
    held.delete(shard);
    await runQueueScript(redis, 'release-lease-1', [keys.lease(shard)], [owner]);
  }

  return {
    async renew() {
      await heartbeat();
      await renewHeld();
    },
    async rebalance() {
      const live = await heartbeat();
      await renewHeld();
      const target = Math.ceil(shards / Math.max(live.length, 1));
      // Each worker prefers its own run of shards, so workers rarely race for the same lease.
      const start = (Math.max(live.indexOf(owner), 0) * target) % shards;
      const preferred = Array.from({ length: shards }, (_v, i) => (start + i) % shards);
      if (held.size > target) {
        const extras = preferred.filter((s) => held.has(s)).slice(target);
        for (const s of extras) await release(s);
        logger.info({ released: extras, target, workers: live.length }, 'released shards over this worker\'s share');
        return;
      }
      if (held.size === target) return;
      const holders = await redis.mget(preferred.map((s) => keys.lease(s)));
      const acquired: number[] = [];
      for (let i = 0; i < preferred.length && held.size < target; i++) {
        const s = preferred[i]!;
        if (held.has(s) || (holders[i] !== null && holders[i] !== owner)) continue;
        const ok = (await redis.set(keys.lease(s), owner, 'PX', leaseMs, 'NX')) === 'OK';
        // Our own name from an earlier life of this consumer: keep it.
        if (ok || (await runQueueScript(redis, 'renew-lease-1', [keys.lease(s)], [owner, leaseMs])) === 1) {
          held.add(s);
          acquired.push(s);
        }
      }
      if (acquired.length > 0) logger.info({ acquired, target, workers: live.length }, 'acquired shard leases');
    },
    owned: () => [...held].sort((a, b) => a - b),
    async releaseAll() {
      for (const s of [...held]) await release(s);
      await redis.zrem(keys.workers(), owner);
    },
  };
}
