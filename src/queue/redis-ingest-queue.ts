/**
 * The receiver's pipeline in production: each export's entries, grouped by
 * shard (hash of the service name, so one service's records stay in order),
 * go into the shard streams in one atomic script. The promise resolves only
 * once Redis has stored them, so an export is acknowledged only when durable.
 */
import type { Redis } from 'ioredis';
import prom from 'prom-client';
import type { LogEntry } from '../log-entry.js';
import type { Logger } from '../logger.js';
import { encodeEntries } from './entry-codec.js';
import { CONSUMER_GROUP, createQueueKeys, shardOf } from './queue-keys.js';
import { defineQueueScripts, runQueueScript } from './queue-scripts.js';

/** A shard is at its bound: the receiver answers UNAVAILABLE/503 with Retry-After. */
export class BacklogFullError extends Error {
  readonly code = 'ANOMALOG_BACKLOG_FULL';
  constructor(
    readonly shard: number,
    readonly backlog: number,
    readonly retryAfterMs: number,
  ) {
    super(`ingest backlog of shard ${shard} is full (${backlog} records unacknowledged); retry later`);
  }
}

/** Redis is not connected: fail at once instead of queueing behind a reconnect. */
export class QueueUnavailableError extends Error {
  readonly code = 'ANOMALOG_QUEUE_UNAVAILABLE';
}

export interface IngestQueue {
  append(entries: LogEntry[]): Promise<void>;
  /** Records appended and not yet acknowledged, over all shards. */
  backlog(): Promise<number>;
}

/** Connection states in which a command would only wait for a reconnect. */
const DOWN = new Set(['reconnecting', 'close', 'end']);

/** How long a pushed-back exporter should wait: about one worker batch cycle. */
const RETRY_AFTER_MS = 1_000;

export function createRedisIngestQueue(deps: {
  redis: Redis;
  shards: number;
  maxBacklog: number;
  prefix?: string;
  logger: Logger;
  registry?: prom.Registry;
}): IngestQueue {
  const { redis, shards, maxBacklog } = deps;
  const logger = deps.logger.child({ component: 'ingest-queue' });
  const keys = createQueueKeys(deps.prefix);
  defineQueueScripts(redis);
  const registers = deps.registry ? [deps.registry] : [];
  const appended = new prom.Counter({
    name: 'anomalog_queue_appended_records_total',
    help: 'Log records appended to the ingest streams',
    registers,
  });
  const refused = new prom.Counter({
    name: 'anomalog_queue_refused_records_total',
    help: 'Log records refused by the ingest queue (backlog full or Redis unavailable); the exporter retries',
    labelNames: ['reason'],
    registers,
  });

  return {
    async append(entries) {
      if (entries.length === 0) return;
      if (DOWN.has(redis.status)) {
        refused.inc({ reason: 'unavailable' }, entries.length);
        throw new QueueUnavailableError(`redis is ${redis.status}`);
      }
      const byShard = new Map<number, LogEntry[]>();
      for (const entry of entries) {
        const shard = shardOf(entry.service, shards);
        let list = byShard.get(shard);
        if (!list) byShard.set(shard, (list = []));
        list.push(entry);
      }
      const order = [...byShard.keys()];
      const scriptKeys = order.flatMap((s) => [keys.stream(s), keys.backlog(s)]);
      const args: Array<string | number> = [CONSUMER_GROUP, maxBacklog];
      for (const s of order) {
        const list = byShard.get(s)!;
        args.push(encodeEntries(list), list.length);
      }
      let reply: unknown;
      try {
        reply = await runQueueScript(redis, 'append-2n', scriptKeys, args);
      } catch (error) {
        refused.inc({ reason: 'unavailable' }, entries.length);
        throw error;
      }
      const [status, position, backlog] = reply as [string, number, number];
      if (status === 'full') {
        const shard = order[position - 1]!;
        refused.inc({ reason: 'backlog_full' }, entries.length);
        logger.debug({ shard, backlog, records: entries.length }, 'ingest backlog full; pushing back');
        throw new BacklogFullError(shard, backlog, RETRY_AFTER_MS);
      }
      appended.inc(entries.length);
    },
    async backlog() {
      const values = await redis.mget(Array.from({ length: shards }, (_v, s) => keys.backlog(s)));
      return values.reduce((sum, v) => sum + Number(v ?? 0), 0);
    },
  };
}
