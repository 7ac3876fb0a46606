/**
 * The production dead letters: stream entries the workers set aside after
 * ANOMALOG_MAX_DELIVERIES failures (see scripts/fail-entry-4.lua), listed for
 * operators and queued again on request.
 */
import type { Redis } from 'ioredis';
import { DeadLetterReplayError, type DeadLetter, type DeadLetters } from '../dead-letter.js';
import { CONSUMER_GROUP, createQueueKeys } from '../redis-keys.js';
import { defineQueueScripts, runQueueScript } from './queue-scripts.js';
import { streamFields, type RawEntry } from './stream-fields.js';

const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

export function createRedisDeadLetters(deps: { redis: Redis; shards: number; prefix?: string }): DeadLetters {
  const { redis, shards } = deps;
  const keys = createQueueKeys(deps.prefix);
  defineQueueScripts(redis);

  return {
    async list(limit) {
      // As Buffers: a letter's data (d) is binary, and is not read here.
      const entries = (await redis.callBuffer('XREVRANGE', keys.deadLetters(), '+', '-', 'COUNT', limit)) as RawEntry<Buffer>[];
      return entries.map(([rawId, raw]): DeadLetter => {
        const f = streamFields(raw);
        const id = rawId.toString();
        const text = (name: string): string | undefined => f[name]?.toString();
        return {
          id,
          // A stream id starts with the ms at which Redis added the entry.
          createdAt: Number(id.slice(0, id.indexOf('-'))),
          source: `${text('shard')}/${text('entry')}`,
          records: Number(text('n') ?? 0),
          deliveries: Number(text('deliveries') ?? 0),
          error: text('error') ?? '',
        };
      });
    },

    async replay(id) {
      if (!STREAM_ID.test(id)) return false;
      const found = (await redis.callBuffer('XRANGE', keys.deadLetters(), id, id)) as RawEntry<Buffer>[];
      if (found.length === 0) return false;
      const shard = Number(streamFields(found[0]![1]).shard?.toString());
      if (!Number.isInteger(shard) || shard < 0 || shard >= shards) {
        throw new DeadLetterReplayError(`dead letter ${id} is of shard ${shard}, and there are ${shards} shards now (ANOMALOG_SHARDS)`);
      }
      const appended = await runQueueScript(redis, 'replay-dead-letter-3', [keys.deadLetters(), keys.stream(shard), keys.backlog(shard)], [id, CONSUMER_GROUP, shard]);
      return appended !== null;
    },
  };
}
