/**
 * A worker: for the shards it holds leases on, reads the shard streams in the
 * consumer group, hands the batches of each read to `handle` together (detect,
 * commit: one detection over all of them costs its I/O once) and acknowledges
 * them only once `handle` resolved. When they fail together for what they are,
 * each is handled again alone, so one bad batch holds back only its shard: it
 * stays pending in this consumer and is retried after a backoff, while the
 * other shards go on; a dead worker's pending entries are claimed
 * (XAUTOCLAIM) once idle for claimIdleSeconds. Within a shard, pending entries
 * are always finished before new ones are read, so a shard's records reach
 * `handle` in stream order even across crashes.
 *
 * A batch that fails maxDeliveries times for what it is (any error but an
 * outage, see errors.ts) is moved to the dead-letter stream and acknowledged
 * in one script, and its shard goes on. The failures are counted in Redis, so
 * they add up across workers and restarts; an outage counts nothing, however
 * long it lasts.
 */
import { createWakeableSleep } from '../wakeable-sleep.js';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import prom from 'prom-client';
import type { LogEntry } from '../log-entry.js';
import type { Logger } from '../logger.js';
import { DEAD_LETTER_LIMIT, deadLetterMetrics, errorText } from '../dead-letter.js';
import { isTransient } from '../errors.js';
import { EntryCodecError, decodeEntries } from '../queue/entry-codec.js';
import { CONSUMER_GROUP, createQueueKeys } from '../redis-keys.js';
import { defineQueueScripts, runQueueScript } from '../queue/queue-scripts.js';
import { streamFields, type RawEntry } from '../queue/stream-fields.js';
import { createShardLeases } from './shard-leases.js';

export interface StreamBatch {
  shard: number;
  /** The stream entry id: unique per stored batch, the same on every redelivery. */
  streamId: string;
  entries: LogEntry[];
  /** Set on a batch queued again from the dead letters: the batch (`shard/streamId`) it replays. */
  replayOf?: string;
}

/**
 * A stable id for one stored batch (or, with an index, one record of it), the
 * same on every redelivery: stream ids repeat across shards, so the shard is part of it.
 */
export function sourceIdOf(batch: Pick<StreamBatch, 'shard' | 'streamId'>, index?: number): string {
  return index === undefined ? `${batch.shard}/${batch.streamId}` : `${batch.shard}/${batch.streamId}/${index}`;
}

/** Unique per process, so two live processes never share one consumer (and its pending list). */
export function defaultConsumerName(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export interface WorkerStatus {
  /** 'ok', or the last Redis error while it persists. */
  redis: string;
  /** 'ok', or the last error of `handle` while batches keep failing. */
  handler: string;
  leases: number;
  /** When this worker first got the oldest batch of its shards it has not finished (ms since the epoch). */
  oldestPendingAt: number | undefined;
}

export interface StreamWorker {
  start(): void;
  /** Finish the batch in hand, release the leases, close the reading connection. */
  stop(): Promise<void>;
  status(): WorkerStatus;
}

interface Delivered {
  shard: number;
  id: string;
  /** Read as Buffers: entry data (format 2) is binary. */
  fields: Buffer[] | null;
}
interface Finished {
  shard: number;
  id: string;
  records: number;
}

const MAX_BACKOFF_MS = 5_000;

/** The backoff after one more failure: doubles from 100 ms up to MAX_BACKOFF_MS. */
const nextBackoff = (ms: number) => Math.min(Math.max(ms * 2, 100), MAX_BACKOFF_MS);

type BufferEntry = RawEntry<Buffer>;

/** XREAD(GROUP) replies per stream: RESP2 gives [key, entries] pairs, RESP3 (ioredis's legacy mapping) a flat [key, entries, ...] list. */
function streamReplies(reply: unknown): [Buffer, BufferEntry[]][] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  if (Array.isArray(reply[0])) return reply as [Buffer, BufferEntry[]][];
  const pairs: [Buffer, BufferEntry[]][] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) pairs.push([reply[i] as Buffer, reply[i + 1] as BufferEntry[]]);
  return pairs;
}

