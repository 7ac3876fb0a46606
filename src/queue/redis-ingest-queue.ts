/**
 * The receiver's sink in production: each export's ResourceLogs, grouped by
 * shard (hash of the service name, so one service's records stay in order),
 * go into the shard streams as the bytes they arrived in (entry format 2), in
 * one atomic script. The promise resolves only once Redis has stored them, so
 * an export is acknowledged only when durable.
 *
 * Exports go together, one entry per shard for all of them: fewer, larger
 * entries, so fewer script calls here and fewer round trips and scripts per
 * record in the worker, whose costs are partly per entry. Those that arrive
 * while a script call runs go in the next one; and while exports come in less
 * than MAX_LINGER_MS apart, an export waits up to that long for the next ones,
 * unless the call already carries FULL_CALL_BYTES. An export that comes alone
 * goes at once. A call is all or nothing for the exports it carries: when one
 * of its shards is at the backlog bound, every one of them is pushed back.
 */
import { createWakeableSleep } from '../wakeable-sleep.js';
import type { Redis } from 'ioredis';
import prom from 'prom-client';
import type { Logger } from '../logger.js';
import { resourceLogsBytes, type AcceptedExport } from '../otlp/accepted-export.js';
import { encodeOtlpEntry } from './entry-codec.js';
import { CONSUMER_GROUP, createQueueKeys } from '../redis-keys.js';
import { shardOf } from '../shard-of.js';
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
  /** Queues the records the export's shares name (see AcceptedExport). */
  append(accepted: AcceptedExport): Promise<void>;
  /** Records appended and not yet acknowledged, over all shards. */
  backlog(): Promise<number>;
}

/** Connection states in which a command would only wait for a reconnect. */
const DOWN = new Set(['reconnecting', 'close', 'end']);

/** How long a pushed-back exporter should wait: about one worker batch cycle. */
const RETRY_AFTER_MS = 1_000;

/** Bytes of exports one script call carries at most (a single larger export still goes, alone). */
const MAX_CALL_BYTES = 8 * 1024 * 1024;

/** A call this large goes without waiting for the exports that follow. */
const FULL_CALL_BYTES = 1024 * 1024;

/** The longest an export waits for those that follow it: a small part of an export's round trip, and of alert latency. */
const MAX_LINGER_MS = 20;

/** One export waiting for its script call: its ResourceLogs by shard. */
interface Waiting {
  shards: Map<number, { parts: Uint8Array[]; records: number }>;
  records: number;
  bytes: number;
  arrivalMs: number;
  queuedAt: number;
  /** The export before it came less than MAX_LINGER_MS earlier: more are likely to follow. */
  busy: boolean;
  settle(error?: Error): void;
}

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
  const waiting: Waiting[] = [];
  let waitingBytes = 0;
  let lastQueuedAt = -Infinity;
  let calling = false;
  // Lingering for the next exports ends early once a call is full.
  const lingering = createWakeableSleep();

  function byShard(accepted: AcceptedExport): Omit<Waiting, 'settle' | 'queuedAt' | 'busy'> {
    const out = new Map<number, { parts: Uint8Array[]; records: number }>();
    let records = 0;
    let bytes = 0;
    accepted.resources.forEach((share, i) => {
      if (share.records === 0) return;
      const shard = shardOf(share.service, shards);
      let entry = out.get(shard);
      if (!entry) out.set(shard, (entry = { parts: [], records: 0 }));
      const part = resourceLogsBytes(accepted, i);
      entry.parts.push(part);
      entry.records += share.records;
      records += share.records;
      bytes += part.length;
    });
    return { shards: out, records, bytes, arrivalMs: accepted.arrivalMs };
  }

  /** One script call for the exports waiting (up to MAX_CALL_BYTES), then the next, until none wait. */
  async function drain(): Promise<void> {
    calling = true;
    try {
      while (waiting.length > 0) {
        const first = waiting[0]!;
        const lingerMs = first.queuedAt + MAX_LINGER_MS - Date.now();
        if (first.busy && waitingBytes < FULL_CALL_BYTES && lingerMs > 0) {
          await lingering.sleep(lingerMs);
          continue;
        }
        let bytes = waiting[0]!.bytes;
        let take = 1;
        while (take < waiting.length && bytes + waiting[take]!.bytes <= MAX_CALL_BYTES) bytes += waiting[take++]!.bytes;
        const group = waiting.splice(0, take);
        waitingBytes -= bytes;
        let error: Error | undefined;
        try {
          error = await store(group);
        } catch (unexpected) {
          error = unexpected as Error;
        }
        for (const w of group) w.settle(error);
      }
    } finally {
      calling = false;
    }
  }

  /** Appends the group's records, one entry per shard; resolves with the error each export gets, if any. */
  async function store(group: Waiting[]): Promise<Error | undefined> {
    const records = group.reduce((n, w) => n + w.records, 0);
    const merged = new Map<number, { parts: Uint8Array[]; records: number }>();
    for (const w of group) {
      for (const [shard, { parts, records: n }] of w.shards) {
        const entry = merged.get(shard);
        if (entry) {
          entry.parts.push(...parts);
          entry.records += n;
        } else merged.set(shard, { parts: [...parts], records: n });
      }
    }
    const order = [...merged.keys()];
    const scriptKeys = order.flatMap((s) => [keys.stream(s), keys.backlog(s)]);
    const args: Array<string | number | Buffer> = [CONSUMER_GROUP, maxBacklog];
    // The group's records count as arriving with its first export: they came within one script call of it.
    const arrivalMs = group[0]!.arrivalMs;
    for (const s of order) {
      const { parts, records: n } = merged.get(s)!;
      args.push(encodeOtlpEntry(parts, arrivalMs), n);
    }
    let reply: unknown;
    try {
      reply = await runQueueScript(redis, 'append-2n', scriptKeys, args);
    } catch (error) {
      refused.inc({ reason: 'unavailable' }, records);
      return error as Error;
    }
    const [status, position, backlog] = reply as [string, number, number];
    if (status === 'full') {
      const shard = order[position - 1]!;
      refused.inc({ reason: 'backlog_full' }, records);
      logger.debug({ shard, backlog, records, exports: group.length }, 'ingest backlog full; pushing back');
      return new BacklogFullError(shard, backlog, RETRY_AFTER_MS);
    }
    appended.inc(records);
    return undefined;
  }

  return {
    async append(accepted) {
      const shares = byShard(accepted);
      if (shares.records === 0) return;
      if (DOWN.has(redis.status)) {
        refused.inc({ reason: 'unavailable' }, shares.records);
        throw new QueueUnavailableError(`redis is ${redis.status}`);
      }
      await new Promise<void>((resolve, reject) => {
        const now = Date.now();
        waiting.push({ ...shares, queuedAt: now, busy: now - lastQueuedAt < MAX_LINGER_MS, settle: (error) => (error ? reject(error) : resolve()) });
        lastQueuedAt = now;
        waitingBytes += shares.bytes;
        if (!calling) void drain();
        else if (waitingBytes >= FULL_CALL_BYTES) lingering.wake();
      });
    },
    async backlog() {
      const values = await redis.mget(Array.from({ length: shards }, (_v, s) => keys.backlog(s)));
      return values.reduce((sum, v) => sum + Number(v ?? 0), 0);
    },
  };
}
