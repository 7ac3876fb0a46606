/**
 * Ties the pipeline together: mine (mask → miner, per service, in the miner
 * pool) → pattern lookup → counters → detectors. Past mining the detector works
 * on groups (records summed per miner template and window), not records. A
 * known template costs a map lookup; only new templates are embedded and
 * compared with the service's patterns. Stores are passed in and called a few
 * times per export, never per record.
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
import type { Config } from '../config.js';
import type { Embedder } from '../embeddings/embedder.js';
import type { Logger } from '../logger.js';
import { levelRank, type LogEntry } from '../log-entry.js';
import { isMuted, type PatternRecord } from '../pattern.js';
import type { PatternLibrary, PatternTouch } from './ports.js';
import { cutText } from '../text/safe-text.js';
import type { Anomaly, AnomalyKind } from '../anomaly.js';
import { HISTORY_WINDOWS, baselineOf, spikeTest } from './baseline.js';
import { createInlineMinerPool, splitByService, type MinerPool } from './miner-pool.js';
import type { MinedGroup } from './mine-batch.js';
import type { MinerSnapshot } from './template-miner.js';
import { createServiceRegistry, type PatternInfo, type ServiceContext } from './service-context.js';
import { createTouches, samplesOf, type Touch } from './touches.js';
import {
  OVERFLOW_TEMPLATE,
  PATTERN_LIMIT_SCORE,
  newPatternReason,
  newPatternScore,
  patternLimitReason,
  spikeReason,
  spikeScore,
  type NewPatternFacts,
} from './scoring.js';
import { DependencyUnavailableError } from '../errors.js';
import { anomalyId, embeddingKey, patternIdOf, templateKey } from './template-key.js';

export interface Detector {
  /**
   * Runs detection over one export's entries; resolves with the anomalies found.
   * Rejects if a store is unreachable. `source` names a stored ingest batch
   * (`shard/streamId`): processing the same batch again, in any process, counts
   * nothing twice and emits the same anomalies again (same ids).
   */
  process(entries: LogEntry[], source?: string): Promise<Anomaly[]>;
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

export interface LearnSummary {
  /** Templates that were new to this process, and of those, the ones that became new patterns. */
  newTemplates: number;
  newPatterns: number;
}

export interface DetectorDeps {
  config: Omit<Config['detection'], 'threads'>;
  limits: Pick<Config['limits'], 'maxPatternsPerService' | 'maxStoredChars'>;
  store: PatternLibrary;
  embedder: Embedder;
  /** Where mining runs; inline (this thread) when not given. The detector does not close it. */
  miners?: MinerPool;
  registry?: Registry;
  now?: () => number;
  logger?: Logger;
}

/** The groups of a template with no pattern yet, waiting for an embedding. */
interface NewTemplate {
  ctx: ServiceContext;
  minerId: string;
  template: string;
  groups: MinedGroup[];
  /** The template's first record in the batch, and its position. */
  first: LogEntry;
  firstIndex: number;
}

