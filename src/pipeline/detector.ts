/**
 * The detector: runs the detection core (detection-core.ts) over each batch and
 * does its I/O at the edges, once per batch and in batches:
 *   1. services seen for the first time are loaded from the pattern library;
 *   2. the records are mined in the miner pool (mask → miner, per service;
 *      worker threads in the service), which sums them per template and window;
 *   3. reads: the embeddings of the batch's new templates (one call, cache
 *      first) beside the spike baselines of the touched patterns;
 *   4. writes: the new templates' claims, then the batch's counts;
 *   5. the core decides the anomalies; a fresh mute read only when it found some.
 * A known template costs a map lookup; only new templates are embedded.
 *
 * Safe to repeat after a failure: local indexes take a new pattern only after the
 * store accepted it, and a pattern created by this process stays "unannounced"
 * until a process() call that emits its anomaly succeeds.
 *
 * Bounded (config.limits): past ANOMALOG_MAX_PATTERNS_PER_SERVICE a service's
 * new templates join its overflow pattern (one pattern_limit anomaly says so);
 * stored text (pattern examples and templates, anomaly messages and samples) is
 * cut to ANOMALOG_MAX_STORED_CHARS where it is made; forgetIdle drops services
 * idle for ANOMALOG_SERVICE_IDLE_TTL.
 */
