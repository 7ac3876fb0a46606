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
 *
 * An export is stored once, however often it comes: Redis may store a call and
 * go down before its reply, and the exporter then retries (or the client
 * resends) what is already in the streams. Each export whose records all
 * carry a time leaves a mark named after a digest of its bytes for the retry
 * window, and one that finds its mark is acknowledged without being stored again.
 */
import { createHash } from 'node:crypto';
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
  /** Of the ResourceLogs it stores, in order: the name of its mark (empty: none, the window is 0 or a record has no time). */
  digest: string;
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
  /** How long a stored export's mark lasts (ms; 0: none, a retry is stored again). */
  retryWindowMs: number;
  prefix?: string;
  logger: Logger;
  registry?: prom.Registry;
}): IngestQueue {
  const { redis, shards, maxBacklog } = deps;
  const windowSeconds = Math.ceil(deps.retryWindowMs / 1000);
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
  const duplicates = new prom.Counter({
    name: 'anomalog_queue_duplicate_records_total',
    help: 'Log records of exports already stored (retried after a lost reply), acknowledged without storing them again',
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
    // A record with no time could be sent twice byte for byte on purpose (a script, a curl): such an export is never taken for a retry.
    const hash = windowSeconds > 0 && accepted.summary.untimed === 0 ? createHash('sha256') : undefined;
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
      // Each part's length too, so two exports differing only in where one part ends differ.
      hash?.update(`${part.length}:`).update(part);
    });
    const digest = hash ? hash.digest('base64url').slice(0, 22) : '';
    return { shards: out, records, bytes, digest, arrivalMs: accepted.arrivalMs };
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
        await store(takeGroup());
      }
    } finally {
      calling = false;
    }
  }

  /**
   * The exports of the next call: up to MAX_CALL_BYTES, and no digest twice (a
   * retry that arrives while its first try waits goes in the next call, where it finds its mark).
   */
  function takeGroup(): Waiting[] {
    const group = [waiting[0]!];
    const digests = new Set([waiting[0]!.digest]);
    let bytes = waiting[0]!.bytes;
    let i = 1;
    while (i < waiting.length && bytes + waiting[i]!.bytes <= MAX_CALL_BYTES) {
      const w = waiting[i]!;
      if (w.digest !== '' && digests.has(w.digest)) break;
      digests.add(w.digest);
      group.push(w);
      bytes += w.bytes;
      i++;
    }
    waiting.splice(0, i);
    waitingBytes -= bytes;
    return group;
  }

  /**
   * Appends the group's records, one entry per shard, and settles each export:
   * stored, or the error of the call. Exports found already stored are settled
   * as stored, and the call is made again without them.
   */
  async function store(group: Waiting[]): Promise<void> {
    let pending = group;
    let error: Error | undefined;
    try {
      while (pending.length > 0) {
        const marked = pending.filter((w) => w.digest !== '');
        const seen = await appendOnce(pending, marked);
        if (seen instanceof Error) {
          error = seen;
          break;
        }
        if (seen.length === 0) {
          for (const w of pending) w.settle();
          return;
        }
        const stored = new Set(seen.map((j) => marked[j - 1]!));
        const records = [...stored].reduce((n, w) => n + w.records, 0);
        duplicates.inc(records);
        logger.info({ exports: stored.size, records }, 'exports already stored (retried after a lost reply): acknowledged without storing them again');
        for (const w of stored) w.settle();
        pending = pending.filter((w) => !stored.has(w));
      }
    } catch (unexpected) {
      error = unexpected as Error;
    }
    for (const w of pending) w.settle(error);
  }

  /**
   * One script call for the group (`marked`: those of its exports with a digest):
   * the positions in `marked` of the exports found already stored (none when the
   * group went in), or the error every export gets.
   */
  async function appendOnce(group: Waiting[], marked: Waiting[]): Promise<number[] | Error> {
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
    for (const w of marked) scriptKeys.push(keys.stored(w.digest));
    const args: Array<string | number | Buffer> = [CONSUMER_GROUP, maxBacklog, order.length, windowSeconds];
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
    if (status === 'seen') return (reply as number[]).slice(1);
    appended.inc(records);
    return [];
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