export function createDetector(deps: DetectorDeps): Detector {
  const { config, limits, store, embedder } = deps;
  const now = deps.now ?? Date.now;
  const windowMs = config.spikeWindowSeconds * 1000;
  const services = createServiceRegistry({ store, logger: deps.logger });
  const miners = deps.miners ?? createInlineMinerPool((service, error) => deps.logger?.warn({ err: error, service }, 'miner snapshot unusable; mining from scratch'));
  miners.adopt((store.attachState('miners', () => miners.snapshots()) ?? {}) as Record<string, MinerSnapshot>);
  const anomaliesTotal = deps.registry
    ? new Counter({
        name: 'anomalog_anomalies_total',
        help: 'Anomalies detected, by kind.',
        labelNames: ['kind'] as const,
        registers: [deps.registry],
      })
    : undefined;
  /** Patterns this process created whose new-pattern anomaly is not yet delivered. */
  const unannounced = new Map<string, NewPatternFacts>();
  /** Overflow patterns this process created whose pattern_limit anomaly is not yet delivered. */
  const limitUnannounced = new Set<string>();
  /** Window start of each pattern's last spike anomaly: one per pattern per window. */
  const lastSpike = new Map<string, number>();
  const changed = new Map<string, ServiceContext>();
  // process(), learn() and forgetIdle() one at a time: a sweep never pulls a service from under a batch.
  let tail: Promise<unknown> = Promise.resolve();
  function exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  }

  function pastLearning(ctx: ServiceContext, time: number): boolean {
    return ctx.state.learned || time - (ctx.state.firstSeen ?? time) >= config.learningPeriodSeconds * 1000;
  }

  function maturity(ctx: ServiceContext, time: number): number {
    const period = config.learningPeriodSeconds * 1000;
    if (ctx.state.learned || period === 0) return 1;
    return Math.min(1, Math.max(0, (time - (ctx.state.firstSeen ?? time) - period) / (3 * period)));
  }

  /** Embeds new templates (cache first) and maps each to a pattern: joins the nearest or creates one. */
  async function resolveNew(
    groups: NewTemplate[],
    learning: boolean,
    at: number,
    tally: LearnSummary,
    source: string | undefined,
  ): Promise<Array<[NewTemplate, PatternInfo]>> {
    const texts = groups.map((g) => g.template);
    let vectors: Float32Array[];
    try {
      vectors = await embedTemplates(texts);
    } catch (error) {
      // Nothing of this batch is counted yet: refusing it (the exporter, or the
      // stream, keeps the records) loses nothing while the provider is down.
      if (error instanceof DependencyUnavailableError) throw error;
      throw new DependencyUnavailableError('embeddings', `embedding ${texts.length} new template(s) with ${embedder.model} failed: ${(error as Error).message}`, { cause: error });
    }
    /** Patterns this batch proposes per service, toward ANOMALOG_MAX_PATTERNS_PER_SERVICE. */
    const proposed = new Map<ServiceContext, number>();
    const claims = groups.map((g, i) => {
      const template = texts[i]!;
      const vector = vectors[i]!;
      const key = templateKey(g.ctx.name, template);
      const nearest = g.ctx.nearest(vector);
      if (nearest && nearest.similarity >= config.similarity) {
        const centroid = g.ctx.joinedCentroid(nearest.id, vector);
        return { group: g, key, vector, nearest, overflow: false, claim: { service: g.ctx.name, templateKey: key, joinId: nearest.id, centroid } };
      }
      const first = g.first;
      const time = Math.min(first.time, at);
      const planned = proposed.get(g.ctx) ?? 0;
      // Past the cap the template maps to the overflow pattern (created by the first such claim).
      const overflow = g.ctx.patternCount() + planned >= limits.maxPatternsPerService;
      if (!overflow) proposed.set(g.ctx, planned + 1);
      const pattern: PatternRecord = {
        id: overflow ? g.ctx.overflowId : patternIdOf(key),
        service: g.ctx.name,
        template: overflow ? OVERFLOW_TEMPLATE : cutText(template, limits.maxStoredChars),
        example: cutText(first.message, limits.maxStoredChars),
        level: first.level,
        count: 0,
        firstSeen: time,
        lastSeen: time,
        centroid: vector,
        templates: 1,
        muted: false,
        mutedUntil: null,
        stats: { mean: 0, variance: 0, windows: 0 },
        ...(source === undefined ? {} : { createdBy: source }),
        ...(nearest === undefined ? {} : { nearestAtCreation: nearest.similarity }),
      };
      // Stage it, so a similar template later in this export joins it.
      if (!overflow) g.ctx.stage(pattern);
      return { group: g, key, vector, nearest, overflow, claim: { service: g.ctx.name, templateKey: key, pattern } };
    });
    const keys = claims.map((c) => c.key);
    services.claiming(keys, true);
    let results;
    try {
      results = await store.claimTemplates(claims.map((c) => c.claim));
    } finally {
      services.claiming(keys, false);
      for (const c of claims) c.group.ctx.unstage();
    }
    const resolved: Array<[NewTemplate, PatternInfo]> = [];
    for (let i = 0; i < claims.length; i++) {
      const { group, key, nearest, overflow, claim } = claims[i]!;
      const result = results[i]!;
      const ctx = group.ctx;
      let info = ctx.patterns.get(result.id);
      tally.newTemplates += 1;
      if (result.created && claim.pattern && overflow) {
        info = ctx.commit(claim.pattern);
        changed.set(info.id, ctx);
        deps.logger?.warn(
          { service: ctx.name, limit: limits.maxPatternsPerService },
          'pattern limit ANOMALOG_MAX_PATTERNS_PER_SERVICE reached: new templates of this service join its overflow pattern',
        );
        if (!learning) limitUnannounced.add(info.id);
      } else if (result.created && claim.pattern) {
        tally.newPatterns += 1;
        info = ctx.commit(claim.pattern);
        changed.set(info.id, ctx);
        const time = Math.min(group.first.time, at);
        if (!learning && pastLearning(ctx, time)) {
          unannounced.set(info.id, {
            service: ctx.name,
            level: info.level,
            template: info.template,
            knownPatterns: ctx.patterns.size - 1,
            nearestSimilarity: nearest?.similarity,
            maturity: maturity(ctx, time),
          });
        }
      } else if (!info) {
        // Another process won the race, and its announcement has not reached us yet.
        const record = await store.get(result.id, ctx.name);
        if (!record) throw new Error(`pattern ${result.id} claimed for ${key} is missing from the store`);
        info = ctx.commit(record);
      } else if (claim.centroid && result.id === claim.joinId) {
        ctx.setCentroid(result.id, claim.centroid);
      } else if (overflow && result.id === ctx.overflowId) {
        info.templates += 1;
      }
      ctx.templateKeys.set(key, info.id);
      ctx.byMinerId.set(group.minerId, info.id);
      resolved.push([group, info]);
    }
    return resolved;
  }

  async function embedTemplates(texts: string[]): Promise<Float32Array[]> {
    if (embedder.deterministic) return embedder.embed(texts);
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
  }

  /** Baselines from the windows before each touched window, read once per pattern per window. */
  async function refreshBaselines(touches: Touch[]): Promise<void> {
    const stale = touches.filter((t) => t.info.baselineWindow !== t.window);
    if (stale.length === 0) return;
    const queries = stale.map((t) => {
      const firstWindow = Math.floor(t.info.firstSeen / windowMs) * windowMs;
      const windows: number[] = [];
      for (let w = Math.max(firstWindow, t.window - HISTORY_WINDOWS * windowMs); w < t.window; w += windowMs) windows.push(w);
      return { service: t.ctx.name, id: t.info.id, windows };
    });
    const counts = await store.windowCounts(queries);
    stale.forEach((t, i) => {
      t.info.stats = baselineOf(counts[i]!);
      t.info.baselineWindow = t.window;
    });
  }

  function spikeAnomaly(t: Touch, entries: readonly LogEntry[], total: number, at: number): Anomaly | undefined {
    if (lastSpike.get(t.info.id) === t.window) return undefined;
    const verdict = spikeTest(total, t.info.stats, { ratio: config.spikeRatio, minCount: config.spikeMinCount });
    if (!verdict.spike) return undefined;
    const facts = {
      service: t.ctx.name,
      level: t.info.level,
      template: t.info.template,
      count: total,
      windowSeconds: config.spikeWindowSeconds,
      expected: verdict.expected,
      spread: Math.sqrt(Math.max(t.info.stats.variance, verdict.expected)),
      ratio: verdict.ratio,
      z: verdict.z,
    };
    return anomaly('frequency_spike', t, entries, anomalyId(t.ctx.name, t.info.id, 'frequency_spike', t.window), spikeScore(facts), spikeReason(facts), total, at);
  }

  function anomaly(kind: AnomalyKind, t: Touch, entries: readonly LogEntry[], id: string, score: number, reason: string, count: number, at: number): Anomaly {
    return {
      id,
      kind,
      service: t.ctx.name,
      level: kind === 'new_pattern' ? t.top.level : kind === 'pattern_limit' ? 'warn' : t.info.level,
      patternId: t.info.id,
      template: t.info.template,
      message: cutText(t.top.message, limits.maxStoredChars),
      samples: samplesOf(t, entries, limits.maxStoredChars),
      score,
      reason,
      traceId: t.top.traceId,
      spanId: t.top.spanId,
      timestamp: t.top.time,
      detectedAt: at,
      count,
      attributes: t.top.attributes,
      resource: t.top.resource,
    };
  }

  /** Mines the records and maps each group to a pattern (resolving new templates): the export's touches. */
  async function gather(
    entries: LogEntry[],
    learning: boolean,
    at: number,
    tally: LearnSummary,
    source: string | undefined,
  ): Promise<Touch[]> {
    const touches = createTouches(entries);
    const fresh = new Map<string, NewTemplate>();
    const groups = await miners.mine(splitByService(entries), { maxMessageChars: config.maxMessageChars, windowMs, at });
    for (const group of groups) {
      const ctx = services.get(group.service)!;
      let id = ctx.byMinerId.get(group.minerId);
      if (id === undefined) {
        id = ctx.templateKeys.get(templateKey(ctx.name, group.template));
        if (id !== undefined) ctx.byMinerId.set(group.minerId, id);
      } else if (group.changed && id !== ctx.overflowId) {
        ctx.patterns.get(id)!.pendingTemplate = cutText(group.template, limits.maxStoredChars);
      }
      if (id !== undefined) {
        touches.add(ctx, ctx.patterns.get(id)!, group);
        continue;
      }
      const key = `${ctx.name}|${group.minerId}`;
      const known = fresh.get(key);
      if (!known) fresh.set(key, { ctx, minerId: group.minerId, template: group.template, groups: [group], first: entries[group.first]!, firstIndex: group.first });
      else {
        known.groups.push(group);
        if (group.first < known.firstIndex) Object.assign(known, { first: entries[group.first]!, firstIndex: group.first });
      }
    }
    if (fresh.size > 0) {
      for (const [template, info] of await resolveNew([...fresh.values()], learning, at, tally, source)) {
        for (const group of template.groups) touches.add(template.ctx, info, group);
      }
    }
    return touches.list();
  }

  async function run(entries: LogEntry[], learning: boolean, source?: string): Promise<{ anomalies: Anomaly[]; tally: LearnSummary }> {
    const at = now();
    const tally: LearnSummary = { newTemplates: 0, newPatterns: 0 };
    await services.load(entries, at);
    const list = await gather(entries, learning, at, tally, source);
    await refreshBaselines(list);
    const totals = await store.record(list.map((t) => toPatternTouch(t, learning, source)), config.spikeWindowSeconds, HISTORY_WINDOWS + 2);

    const found: Anomaly[] = [];
    const announced = new Set<string>();
    const spiked: Array<[string, number]> = [];
    list.forEach((t, i) => {
      const info = t.info;
      const total = totals[i]!;
      if (levelRank(t.top.level) > levelRank(info.level)) info.level = t.top.level;
      if (info.pendingTemplate !== undefined) {
        info.template = info.pendingTemplate;
        info.pendingTemplate = undefined;
      }
      info.count = total.count;
      info.lastSeen = Math.max(info.lastSeen, t.lastSeen);
      changed.set(info.id, t.ctx);
      if (learning) return;
      // This batch created the pattern, and is being processed again (a worker crashed before acknowledging it).
      const createdHere = source !== undefined && info.createdBy === source;
      if (createdHere && info.id === t.ctx.overflowId) limitUnannounced.add(info.id);
      else if (createdHere && !unannounced.has(info.id) && pastLearning(t.ctx, info.firstSeen)) {
        unannounced.set(info.id, {
          service: t.ctx.name,
          level: info.level,
          template: info.template,
          knownPatterns: t.ctx.patterns.size - 1,
          nearestSimilarity: info.nearestAtCreation,
          maturity: maturity(t.ctx, info.firstSeen),
        });
      }
      if (limitUnannounced.has(info.id) && !announced.has(info.id)) {
        announced.add(info.id);
        const reason = patternLimitReason({ service: t.ctx.name, limit: limits.maxPatternsPerService });
        found.push(anomaly('pattern_limit', t, entries, anomalyId(t.ctx.name, info.id, 'pattern_limit'), PATTERN_LIMIT_SCORE, reason, t.count, at));
      }
      const facts = unannounced.get(info.id);
      if (facts && !announced.has(info.id)) {
        announced.add(info.id);
        if (levelRank(t.top.level) >= levelRank(config.newPatternMinLevel)) {
          const f = { ...facts, level: t.top.level };
          found.push(anomaly('new_pattern', t, entries, anomalyId(t.ctx.name, info.id, 'new_pattern'), newPatternScore(f), newPatternReason(f), t.count, at));
        }
      }
      const spike = spikeAnomaly(t, entries, total.window, at);
      if (spike) {
        found.push(spike);
        spiked.push([info.id, t.window]);
      }
    });

    const muted = await mutedPatterns(found, at);
    const out = found.filter((a) => !muted.has(a.patternId));
    for (const id of announced) {
      unannounced.delete(id);
      limitUnannounced.delete(id);
    }
    for (const [id, window] of spiked) lastSpike.set(id, window);
    for (const a of out) anomaliesTotal?.inc({ kind: a.kind });
    if (learning) for (const ctx of services.touched(entries)) await services.markLearned(ctx);
    return { anomalies: out, tally };
  }

  async function mutedPatterns(found: Anomaly[], at: number): Promise<Set<string>> {
    const owners = new Map(found.map((a) => [a.patternId, a.service]));
    const ids = [...owners.keys()];
    // Read fresh: another process (or the admin API) may have muted the pattern.
    const records = await Promise.all(ids.map((id) => store.get(id, owners.get(id))));
    for (const record of records) if (record) services.get(record.service)?.refresh(record);
    return new Set(ids.filter((_, i) => records[i] && isMuted(records[i], at)));
  }

  function toPatternTouch(t: Touch, learning: boolean, source: string | undefined): PatternTouch {
    return {
      service: t.ctx.name,
      id: t.info.id,
      window: t.window,
      count: t.count,
      // Learned history (often replayed at one moment) would look like a burst in today's windows.
      windowCount: learning ? 0 : t.count,
      lastSeen: t.lastSeen,
      level: levelRank(t.top.level) > levelRank(t.info.level) ? t.top.level : t.info.level,
      ...(t.info.pendingTemplate === undefined ? {} : { template: t.info.pendingTemplate }),
      stats: t.info.stats,
      ...(source === undefined ? {} : { source }),
    };
  }

  async function forgetIdle(before: number): Promise<number> {
    const stored = await store.forgetIdle(before);
    const dropped = services.forget(before, stored);
    miners.forget([...stored, ...dropped.map((ctx) => ctx.name)]);
    for (const ctx of dropped) {
      for (const id of ctx.patterns.keys()) {
        unannounced.delete(id);
        limitUnannounced.delete(id);
        lastSpike.delete(id);
        changed.delete(id);
      }
    }
    return new Set([...stored, ...dropped.map((ctx) => ctx.name)]).size;
  }

  return {
    process: (entries, source) => exclusive(async () => (await run(entries, false, source)).anomalies),
    learn: (entries) => exclusive(async () => (await run(entries, true)).tally),
    forgetIdle: (before) => exclusive(() => forgetIdle(before)),
    drainPatternChanges() {
      const records: PatternRecord[] = [];
      for (const [id, ctx] of changed) {
        const record = ctx.record(id);
        if (record) records.push(record);
      }
      changed.clear();
      return records;
    },
  };
}
