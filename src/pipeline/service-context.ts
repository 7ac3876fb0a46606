/**
 * What the detector keeps in memory per service: the maps from miner template
 * and template key to pattern, the pattern index, and the learning state (its
 * miner lives in the miner pool). Loaded from the store the first time a service is seen, kept
 * equal across processes by the store's pattern events, and dropped once the
 * service has been idle for ANOMALOG_SERVICE_IDLE_TTL. The map from miner template
 * to pattern is saved with the store's snapshots, beside the miners: a restored
 * template keeps its pattern when its text changes, which the template key cannot tell.
 */
import { normalise } from '../embeddings/embedder.js';
import type { Logger } from '../logger.js';
import type { LogEntry } from '../log-entry.js';
import type { PatternRecord, ServiceState } from '../pattern.js';
import type { PatternLibrary } from './ports.js';
import { createPatternIndex, type Nearest, type PatternIndex } from './pattern-index.js';
import { overflowPatternId } from './template-key.js';

export type PatternInfo = Omit<PatternRecord, 'centroid'> & {
  /** Window the stats were built for. */
  baselineWindow?: number;
  /** A generalised template text, written to the store with the next counts. */
  pendingTemplate?: string | undefined;
};

export interface ServiceContext {
  readonly name: string;
  /** The pattern that takes new templates past ANOMALOG_MAX_PATTERNS_PER_SERVICE. */
  readonly overflowId: string;
  state: ServiceState;
  /** When this process last handled a record of the service (ms). */
  lastSeen: number;
  readonly byMinerId: Map<string, string>;
  readonly templateKeys: Map<string, string>;
  readonly patterns: Map<string, PatternInfo>;
  nearest(vector: Float32Array): Nearest | undefined;
  /** The centroid after `vector` joins the pattern (the mean of its template embeddings). */
  joinedCentroid(id: string, vector: Float32Array): Float32Array;
  /** A pattern proposed but not yet accepted by the store: visible to nearest() only. */
  stage(record: PatternRecord): void;
  unstage(): void;
  commit(record: PatternRecord): PatternInfo;
  setCentroid(id: string, centroid: Float32Array): void;
  /** Takes another process's view of a known pattern: centroid, template count, mute. */
  refresh(record: PatternRecord): void;
  record(id: string): PatternRecord | undefined;
  /** Patterns of the service, its overflow pattern left out. */
  patternCount(): number;
}

function createServiceContext(name: string, state: ServiceState, lastSeen: number): ServiceContext {
  let index: PatternIndex | undefined;
  const patterns = new Map<string, PatternInfo>();
  let staged: PatternRecord[] = [];

  function indexFor(vector: Float32Array): PatternIndex {
    index ??= createPatternIndex(vector.length);
    return index;
  }

  const overflowId = overflowPatternId(name);
  return {
    name,
    overflowId,
    state,
    lastSeen,
    byMinerId: new Map(),
    templateKeys: new Map(),
    patterns,
    nearest(vector) {
      let best = index?.nearest(vector);
      for (const p of staged) {
        let dot = 0;
        for (let d = 0; d < vector.length; d++) dot += p.centroid[d]! * vector[d]!;
        if (!best || dot > best.similarity) best = { id: p.id, similarity: dot };
      }
      return best;
    },
    joinedCentroid(id, vector) {
      const current = index?.centroid(id) ?? staged.find((p) => p.id === id)?.centroid;
      if (!current) return vector;
      const n = patterns.get(id)?.templates ?? staged.find((p) => p.id === id)?.templates ?? 1;
      const sum = new Float32Array(vector.length);
      for (let d = 0; d < vector.length; d++) sum[d] = current[d]! * n + vector[d]!;
      return normalise(sum);
    },
    stage(record) {
      staged.push(record);
    },
    unstage() {
      staged = [];
    },
    commit(record) {
      const { centroid, ...rest } = record;
      indexFor(centroid).set(record.id, centroid);
      const info: PatternInfo = { ...rest };
      patterns.set(record.id, info);
      return info;
    },
    setCentroid(id, centroid) {
      indexFor(centroid).set(id, centroid);
      const info = patterns.get(id);
      if (info) info.templates += 1;
    },
    refresh(record) {
      indexFor(record.centroid).set(record.id, record.centroid);
      const info = patterns.get(record.id);
      if (!info) return;
      info.templates = record.templates;
      info.muted = record.muted;
      info.mutedUntil = record.mutedUntil;
    },
    record(id) {
      const info = patterns.get(id);
      const centroid = index?.centroid(id);
      if (!info || !centroid) return undefined;
      const { baselineWindow: _w, pendingTemplate: _t, ...rest } = info;
      return { ...rest, centroid };
    },
    patternCount: () => patterns.size - (patterns.has(overflowId) ? 1 : 0),
  };
}