import { Counter, type Registry } from 'prom-client';
import type { Anomaly } from '../anomaly.js';
import type { Embedder } from '../embeddings/embedder.js';
import { DependencyUnavailableError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { LogEntry } from '../log-entry.js';
import { isMuted, type PatternRecord } from '../pattern.js';
import { HISTORY_WINDOWS } from './baseline.js';
import type { BatchSources } from './batch-sources.js';
import {
  applyBaselines,
  applyClaims,
  createDetectionState,
  decide,
  mapGroups,
  patternTouchOf,
  planClaims,
  settle,
  staleBaselines,
  type BatchFrame,
  type CoreSettings,
  type LearnSummary,
  type NewTemplate,
} from './detection-core.js';
import { createInlineMinerPool, splitByService, type MinerPool } from './miner-pool.js';
import type { PatternLibrary } from './ports.js';
import { createServiceRegistry, type ServiceContext } from './service-context.js';
import { embeddingKey } from './template-key.js';
import type { MinerSnapshot } from './template-miner.js';
import type { Touch, Touches } from './touches.js';

export type { LearnSummary } from './detection-core.js';

export interface Detector {
  /**
   * Runs detection over a batch of entries; resolves with the anomalies found.
   * Rejects if a store is unreachable. `sources` names the stored ingest batches
   * the entries come from: processing any of them again, in any process, counts
   * nothing twice and emits the same anomalies again (same ids).
   */
  process(entries: readonly LogEntry[], sources?: BatchSources): Promise<Anomaly[]>;
  /** Same learning, never emits anomalies, and marks the services as past learning (anomalog learn). */
  learn(entries: LogEntry[]): Promise<LearnSummary>;
  /** Patterns created or changed since the last call (for the Postgres mirror table log_patterns). */
  drainPatternChanges(): PatternRecord[];
  /**
   * Forgets the services this process has not seen since `before` (ms), and has
   * the store forget its idle ones; waits for a running process() or learn().
   * Resolves with how many services were forgotten.
   */
  forgetIdle(before: number): Promise<number>;
}

export interface DetectorDeps {
  config: CoreSettings['config'];
  limits: CoreSettings['limits'];
  store: PatternLibrary;
  embedder: Embedder;
  /** Where mining runs; inline (this thread) when not given. The detector does not close it. */
  miners?: MinerPool;
  registry?: Registry;
  now?: () => number;
  logger?: Logger;
}

export function createDetector(deps: DetectorDeps): Detector {
  const { store, embedder } = deps;
  const settings: CoreSettings = { config: deps.config, limits: deps.limits };
  const now = deps.now ?? Date.now;
  const windowMs = deps.config.spikeWindowSeconds * 1000;
  const miners = deps.miners ?? createInlineMinerPool((service, error) => deps.logger?.warn({ err: error, service }, 'miner snapshot unusable; mining from scratch'));
  miners.adopt((store.attachState('miners', () => miners.snapshots()) ?? {}) as Record<string, MinerSnapshot>);
  const services = createServiceRegistry({ store, logger: deps.logger });
  const state = createDetectionState();
  const anomaliesTotal = deps.registry
    ? new Counter({
        name: 'anomalog_anomalies_total',
        help: 'Anomalies detected, by kind.',
        labelNames: ['kind'] as const,
        registers: [deps.registry],
      })
    : undefined;
  // process(), learn() and forgetIdle() one at a time: a sweep never pulls a service from under a batch.
  let tail: Promise<unknown> = Promise.resolve();
  function exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  }

  async function embedTemplates(texts: string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    try {
      if (embedder.deterministic) return await embedder.embed(texts);
      const keys = texts.map((t) => embeddingKey(embedder.model, t));
      const cached = await store.getEmbeddings(keys);
      const missing = texts.filter((_, i) => !cached[i]);
      if (missing.length === 0) return cached as Float32Array[];
      const fresh = await embedder.embed(missing);
      const put: Array<[string, Float32Array]> = [];
      let next = 0;
      const out = cached.map((v, i) => {
        if (v) return v;
        const vector = fresh[next++]!;
        put.push([keys[i]!, vector]);
        return vector;
      });
      await store.putEmbeddings(put);
      return out;
    } catch (error) {
      // Nothing of this batch is counted yet: refusing it (the exporter, or the
      // stream, keeps the records) loses nothing while the provider is down.
      if (error instanceof DependencyUnavailableError) throw error;
      throw new DependencyUnavailableError('embeddings', `embedding ${texts.length} new template(s) with ${embedder.model} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  async function readBaselines(touches: readonly Touch[]): Promise<void> {
    const { stale, queries } = staleBaselines(touches, windowMs);
    if (stale.length > 0) applyBaselines(stale, await store.windowCounts(queries));
  }

  /** Claims the new templates; their groups then touch the patterns they map to. */
  async function claim(fresh: NewTemplate[], vectors: Float32Array[], frame: BatchFrame, touches: Touches, tally: LearnSummary): Promise<void> {
    const planned = planClaims(fresh, vectors, frame, settings);
    const keys = planned.map((p) => p.claim.templateKey);
    services.claiming(keys, true);
    let results;
    try {
      results = await store.claimTemplates(planned.map((p) => p.claim));
    } finally {
      services.claiming(keys, false);
      for (const p of planned) p.fresh.ctx.unstage();
    }
    // Another process won the race for these, and its announcement has not reached us yet.
    const unknown = results.map((r, i) => ({ r, ctx: planned[i]!.fresh.ctx })).filter(({ r, ctx }) => !r.created && !ctx.patterns.has(r.id));
    const records = await Promise.all(unknown.map(({ r, ctx }) => store.get(r.id, ctx.name)));
    records.forEach((record, i) => {
      const { r, ctx } = unknown[i]!;
      if (!record) throw new Error(`pattern ${r.id} claimed for service ${ctx.name} is missing from the store`);
      ctx.commit(record);
    });
    applyClaims(planned, results, touches, state, frame, settings, tally, (ctx: ServiceContext) =>
      deps.logger?.warn(
        { service: ctx.name, limit: settings.limits.maxPatternsPerService },
        'pattern limit ANOMALOG_MAX_PATTERNS_PER_SERVICE reached: new templates of this service join its overflow pattern',
      ),
    );
  }

  async function run(entries: readonly LogEntry[], learning: boolean, sources?: BatchSources): Promise<{ anomalies: Anomaly[]; tally: LearnSummary }> {
    const frame: BatchFrame = { entries, at: now(), learning, sources };
    const tally: LearnSummary = { newTemplates: 0, newPatterns: 0 };
    await services.load(entries, frame.at);
    const groups = await miners.mine(splitByService(entries, deps.config.maxMessageChars), { maxMessageChars: deps.config.maxMessageChars, windowMs, at: frame.at });
    const { touches, fresh } = mapGroups(groups, frame, (name) => services.get(name)!, settings);
    const [vectors] = await Promise.all([embedTemplates(fresh.map((f) => f.template)), readBaselines(touches.list())]);
    if (fresh.length > 0) {
      await claim(fresh, vectors, frame, touches, tally);
      // New templates that joined a known pattern not touched before in this batch.
      await readBaselines(touches.list());
    }
    const list = touches.list();
    const totals = await store.record(list.map((t) => patternTouchOf(t, frame)), deps.config.spikeWindowSeconds, HISTORY_WINDOWS + 2);
    const decisions = decide(list, totals, state, frame, settings);
    const muted = decisions.anomalies.length > 0 ? await mutedPatterns(decisions.anomalies, frame.at) : new Set<string>();
    const anomalies = decisions.anomalies.filter((a) => !muted.has(a.patternId));
    settle(state, decisions);
    for (const a of anomalies) anomaliesTotal?.inc({ kind: a.kind });
    if (learning) for (const ctx of services.touched(entries)) await services.markLearned(ctx);
    return { anomalies, tally };
  }

  async function mutedPatterns(found: Anomaly[], at: number): Promise<Set<string>> {
    const owners = new Map(found.map((a) => [a.patternId, a.service]));
    const ids = [...owners.keys()];
    // Read fresh: another process (or the admin API) may have muted the pattern.
    const records = await Promise.all(ids.map((id) => store.get(id, owners.get(id))));
    for (const record of records) if (record) services.get(record.service)?.refresh(record);
    return new Set(ids.filter((_, i) => records[i] && isMuted(records[i], at)));
  }

  async function forgetIdle(before: number): Promise<number> {
    const stored = await store.forgetIdle(before);
    const dropped = services.forget(before, stored);
    miners.forget([...stored, ...dropped.map((ctx) => ctx.name)]);
    for (const ctx of dropped) {
      for (const id of ctx.patterns.keys()) {
        state.unannounced.delete(id);
        state.limitUnannounced.delete(id);
        state.lastSpike.delete(id);
        state.changed.delete(id);
      }
    }
    return new Set([...stored, ...dropped.map((ctx) => ctx.name)]).size;
  }

  return {
    process: (entries, sources) => exclusive(async () => (await run(entries, false, sources)).anomalies),
    learn: (entries) => exclusive(async () => (await run(entries, true)).tally),
    forgetIdle: (before) => exclusive(() => forgetIdle(before)),
    drainPatternChanges() {
      const records: PatternRecord[] = [];
      for (const [id, ctx] of state.changed) {
        const record = ctx.record(id);
        if (record) records.push(record);
      }
      state.changed.clear();
      return records;
    },
  };
}
