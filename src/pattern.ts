/** A pattern: one kind of message of one service, as the detector and every store and view know it. */
import type { Level } from './log-entry.js';

/** The spike baseline, per window of ANOMALOG_SPIKE_WINDOW seconds. */
export interface PatternStats {
  mean: number;
  variance: number;
  /** Windows of history behind mean and variance. */
  windows: number;
}

export interface PatternRecord {
  id: string;
  service: string;
  /** The newest template text mapped to this pattern. */
  template: string;
  /** The first original message, cut to ANOMALOG_MAX_STORED_CHARS. */
  example: string;
  /** Highest level seen. */
  level: Level;
  count: number;
  /** ms since the epoch. */
  firstSeen: number;
  lastSeen: number;
  /** Unit-length mean of the embeddings of its templates. */
  centroid: Float32Array;
  /** Templates joined to this pattern. */
  templates: number;
  /** Muted patterns never alert: muted with mutedUntil null is forever, else until mutedUntil (ms). */
  muted: boolean;
  mutedUntil: number | null;
  stats: PatternStats;
  /**
   * The stored ingest batch (`shard/streamId`) whose records created the
   * pattern, in production mode: a worker that processes that batch again after
   * a crash re-emits the new-pattern anomaly (same id, so stored once).
   */
  createdBy?: string;
  /** Similarity to the nearest known pattern when it was created (none when it was the service's first). */
  nearestAtCreation?: number;
}

export interface ServiceState {
  /** Time of the service's first record, ms; null before any. */
  firstSeen: number | null;
  /** Set by `anomalog learn`: the learning period is over. */
  learned: boolean;
}

/** True when the pattern is muted at `now`. */
export function isMuted(record: Pick<PatternRecord, 'muted' | 'mutedUntil'>, now: number): boolean {
  return record.muted && (record.mutedUntil === null || record.mutedUntil > now);
}
