/**
 * One alert per service + pattern per cooldown: the first caller to claim the key
 * wins. Redis (SET NX EX) when several processes share the work, memory otherwise.
 */
import type { Redis } from 'ioredis';

export interface DedupeStore {
  /** True when this caller is the first in ttlSeconds for service + pattern. */
  claim(service: string, patternId: string, ttlSeconds: number): Promise<boolean>;
  /** Gives a claim back (its alert could not be stored), so the next anomaly alerts. */
  release(service: string, patternId: string): Promise<void>;
  /** When the live claim was taken (ms), or undefined when there is none. */
  claimedAt(service: string, patternId: string): Promise<number | undefined>;
}

/** The only Redis commands dedupe uses. */
export type DedupeRedis = Pick<Redis, 'set' | 'del' | 'get'>;

/** `keyOf` is PatternKeys.alertClaim (src/redis-keys.ts), where every Redis key is built. */
export function createRedisDedupe(redis: DedupeRedis, keyOf: (service: string, patternId: string) => string, now: () => number = Date.now): DedupeStore {
  return {
    async claim(service, patternId, ttlSeconds) {
      const reply = await redis.set(keyOf(service, patternId), String(now()), 'EX', Math.ceil(ttlSeconds), 'NX');
      return reply === 'OK';
    },
    async release(service, patternId) {
      await redis.del(keyOf(service, patternId));
    },
    async claimedAt(service, patternId) {
      const value = await redis.get(keyOf(service, patternId));
      return value === null ? undefined : Number(value);
    },
  };
}

export function createMemoryDedupe(now: () => number = Date.now): DedupeStore {
  const expiries = new Map<string, number>();
  const takenAt = new Map<string, number>();
  let sweepAt = 1024;
  return {
    async claim(service, patternId, ttlSeconds) {
      const key = `${service}\u0000${patternId}`;
      const t = now();
      const until = expiries.get(key);
      if (until !== undefined && until > t) return false;
      // Drop expired keys when the map has doubled, so it stays proportional to the live claims.
      if (expiries.size >= sweepAt) {
        for (const [k, v] of expiries) {
          if (v > t) continue;
          expiries.delete(k);
          takenAt.delete(k);
        }
        sweepAt = Math.max(1024, expiries.size * 2);
      }
      expiries.set(key, t + ttlSeconds * 1000);
      takenAt.set(key, t);
      return true;
    },
    async release(service, patternId) {
      const key = `${service}\u0000${patternId}`;
      expiries.delete(key);
      takenAt.delete(key);
    },
    async claimedAt(service, patternId) {
      const key = `${service}\u0000${patternId}`;
      return (expiries.get(key) ?? 0) > now() ? takenAt.get(key) : undefined;
    },
  };
}
