/**
 * The pattern library as detection needs it: the port the pipeline owns, which
 * the stores implement (memory-pattern-store.ts for the embedded default,
 * redis-pattern-store.ts for replicas sharing Redis). The detector keeps its
 * hot-path indexes in memory and calls the library a few times per export, in
 * batches, never per record.
 */
import type { Level } from '../log-entry.js';
import type { PatternRecord, PatternStats, ServiceState } from '../pattern.js';

export interface LoadedService {
  state: ServiceState;
  patterns: PatternRecord[];
  /** Template key → pattern id. */
  templates: Map<string, string>;
}

/** Map a template key to a pattern: a new one (`pattern` set) or an existing one (`joinId`). */
export interface TemplateClaim {
  service: string;
  templateKey: string;
  /** Set to create this pattern. */
  pattern?: PatternRecord;
  /** Set to join an existing pattern, with its updated centroid. */
  joinId?: string;
  centroid?: Float32Array;
}

/** The store's answer: the pattern the key maps to now, and whether this claim created it. */
export interface ClaimResult {
  id: string;
  created: boolean;
}

/** One export's effect on one pattern in one window. */
export interface PatternTouch {
  service: string;
  id: string;
  /** Window start, ms. */
  window: number;
  count: number;
  /** Records added to the window counter: 0 when learning, whose records must not make a rate. */
  windowCount: number;
  lastSeen: number;
  level: Level;
  /** Set when the miner generalised the template. */
  template?: string;
  stats: PatternStats;
  /**
   * The stored ingest batch (`shard/streamId`) the records come from: a store
   * shared by workers applies one batch's counts once, so a redelivered batch
   * does not count twice.
   */
  source?: string;
}

export interface RecordTotals {
  /** The window's count so far. */
  window: number;
  /** The pattern's count since first seen. */
  count: number;
}

export interface WindowQuery {
  service: string;
  id: string;
  /** Window starts, ms. */
  windows: number[];
}

/** A pattern created, a template mapped or a pattern (un)muted, by any process sharing the store. */
export interface PatternEvent {
  service: string;
  id: string;
  /** Empty when no template was mapped (a mute). */
  templateKey: string;
  created: boolean;
}

export interface PatternLibrary {
  loadService(service: string): Promise<LoadedService>;
  /** Records the service's first record time unless one is known; returns the state. */
  startService(service: string, firstSeen: number): Promise<ServiceState>;
  markLearned(service: string): Promise<void>;
  /** Atomic per key: of two processes claiming one key, the first wins and both get its id. */
  claimTemplates(claims: TemplateClaim[]): Promise<ClaimResult[]>;
  /** Adds the counts; resolves with each touch's totals across all processes. */
  record(touches: PatternTouch[], windowSeconds: number, retainWindows: number): Promise<RecordTotals[]>;
  windowCounts(queries: WindowQuery[]): Promise<number[][]>;
  getEmbeddings(keys: string[]): Promise<(Float32Array | undefined)[]>;
  putEmbeddings(entries: Array<[string, Float32Array]>): Promise<void>;
  /** Called for every claim by any process (including this one). */
  onPatternEvent(listener: (event: PatternEvent) => void): void;
  /** With `service` known, one lookup less (and no wait for the id → service index). */
  get(id: string, service?: string): Promise<PatternRecord | undefined>;
  /**
   * Lets a component persist its own state with the store's snapshots (the
   * memory store; a shared store ignores it), awaiting `provide` when it returns
   * a promise. Returns the state loaded at start.
   */
  attachState(name: string, provide: () => unknown): unknown;
  /**
   * ANOMALOG_SERVICE_IDLE_TTL: forgets the services with no activity since
   * `before` (ms) and resolves with their names. A shared store lets the keys of
   * idle services expire instead (resolving with none) and tidies its indexes.
   */
  forgetIdle(before: number): Promise<string[]>;
}