export function createStreamWorker(deps: {
  redis: Redis;
  shards: number;
  claimIdleSeconds: number;
  consumerName: string;
  /** Handles batches in order (per shard, stream order); rejects if any of them failed. Must be safe to repeat. */
  handle: (batches: StreamBatch[]) => Promise<void>;
  /** Failures (not outages) of one batch before it goes to the dead letters (ANOMALOG_MAX_DELIVERIES). */
  maxDeliveries?: number;
  logger: Logger;
  registry?: prom.Registry;
  prefix?: string;
  /** Lease lifetime; a dead worker's shards move after this long. */
  leaseMs?: number;
  /** Longest wait for new entries in one read. */
  blockMs?: number;
  /** Stream entries per shard per read (each the shard's part of one or more exports: up to a few thousand records). */
  readCount?: number;
}): StreamWorker {
  const { redis, shards, consumerName, handle } = deps;
  const maxDeliveries = deps.maxDeliveries ?? 5;
  const leaseMs = deps.leaseMs ?? 15_000;
  const blockMs = deps.blockMs ?? Math.min(1_000, Math.floor(leaseMs / 3));
  const readCount = deps.readCount ?? 8;
  const claimIdleMs = Math.round(deps.claimIdleSeconds * 1000);
  const logger = deps.logger.child({ component: 'stream-worker', consumer: consumerName });
  const keys = createQueueKeys(deps.prefix);
  defineQueueScripts(redis);
  const leases = createShardLeases({ redis, keys, shards, owner: consumerName, leaseMs, logger });
  // Blocking reads get their own connection so lease renewals never wait behind them.
  let reader: Redis | undefined;

  const registers = deps.registry ? [deps.registry] : [];
  const metrics = {
    processed: new prom.Counter({ name: 'anomalog_worker_processed_records_total', help: 'Log records handled and acknowledged', registers }),
    claimed: new prom.Counter({ name: 'anomalog_worker_claimed_entries_total', help: 'Stream entries claimed from other (dead or stalled) workers', registers }),
    failures: new prom.Counter({
      name: 'anomalog_worker_handle_failures_total',
      help: 'Batch handlings that failed (the batch is retried; dead-lettered after ANOMALOG_MAX_DELIVERIES failures that are not outages)',
      registers,
    }),
    ...deadLetterMetrics(deps.registry),
    errors: new prom.Counter({ name: 'anomalog_worker_redis_errors_total', help: 'Worker loop errors talking to Redis', registers }),
    poison: new prom.Counter({ name: 'anomalog_worker_undecodable_entries_total', help: 'Stream entries dropped because they could not be decoded', registers }),
    leases: new prom.Gauge({
      name: 'anomalog_worker_leases',
      help: 'Shard leases this worker holds',
      registers,
      collect() {
        this.set(leases.owned().length);
      },
    }),
  };

  const status = { redis: 'ok', handler: 'ok' };
  /** Batches read and not yet finished (`shard/streamId`) → when this worker first got them. */
  const unfinished = new Map<string, { shard: number; since: number }>();
  /** Shards whose batch failed: not read again before `at`, while the other shards go on. */
  const retry = new Map<number, { backoffMs: number; at: number }>();
  let running = false;
  let loop: Promise<void> | undefined;
  let renewTimer: NodeJS.Timeout | undefined;
  let groupsReady = false;
  /** A sleep that stop() cuts short. */
  const pausing = createWakeableSleep();
  const pause = (ms: number): Promise<void> => pausing.sleep(ms);

  async function ensureGroups(): Promise<void> {
    await Promise.all(
      Array.from({ length: shards }, (_v, s) =>
        redis.xgroup('CREATE', keys.stream(s), CONSUMER_GROUP, '0', 'MKSTREAM').catch((error: Error) => {
          if (!error.message.includes('BUSYGROUP')) throw error;
        }),
      ),
    );
    groupsReady = true;
  }


  function readerClient(): Redis {
    if (!reader) {
      reader = redis.duplicate();
      reader.on('error', (error: Error) => logger.debug({ err: error.message }, 'reader connection error'));
    }
    return reader;
  }

  function collect(shardOrder: number[], reply: unknown): Delivered[] {
    const out: Delivered[] = [];
    for (const [key, entries] of streamReplies(reply)) {
      const stream = key.toString();
      const shard = shardOrder[shardOrder.findIndex((s) => keys.stream(s) === stream)]!;
      for (const [id, fields] of entries) out.push({ shard, id: id.toString(), fields });
    }
    return out;
  }

  /** What to work next: own pending first, then claimable entries of others, then new entries; waits at most maxWaitMs. */
  async function next(owned: number[], maxWaitMs: number): Promise<Delivered[]> {
    const summaries = (await Promise.all(owned.map((s) => redis.call('XPENDING', keys.stream(s), CONSUMER_GROUP)))) as [
      number,
      string | null,
      string | null,
      [string, string][] | null,
    ][];
    const mine: number[] = [];
    const others: number[] = [];
    const clear: number[] = [];
    owned.forEach((s, i) => {
      const [count, , , consumers] = summaries[i]!;
      if (count === 0) clear.push(s);
      else if (consumers?.some(([name]) => name === consumerName)) mine.push(s);
      else others.push(s);
    });
    if (mine.length > 0) {
      // Id 0 re-reads this consumer's own pending entries, oldest first.
      const reply = await redis.callBuffer('XREADGROUP', 'GROUP', CONSUMER_GROUP, consumerName, 'COUNT', readCount, 'STREAMS', ...mine.map((s) => keys.stream(s)), ...mine.map(() => '0'));
      const own = collect(mine, reply);
      if (own.length > 0) return own;
    }
    const claimed: Delivered[] = [];
    for (const s of others) {
      const [, entries] = (await redis.callBuffer('XAUTOCLAIM', keys.stream(s), CONSUMER_GROUP, consumerName, claimIdleMs, '0-0', 'COUNT', readCount)) as [Buffer, BufferEntry[]];
      for (const [id, fields] of entries) claimed.push({ shard: s, id: id.toString(), fields });
    }
    if (claimed.length > 0) {
      metrics.claimed.inc(claimed.length);
      logger.info({ entries: claimed.length, shards: [...new Set(claimed.map((c) => c.shard))] }, 'claimed idle entries of another worker');
      return claimed;
    }
    if (clear.length === 0) {
      // Only others' not-yet-idle entries: new entries must wait behind them to keep order.
      await pause(Math.min(blockMs, claimIdleMs, maxWaitMs));
      return [];
    }
    const reply = await readerClient().callBuffer(
      'XREADGROUP', 'GROUP', CONSUMER_GROUP, consumerName, 'COUNT', readCount, 'BLOCK', Math.min(blockMs, Math.ceil(maxWaitMs)),
      'STREAMS', ...clear.map((s) => keys.stream(s)), ...clear.map(() => '>'),
    );
    return collect(clear, reply);
  }

  async function ack(items: Finished[]): Promise<void> {
    if (items.length === 0) return;
    const byShard = new Map<number, Array<string | number>>();
    for (const { shard, id, records } of items) {
      let args = byShard.get(shard);
      if (!args) byShard.set(shard, (args = [CONSUMER_GROUP]));
      args.push(id, records);
    }
    await Promise.all([...byShard].map(([s, args]) => runQueueScript(redis, 'ack-3', [keys.stream(s), keys.backlog(s), keys.failures(s)], args)));
    for (const item of items) unfinished.delete(sourceIdOf({ shard: item.shard, streamId: item.id }));
  }

  /**
   * Counts a failure of the batch itself (an outage counts nothing); at
   * maxDeliveries the batch is moved to the dead letters. True when the batch
   * is off this shard: dead-lettered, or finished meanwhile by another worker.
   */
  async function countFailure(item: Finished, error: unknown): Promise<boolean> {
    if (isTransient(error)) return false;
    const scriptKeys = [keys.stream(item.shard), keys.backlog(item.shard), keys.failures(item.shard), keys.deadLetters()];
    const reply = await runQueueScript(redis, 'fail-entry-4', scriptKeys, [CONSUMER_GROUP, item.id, item.shard, maxDeliveries, errorText(error), DEAD_LETTER_LIMIT]);
    const [failures, deadLetterId, dropped] = reply as [number, string, number];
    const context = { shard: item.shard, streamId: item.id, records: item.records };
    if (failures > 0 && deadLetterId === '') {
      logger.warn({ ...context, err: error, failures, maxDeliveries }, 'batch failed for what it is; retrying it, and setting it aside at maxDeliveries failures');
      return false;
    }
    unfinished.delete(sourceIdOf({ shard: item.shard, streamId: item.id }));
    if (failures === 0) return true;
    metrics.deadLettered.inc();
    logger.error({ ...context, err: error, deliveries: failures, deadLetterId }, `batch failed ${failures} times: moved to the dead letters (see \`anomalog dead-letters\`)`);
    if (dropped > 0) {
      metrics.dropped.inc(dropped);
      logger.warn({ dropped, limit: DEAD_LETTER_LIMIT }, 'dead-letter stream full: dropped its oldest dead letters');
    }
    return true;
  }

  interface Ready {
    item: Finished;
    batch: StreamBatch;
  }

  /** What one read came to: batches handled, entries dropped, shards held back by a failure. */
  interface Outcome {
    done: Finished[];
    undecodable: Finished[];
    processed: number;
    /** Shards whose batch failed this time → that failure. */
    held: Map<number, unknown>;
    redisError?: Error;
  }

  /** Decodes each delivered entry; one this version cannot read is dropped loudly, since retrying cannot help. */
  function decodeDelivered(delivered: Delivered[], outcome: Outcome): Ready[] {
    const ready: Ready[] = [];
    for (const d of delivered) {
      const fields = streamFields(d.fields);
      // The records the entry added to the backlog, which its acknowledgement takes off.
      const item = { shard: d.shard, id: d.id, records: Number(fields.n?.toString() ?? 0) };
      const source = sourceIdOf({ shard: d.shard, streamId: d.id });
      if (!unfinished.has(source)) unfinished.set(source, { shard: d.shard, since: Date.now() });
      try {
        if (fields.d === undefined) throw new EntryCodecError('entry has no data field');
        const batch = { shard: d.shard, streamId: d.id, entries: decodeEntries(fields.d), ...(fields.o === undefined ? {} : { replayOf: fields.o.toString() }) };
        ready.push({ item, batch });
      } catch (error) {
        if (!(error instanceof EntryCodecError)) throw error;
        logger.error({ err: error, shard: d.shard, streamId: d.id, records: item.records }, 'dropping undecodable stream entry');
        outcome.undecodable.push(item);
      }
    }
    return ready;
  }

  function succeeded(ready: Ready[], outcome: Outcome): void {
    for (const { item, batch } of ready) {
      outcome.done.push(item);
      outcome.processed += batch.entries.length;
      retry.delete(item.shard);
    }
  }

  function failedHandling(error: unknown): void {
    metrics.failures.inc();
    status.handler = (error as Error).message;
  }

  /** All these batches in one call; false when it failed, and each must then be handled alone to find the one that fails. */
  async function handleTogether(ready: Ready[], outcome: Outcome): Promise<boolean> {
    try {
      await handle(ready.map((r) => r.batch));
      succeeded(ready, outcome);
      return true;
    } catch (error) {
      failedHandling(error);
      logger.debug({ err: error, batches: ready.length }, 'batches failed together; handling each alone');
      return false;
    }
  }

  /** Each batch alone, in order: one that fails holds back the rest of its shard, never the other shards. */
  async function handleEach(ready: Ready[], outcome: Outcome): Promise<void> {
    for (const r of ready) {
      const { item, batch } = r;
      if (outcome.held.has(item.shard)) continue;
      let failure: unknown;
      try {
        await handle([batch]);
        succeeded([r], outcome);
        continue;
      } catch (error) {
        failedHandling(error);
        failure = error;
      }
      try {
        if (await countFailure(item, failure)) retry.delete(item.shard);
        else outcome.held.set(item.shard, failure);
      } catch (error) {
        outcome.redisError = error as Error;
        outcome.held.set(item.shard, failure);
      }
    }
  }

  async function work(delivered: Delivered[]): Promise<void> {
    const outcome: Outcome = { done: [], undecodable: [], processed: 0, held: new Map() };
    const ready = decodeDelivered(delivered, outcome);
    // A shard retrying a failed batch goes alone, so a poison batch fails only its own attempts.
    const alone = ready.filter((r) => retry.has(r.item.shard));
    const together = ready.filter((r) => !retry.has(r.item.shard));
    if (!(together.length > 1 && (await handleTogether(together, outcome)))) await handleEach(together, outcome);
    await handleEach(alone, outcome);
    if (outcome.held.size === 0 && outcome.done.length > 0) status.handler = 'ok';
    for (const [shard, error] of outcome.held) {
      const backoffMs = nextBackoff(retry.get(shard)?.backoffMs ?? 0);
      retry.set(shard, { backoffMs, at: Date.now() + backoffMs });
      logger.warn({ err: error, shard, backoffMs }, 'batch handling failed; retrying its shard after backoff, the other shards go on');
    }
    await ack([...outcome.undecodable, ...outcome.done]);
    metrics.poison.inc(outcome.undecodable.length);
    metrics.processed.inc(outcome.processed);
    if (outcome.redisError !== undefined) throw outcome.redisError;
  }

  /** Forgets batches and backoffs of shards this worker no longer holds: another worker finishes them. */
  function forgetUnowned(owned: number[]): void {
    for (const [source, { shard }] of unfinished) if (!owned.includes(shard)) unfinished.delete(source);
    for (const shard of retry.keys()) if (!owned.includes(shard)) retry.delete(shard);
  }

  /** Consumer names are per process: drop ours from each stream unless entries still wait in it for a claim. */
  async function forgetConsumer(): Promise<void> {
    await Promise.all(
      Array.from({ length: shards }, async (_v, s) => {
        const mine = (await redis.call('XPENDING', keys.stream(s), CONSUMER_GROUP, '-', '+', 1, consumerName)) as unknown[];
        if (mine.length === 0) await redis.call('XGROUP', 'DELCONSUMER', keys.stream(s), CONSUMER_GROUP, consumerName);
      }),
    );
  }

  async function run(): Promise<void> {
    let backoffMs = 0;
    let nextRebalance = 0;
    while (running) {
      try {
        if (!groupsReady) await ensureGroups();
        if (Date.now() >= nextRebalance) {
          await leases.rebalance();
          nextRebalance = Date.now() + Math.floor(leaseMs / 3);
        }
        const owned = leases.owned();
        forgetUnowned(owned);
        if (owned.length === 0) {
          await pause(Math.floor(leaseMs / 3));
          continue;
        }
        // Shards backing off sit out; the earliest retry bounds how long the others are waited on.
        const now = Date.now();
        const ready: number[] = [];
        let untilRetry = Infinity;
        for (const s of owned) {
          const at = retry.get(s)?.at ?? 0;
          if (at <= now) ready.push(s);
          else untilRetry = Math.min(untilRetry, at - now);
        }
        if (ready.length === 0) {
          await pause(untilRetry);
          continue;
        }
        // Entries already read are worked even when stopping, rather than left for a claim.
        const delivered = await next(ready, untilRetry);
        if (delivered.length > 0) await work(delivered);
        status.redis = 'ok';
        backoffMs = 0;
      } catch (error) {
        // stop() cut a blocking read short.
        if (!running) break;
        metrics.errors.inc();
        status.redis = (error as Error).message;
        // Redis may have restarted empty: recreate the groups before reading again.
        groupsReady = false;
        backoffMs = nextBackoff(backoffMs);
        logger.warn({ err: error, backoffMs }, 'worker loop error; retrying after backoff');
        await pause(backoffMs);
      }
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      renewTimer = setInterval(() => {
        leases.renew().catch((error: unknown) => logger.warn({ err: error }, 'lease renewal failed'));
      }, Math.floor(leaseMs / 3));
      loop = run();
      logger.info({ shards, leaseMs, claimIdleMs }, 'stream worker started');
    },
    async stop() {
      if (!running) return;
      running = false;
      clearInterval(renewTimer);
      pausing.wake();
      // Cuts a blocking read short; a batch being handled still finishes and is acknowledged.
      reader?.disconnect();
      await loop;
      reader = undefined;
      try {
        await leases.releaseAll();
        await forgetConsumer();
      } catch (error) {
        logger.warn({ err: error }, 'could not release shard leases or remove the consumer; the leases expire on their own');
      }
      logger.info('stream worker stopped');
    },
    status: () => {
      let oldest: number | undefined;
      for (const { since } of unfinished.values()) if (oldest === undefined || since < oldest) oldest = since;
      return { ...status, leases: leases.owned().length, oldestPendingAt: oldest };
    },
  };
}
