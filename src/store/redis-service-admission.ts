/**
 * The service cap shared by every receiver through Redis: one sorted set of
 * service → last admitted (ms), and one Lua script per export that admits known
 * services, admits new ones while under the cap and reports the rest. Services
 * admitted within the last few seconds are answered from a local cache, so a
 * steady export costs no round trip at all.
 */
import type { Redis } from 'ioredis';
import { createPatternKeys } from '../redis-keys.js';
import { callScript, defineScripts } from './redis-scripts.js';
import type { AdmissionLimits, ServiceAdmission } from './service-admission.js';

/** How long a local "admitted" answer is trusted; far below any sensible idle TTL. */
const CACHE_MS = 5_000;

export function createRedisServiceAdmission(deps: {
  redis: Redis;
  prefix?: string;
  limits: AdmissionLimits;
  now?: () => number;
}): ServiceAdmission {
  const { redis } = deps;
  const { maxServices, serviceIdleTtlMs } = deps.limits;
  const now = deps.now ?? Date.now;
  const key = createPatternKeys(deps.prefix).services();
  /** Service → when Redis last admitted it; holds admitted services only, so at most maxServices. */
  const cache = new Map<string, number>();
  let known = 0;
  defineScripts(redis);

  return {
    maxServices,
    async admit(services) {
      const at = now();
      const ask = services.filter((s) => (cache.get(s) ?? -Infinity) <= at - CACHE_MS);
      if (ask.length === 0) return { refused: [], known };
      const [size, refused] = (await callScript(redis, 'admit-services-1', [key], [at, maxServices, at - serviceIdleTtlMs, ...ask])) as [number, string[]];
      known = size;
      const out = new Set(refused);
      for (const s of ask) {
        cache.delete(s);
        if (!out.has(s)) cache.set(s, at);
      }
      // Oldest first: drop the answers that are no longer trusted.
      for (const [s, when] of cache) {
        if (when > at - CACHE_MS) break;
        cache.delete(s);
      }
      return { refused, known };
    },
    async forgetIdle(before) {
      return redis.zremrangebyscore(key, '-inf', `(${before}`);
    },
  };
}