export interface ServiceRegistry {
  /** Loads every service of these entries not seen before (one store round trip each), and marks them all seen at `at`. */
  load(entries: readonly LogEntry[], at: number): Promise<void>;
  /** Drops the services idle since `before` and the ones named (the store forgot them); returns what was dropped. */
  forget(before: number, named: Iterable<string>): ServiceContext[];
  get(name: string): ServiceContext | undefined;
  touched(entries: readonly LogEntry[]): ServiceContext[];
  markLearned(ctx: ServiceContext): Promise<void>;
  /** Marks template keys this process is claiming, so their store events are not applied twice. */
  claiming(keys: string[], on: boolean): void;
}

/** Name of the saved miner template → pattern maps in the store's snapshots. */
const SAVED_STATE = 'minerPatterns';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The saved maps, per service, as read back from disk: untrusted, so an entry of another shape is left out (and said). */
function readSaved(state: unknown, logger: Logger | undefined): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  let dropped = 0;
  for (const [service, map] of Object.entries(isRecord(state) ? state : {})) {
    if (!isRecord(map)) {
      dropped += 1;
      continue;
    }
    const entries = Object.entries(map).filter((e): e is [string, string] => typeof e[1] === 'string');
    dropped += Object.keys(map).length - entries.length;
    out.set(service, Object.fromEntries(entries));
  }
  if (dropped > 0 || (state !== undefined && !isRecord(state))) logger?.warn({ dropped }, 'saved miner template map partly unusable; those templates map by text');
  return out;
}

/**
 * Register it after the miners (the store takes its snapshots' parts in that
 * order): the map saved is then at least as new as the miners saved.
 */
export function createServiceRegistry(deps: { store: PatternLibrary; logger: Logger | undefined }): ServiceRegistry {
  const contexts = new Map<string, ServiceContext>();
  const inFlight = new Set<string>();
  /** The saved maps of services not loaded since the restart, kept until loaded or forgotten (as the miners are). */
  const saved = readSaved(
    deps.store.attachState(SAVED_STATE, () => {
      const out = Object.fromEntries(saved);
      for (const [name, ctx] of contexts) out[name] = Object.fromEntries(ctx.byMinerId);
      return out;
    }),
    deps.logger,
  );

  deps.store.onPatternEvent((event) => {
    const ctx = contexts.get(event.service);
    const mapping = event.templateKey !== '';
    if (!ctx || (mapping && (inFlight.has(event.templateKey) || ctx.templateKeys.get(event.templateKey) === event.id))) return;
    deps.store.get(event.id, event.service).then(
      (record) => {
        if (!record) return;
        if (ctx.patterns.has(record.id)) ctx.refresh(record);
        else ctx.commit(record);
        if (mapping) ctx.templateKeys.set(event.templateKey, record.id);
      },
      (error: unknown) => deps.logger?.warn({ err: error, patternId: event.id }, 'cannot read announced pattern'),
    );
  });

  async function loadOne(name: string, firstTime: number, at: number): Promise<void> {
    const loaded = await deps.store.loadService(name);
    const state = loaded.state.firstSeen === null ? await deps.store.startService(name, firstTime) : loaded.state;
    if (contexts.has(name)) return;
    const ctx = createServiceContext(name, state, at);
    for (const record of loaded.patterns) ctx.commit(record);
    for (const [key, id] of loaded.templates) ctx.templateKeys.set(key, id);
    // A saved entry whose pattern the store no longer has (the service was forgotten meanwhile) maps nothing.
    for (const [minerId, id] of Object.entries(saved.get(name) ?? {})) if (ctx.patterns.has(id)) ctx.byMinerId.set(minerId, id);
    saved.delete(name);
    contexts.set(name, ctx);
  }

  return {
    async load(entries, at) {
      const firstTimes = new Map<string, number>();
      for (const e of entries) {
        const known = contexts.get(e.service);
        if (known) {
          known.lastSeen = at;
          continue;
        }
        const t = Math.min(e.time, at);
        firstTimes.set(e.service, Math.min(t, firstTimes.get(e.service) ?? t));
      }
      await Promise.all([...firstTimes].map(([name, t]) => loadOne(name, t, at)));
    },
    forget(before, named) {
      const dropped: ServiceContext[] = [];
      const drop = (name: string): void => {
        const ctx = contexts.get(name);
        if (ctx) dropped.push(ctx);
        contexts.delete(name);
      };
      for (const name of named) {
        drop(name);
        saved.delete(name);
      }
      for (const [name, ctx] of contexts) if (ctx.lastSeen < before) drop(name);
      return dropped;
    },
    get: (name) => contexts.get(name),
    touched(entries) {
      const names = new Set(entries.map((e) => e.service));
      return [...names].map((n) => contexts.get(n)!).filter(Boolean);
    },
    async markLearned(ctx) {
      await deps.store.markLearned(ctx.name);
      ctx.state.learned = true;
    },
    claiming(keys, on) {
      for (const key of keys) {
        if (on) inFlight.add(key);
        else inFlight.delete(key);
      }
    },
  };
}
