/**
 * The shared pattern store: a hash per pattern, a per-service set and template
 * map, window counters with INCRBY, atomic claims in Lua, and new patterns
 * announced on a pub/sub channel so every process keeps its in-memory index
 * equal. Every call is one round trip (a pipeline), whatever the batch size.
 *
 * A service's keys expire once it has been idle for ANOMALOG_SERVICE_IDLE_TTL
 * (plus a little slack, so they outlive every process's in-memory copy): each
 * key gets its TTL when created, and the TTLs of a service's keys are renewed
 * together at most once per refresh interval while it logs.
 */
import type { ChainableCommander, Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { isLevel, levelRank } from '../log-entry.js';
import { createPatternKeys } from '../redis-keys.js';
import { decodeVector, encodeVector } from './pattern-codec.js';
import type { PatternRecord, ServiceState } from '../pattern.js';
import type { ClaimResult, PatternEvent, RecordTotals } from '../pipeline/ports.js';
import type { PatternStore } from './pattern-store.js';
import { callScript, defineScripts } from './redis-scripts.js';

export interface RedisPatternStoreDeps {
  redis: Redis;
  /** A connection for SUBSCRIBE; by default a duplicate of `redis`, closed with the store. */
  subscriber?: Redis;
  prefix?: string;
  /** ANOMALOG_SERVICE_IDLE_TTL: how long an idle service's keys (and cached embeddings) live. */
  idleTtlMs: number;
  logger: Logger;
  now?: () => number;
}

/** How often a live service's key TTLs are renewed: a tenth of the idle TTL, at most hourly. */
export function ttlRefreshMs(idleTtlMs: number): number {
  return Math.min(idleTtlMs / 10, 3_600_000);
}

/** Entries of the id → service index checked per prune step. */
const PRUNE_BATCH = 1000;
const PRUNE_STEPS = 10;

export class RedisStoreError extends Error {
  readonly code = 'ANOMALOG_REDIS_STORE';
}

async function run(pipeline: ChainableCommander): Promise<unknown[]> {
  const replies = await pipeline.exec();
  if (!replies) throw new RedisStoreError('redis pipeline aborted');
  return replies.map(([error, value]) => {
    if (error) throw new RedisStoreError(`redis command failed: ${error.message}`, { cause: error });
    return value;
  });
}

function toFields(p: PatternRecord): string[] {
  return [
    'id', p.id,
    'service', p.service,
    'template', p.template,
    'example', p.example,
    'level', p.level,
    'levelRank', String(levelRank(p.level)),
    'count', String(p.count),
    'firstSeen', String(p.firstSeen),
    'lastSeen', String(p.lastSeen),
    'centroid', encodeVector(p.centroid),
    'templates', String(p.templates),
    'muted', p.muted ? '1' : '0',
    'mutedUntil', p.mutedUntil === null ? '' : String(p.mutedUntil),
    'mean', String(p.stats.mean),
    'variance', String(p.stats.variance),
    'windows', String(p.stats.windows),
    'createdBy', p.createdBy ?? '',
    'nearestAtCreation', p.nearestAtCreation === undefined ? '' : String(p.nearestAtCreation),
  ];
}

function fromHash(h: Record<string, string>): PatternRecord | undefined {
  if (!h.id || !h.service || !h.centroid) return undefined;
  return {
    id: h.id,
    service: h.service,
    template: h.template ?? '',
    example: h.example ?? '',
    level: h.level && isLevel(h.level) ? h.level : 'info',
    count: Number(h.count ?? 0),
    firstSeen: Number(h.firstSeen ?? 0),
    lastSeen: Number(h.lastSeen ?? 0),
    centroid: decodeVector(h.centroid),
    templates: Number(h.templates ?? 1),
    muted: h.muted === '1',
    mutedUntil: h.mutedUntil ? Number(h.mutedUntil) : null,
    stats: { mean: Number(h.mean ?? 0), variance: Number(h.variance ?? 0), windows: Number(h.windows ?? 0) },
    ...(h.createdBy ? { createdBy: h.createdBy } : {}),
    ...(h.nearestAtCreation ? { nearestAtCreation: Number(h.nearestAtCreation) } : {}),
  };
}

function toState(h: Record<string, string>): ServiceState {
  return { firstSeen: h.firstSeen ? Number(h.firstSeen) : null, learned: h.learned === '1' };
}

export async function createRedisPatternStore(deps: RedisPatternStoreDeps): Promise<PatternStore> {
  const { redis, logger } = deps;
  const now = deps.now ?? Date.now;
  const keys = createPatternKeys(deps.prefix);
  const refreshMs = ttlRefreshMs(deps.idleTtlMs);
  // Two refresh intervals of slack: keys outlive the in-memory contexts, which the sweep drops after the idle TTL.
  const ttlSeconds = Math.ceil((deps.idleTtlMs + 2 * refreshMs) / 1000);
  /** Service → when this process last renewed its key TTLs. */
  const renewed = new Map<string, number>();
  /** Where the prune of the id → service index resumes (an HSCAN cursor). */
  let pruneCursor = '0';
  const ownSubscriber = !deps.subscriber;
  const subscriber = deps.subscriber ?? redis.duplicate();
  const listeners: Array<(event: PatternEvent) => void> = [];
  defineScripts(redis);

  subscriber.on('message', (channel: string, message: string) => {
    if (channel !== keys.events()) return;
    let event: PatternEvent;
    try {
      event = JSON.parse(message) as PatternEvent;
    } catch (error) {
      logger.warn({ err: error, channel }, 'malformed pattern event');
      return;
    }
    for (const listener of listeners) listener(event);
  });
  await subscriber.subscribe(keys.events());

  async function readPatterns(refs: Array<[service: string, id: string]>): Promise<PatternRecord[]> {
    if (refs.length === 0) return [];
    const p = redis.pipeline();
    for (const [service, id] of refs) p.hgetall(keys.pattern(service, id));
    const hashes = (await run(p)) as Array<Record<string, string>>;
    return hashes.map(fromHash).filter((r): r is PatternRecord => r !== undefined);
  }

  async function serviceOf(id: string): Promise<string | undefined> {
    return (await redis.hget(keys.patternServices(), id)) ?? undefined;
  }

  /** Renews the TTLs of every key of these services not renewed within the refresh interval. */
  async function keepAlive(services: Iterable<string>): Promise<void> {
    const at = now();
    const due = [...new Set(services)].filter((s) => (renewed.get(s) ?? -Infinity) <= at - refreshMs);
    if (due.length === 0) return;
    const read = redis.pipeline();
    for (const s of due) read.smembers(keys.patterns(s));
    const ids = (await run(read)) as string[][];
    const p = redis.pipeline();
    due.forEach((s, i) => {
      for (const key of [keys.service(s), keys.templates(s), keys.patterns(s)]) p.expire(key, ttlSeconds);
      for (const id of ids[i]!) p.expire(keys.pattern(s, id), ttlSeconds);
    });
    await run(p);
    for (const s of due) {
      renewed.delete(s);
      renewed.set(s, at);
    }
  }

  /** One bounded step through the id → service index, dropping ids whose pattern has expired. */
  async function pruneIndex(): Promise<number> {
    let pruned = 0;
    for (let step = 0; step < PRUNE_STEPS; step++) {
      const [next, flat] = await redis.hscan(keys.patternServices(), pruneCursor, 'COUNT', PRUNE_BATCH);
      pruneCursor = next;
      const pairs: Array<[id: string, service: string]> = [];
      for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
      if (pairs.length > 0) {
        const p = redis.pipeline();
        for (const [id, service] of pairs) p.exists(keys.pattern(service, id));
        const exists = (await run(p)) as number[];
        const gone = pairs.filter((_, i) => exists[i] === 0).map(([id]) => id);
        if (gone.length > 0) pruned += await redis.hdel(keys.patternServices(), ...gone);
      }
      if (next === '0') break;
    }
    return pruned;
  }

  async function setMute(id: string, muted: boolean, until: number | null): Promise<boolean> {
    const service = await serviceOf(id);
    if (service === undefined) return false;
    const found = await callScript(redis, 'set-mute-1', [keys.pattern(service, id)], [
      muted ? '1' : '0',
      until === null ? '' : String(until),
      keys.events(),
      service,
      id,
    ]);
    return found === 1;
  }

  return {
    async loadService(service) {
      const p = redis.pipeline().hgetall(keys.service(service)).hgetall(keys.templates(service)).smembers(keys.patterns(service));
      const [state, templates, ids] = (await run(p)) as [Record<string, string>, Record<string, string>, string[]];
      const patterns = await readPatterns(ids.map((id) => [service, id]));
      return { state: toState(state), patterns, templates: new Map(Object.entries(templates)) };
    },
    async startService(service, firstSeen) {
      const p = redis
        .pipeline()
        .hsetnx(keys.service(service), 'firstSeen', String(firstSeen))
        .expire(keys.service(service), ttlSeconds)
        .hgetall(keys.service(service));
      const [, , state] = (await run(p)) as [number, number, Record<string, string>];
      return toState(state);
    },
    async markLearned(service) {
      await run(redis.pipeline().hset(keys.service(service), 'learned', '1').expire(keys.service(service), ttlSeconds));
    },
    async serviceStates(services) {
      if (services.length === 0) return [];
      const p = redis.pipeline();
      for (const s of services) p.hgetall(keys.service(s));
      const hashes = (await run(p)) as Array<Record<string, string>>;
      // An expired (idle) service has no hash left.
      return hashes.map((h) => (Object.keys(h).length === 0 ? undefined : toState(h)));
    },
    async claimTemplates(claims) {
      if (claims.length === 0) return [];
      const p = redis.pipeline();
      for (const c of claims) {
        const id = c.pattern?.id ?? c.joinId;
        if (id === undefined) throw new RedisStoreError(`claim for ${c.templateKey} names neither a new pattern nor a known one`);
        const args = [c.templateKey, id, c.pattern ? 'create' : 'join', keys.events(), c.service, c.centroid ? encodeVector(c.centroid) : '', ttlSeconds];
        callScript(p, 'claim-template-3', [keys.templates(c.service), keys.pattern(c.service, id), keys.patterns(c.service)], [
          ...args,
          ...(c.pattern ? toFields(c.pattern) : []),
        ]);
      }
      const replies = (await run(p)) as Array<[string, number]>;
      const results: ClaimResult[] = replies.map(([id, created]) => ({ id, created: created === 1 }));
      // Cross-slot, so outside the script; idempotent, so safe to repeat.
      const created = results.flatMap((r, i) => (r.created ? [[r.id, claims[i]!.service] as const] : []));
      if (created.length > 0) await redis.hset(keys.patternServices(), Object.fromEntries(created));
      return results;
    },
    async record(touches, windowSeconds, retainWindows) {
      if (touches.length === 0) return [];
      const ttl = Math.ceil(windowSeconds * retainWindows);
      // One script call per service (and batch): its keys share a hash tag, so one slot.
      const calls = new Map<string, { service: string; source: string | undefined; indices: number[] }>();
      touches.forEach((t, i) => {
        const key = `${t.service}\u0000${t.source ?? ''}`;
        const call = calls.get(key);
        if (call) call.indices.push(i);
        else calls.set(key, { service: t.service, source: t.source, indices: [i] });
      });
      const p = redis.pipeline();
      for (const { service, source, indices } of calls.values()) {
        const scriptKeys: string[] = [];
        // Stream ids grow within a shard, and a service stays in one shard.
        const args: Array<string | number> = [ttl, source === undefined ? '' : source.slice(source.lastIndexOf('/') + 1)];
        for (const i of indices) {
          const t = touches[i]!;
          const windowKey = keys.windowCount(service, t.id, t.window);
          scriptKeys.push(keys.pattern(service, t.id), windowKey, `${windowKey}:applied`);
          args.push(t.count, t.lastSeen, levelRank(t.level), t.level, t.stats.mean, t.stats.variance, t.stats.windows, t.template ?? '', t.windowCount);
        }
        callScript(p, 'record-touches-3n', scriptKeys, args);
      }
      const replies = (await run(p)) as number[][];
      const totals = new Array<RecordTotals>(touches.length);
      [...calls.values()].forEach(({ indices }, c) => {
        const flat = replies[c]!;
        indices.forEach((i, j) => (totals[i] = { window: flat[2 * j]!, count: flat[2 * j + 1]! }));
      });
      await keepAlive([...new Set(touches.map((t) => t.service))]);
      return totals;
    },
    async windowCounts(queries) {
      const p = redis.pipeline();
      const asked = queries.filter((q) => q.windows.length > 0);
      for (const q of asked) p.mget(q.windows.map((w) => keys.windowCount(q.service, q.id, w)));
      const replies = asked.length > 0 ? ((await run(p)) as Array<Array<string | null>>) : [];
      let next = 0;
      return queries.map((q) => (q.windows.length === 0 ? [] : replies[next++]!.map((v) => Number(v ?? 0))));
    },
    async getEmbeddings(embeddingKeys) {
      if (embeddingKeys.length === 0) return [];
      const values = await redis.mgetBuffer(...embeddingKeys.map((k) => keys.embedding(k)));
      return values.map((b) => {
        if (!b) return undefined;
        const out = new Float32Array(b.byteLength / 4);
        new Uint8Array(out.buffer).set(b);
        return out;
      });
    },
    async putEmbeddings(entries) {
      if (entries.length === 0) return;
      const p = redis.pipeline();
      // An unused embedding expires like an idle service; one still needed is simply computed again.
      for (const [k, v] of entries) p.set(keys.embedding(k), Buffer.from(v.buffer, v.byteOffset, v.byteLength), 'EX', ttlSeconds);
      await run(p);
    },
    onPatternEvent(listener) {
      listeners.push(listener);
    },
    async list(service) {
      if (service !== undefined) {
        const ids = await redis.smembers(keys.patterns(service));
        return readPatterns(ids.map((id) => [service, id]));
      }
      const all = await redis.hgetall(keys.patternServices());
      return readPatterns(Object.entries(all).map(([id, s]) => [s, id]));
    },
    async get(id, knownService) {
      const service = knownService ?? (await serviceOf(id));
      if (service === undefined) return undefined;
      return fromHash(await redis.hgetall(keys.pattern(service, id)));
    },
    mute: (id, untilMs) => setMute(id, true, untilMs),
    unmute: (id) => setMute(id, false, null),
    attachState: () => undefined,
    // The keys of idle services expire by themselves; what is left is the shared id index.
    async forgetIdle(before) {
      for (const [service, at] of renewed) {
        if (at >= before) break;
        renewed.delete(service);
      }
      const pruned = await pruneIndex();
      if (pruned > 0) logger.debug({ pruned }, 'expired patterns dropped from the id index');
      return [];
    },
    async close() {
      listeners.length = 0;
      if (ownSubscriber) subscriber.disconnect();
      else await subscriber.unsubscribe(keys.events());
    },
  };
}
