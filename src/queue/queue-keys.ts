/**
 * Every Redis key of the ingest queue and the worker leases, built in one place.
 * All share the hash tag `{ingest}`: an export's records may go to several shard
 * streams in one atomic script, so the queue lives in one Redis Cluster slot.
 * Shards exist to spread the work over workers, not over Redis nodes.
 */
export interface QueueKeys {
  /** Stream of encoded LogEntry batches for one shard. */
  stream(shard: number): string;
  /** String counter: log records appended to the shard and not yet acknowledged. */
  backlog(shard: number): string;
  /** Hash: stream entry id → failed handlings so far (not counting outages), while it is pending. */
  failures(shard: number): string;
  /** Stream of the entries set aside after ANOMALOG_MAX_DELIVERIES failures, every shard's. */
  deadLetters(): string;
  /** String: the consumer name holding the shard's lease (with expiry). */
  lease(shard: number): string;
  /** Sorted set: live worker → heartbeat expiry (Redis server time, ms). */
  workers(): string;
}

/** The one consumer group every worker reads in. */
export const CONSUMER_GROUP = 'anomalog-workers';

export function createQueueKeys(prefix = 'anomalog'): QueueKeys {
  const tag = `${prefix}:{ingest}`;
  return {
    stream: (shard) => `${tag}:stream:${shard}`,
    backlog: (shard) => `${tag}:backlog:${shard}`,
    failures: (shard) => `${tag}:failures:${shard}`,
    deadLetters: () => `${tag}:dead`,
    lease: (shard) => `${tag}:lease:${shard}`,
    workers: () => `${tag}:workers`,
  };
}

/** FNV-1a over the UTF-16 code units: stable across processes and releases. */
export function shardOf(service: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < service.length; i++) {
    hash ^= service.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}
