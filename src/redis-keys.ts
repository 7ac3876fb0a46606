/**
 * Every Redis key and channel anomalog uses, built in one place.
 *
 * The pattern library: keys of one service share the hash tag `{service}`, so a
 * service's keys live in one Redis Cluster slot and its Lua scripts never cross
 * slots. The per-service keys expire after ANOMALOG_SERVICE_IDLE_TTL without
 * traffic; the shared ones (pattern-services, services) are pruned instead.
 *
 * The ingest queue and the worker leases: all share the hash tag `{ingest}`: an
 * export's records may go to several shard streams in one atomic script, so the
 * queue lives in one Redis Cluster slot. Shards exist to spread the work over
 * workers, not over Redis nodes.
 */
export interface PatternKeys {
  /** Hash: firstSeen, learned. */
  service(service: string): string;
  /** Hash: template key → pattern id. */
  templates(service: string): string;
  /** Set of the service's pattern ids. */
  patterns(service: string): string;
  /** Hash: one pattern's fields. */
  pattern(service: string, id: string): string;
  /** String counter: a pattern's records in one window (start ms). */
  windowCount(service: string, id: string, window: number): string;
  /** Hash: pattern id → service, to find a pattern by id alone (mute, get). */
  patternServices(): string;
  /** String: one cached embedding (raw float32 bytes); one hash tag for all, so MGET stays in one slot. */
  embedding(key: string): string;
  /** Pub/sub channel of pattern events. */
  events(): string;
  /** Sorted set: service → when it was last admitted (ms), the slots of ANOMALOG_MAX_SERVICES. */
  services(): string;
  /** String with expiry: the alert dedupe claim of one pattern (claim time, ms). */
  alertClaim: (service: string, id: string) => string;
}

export function createPatternKeys(prefix = 'anomalog'): PatternKeys {
  const tag = (service: string): string => `${prefix}:{${service}}`;
  return {
    service: (s) => `${tag(s)}:service`,
    templates: (s) => `${tag(s)}:templates`,
    patterns: (s) => `${tag(s)}:patterns`,
    pattern: (s, id) => `${tag(s)}:pattern:${id}`,
    windowCount: (s, id, window) => `${tag(s)}:n:${id}:${window}`,
    patternServices: () => `${prefix}:pattern-services`,
    embedding: (key) => `${prefix}:{embeddings}:${key}`,
    events: () => `${prefix}:pattern-events`,
    services: () => `${prefix}:services`,
    alertClaim: (s, id) => `${tag(s)}:alert:${id}`,
  };
}

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
  /** String with expiry: an export with this digest is stored (ANOMALOG_RETRY_WINDOW). */
  stored(digest: string): string;
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
    stored: (digest) => `${tag}:stored:${digest}`,
  };
}
