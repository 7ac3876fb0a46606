/**
 * The detection core: what one batch does to the detector's state and which
 * anomalies it raises, as synchronous steps with no I/O. The detector
 * (detector.ts) runs them in order and does the reads and writes between them,
 * each once per batch:
 *   mapGroups     mined groups → touches of known patterns, and new templates;
 *   staleBaselines touches whose spike baseline is for another window → reads;
 *   planClaims    new templates with their embeddings → join the nearest pattern or create one;
 *   applyClaims   the store's answers → patterns, template maps, touches;
 *   decide        the store's totals → counts, levels, templates, and anomalies.
 */
import type { Config } from '../config.js';
import { levelRank, type LogEntry } from '../log-entry.js';
import type { Anomaly, AnomalyKind } from '../anomaly.js';
import type { PatternRecord } from '../pattern.js';
import { cutText } from '../text/safe-text.js';
import { HISTORY_WINDOWS, baselineOf, spikeTest } from './baseline.js';
import type { BatchSources } from './batch-sources.js';
import type { MinedGroup } from './mine-batch.js';
import type { ClaimResult, PatternTouch, RecordTotals, TemplateClaim, WindowQuery } from './ports.js';
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
import type { ServiceContext } from './service-context.js';
import { anomalyId, patternIdOf, templateKey } from './template-key.js';
import { differInStatement } from './miner-tokens.js';
import { createTouches, samplesOf, type Touch, type Touches } from './touches.js';

export interface CoreSettings {
  config: Omit<Config['detection'], 'threads'>;
  limits: Pick<Config['limits'], 'maxPatternsPerService' | 'maxStoredChars'>;
}

/** What the detector remembers between batches besides its services. */
export interface DetectionState {
  /** Patterns this process created whose new-pattern anomaly is not yet delivered. */
  unannounced: Map<string, NewPatternFacts>;
  /** Overflow patterns this process created whose pattern_limit anomaly is not yet delivered. */
  limitUnannounced: Set<string>;
  /** Window start of each pattern's last spike anomaly: one per pattern per window. */
  lastSpike: Map<string, number>;
  /** Patterns created or changed since the Postgres mirror last took them. */
  changed: Map<string, ServiceContext>;
}

export function createDetectionState(): DetectionState {
  return { unannounced: new Map(), limitUnannounced: new Set(), lastSpike: new Map(), changed: new Map() };
}

/** One batch: its records, its clock and whether it teaches (anomalog learn) or detects. */
export interface BatchFrame {
  entries: readonly LogEntry[];
  at: number;
  learning: boolean;
  /** The stored ingest batches the records come from, in production. */
  sources: BatchSources | undefined;
}

/** The groups of a template with no pattern yet, waiting for an embedding. */
export interface NewTemplate {
  ctx: ServiceContext;
  minerId: string;
  template: string;
  groups: MinedGroup[];
  /** The template's first record in the batch, and its position. */
  first: LogEntry;
  firstIndex: number;
}

/** A new template's claim: to join `nearest` or to create a pattern (or take the overflow one). */
export interface PlannedClaim {
  fresh: NewTemplate;
  claim: TemplateClaim;
  nearest: { id: string; similarity: number } | undefined;
  overflow: boolean;
}

export interface LearnSummary {
  /** Templates that were new to this process, and of those, the ones that became new patterns. */
  newTemplates: number;
  newPatterns: number;
}

export interface Decisions {
  anomalies: Anomaly[];
  /** Patterns whose new-pattern or pattern_limit anomaly this batch raised. */
  announced: Set<string>;
  /** [pattern, window] of each spike raised. */
  spiked: Array<[string, number]>;
}

function pastLearning(settings: CoreSettings, ctx: ServiceContext, time: number): boolean {
  return ctx.state.learned || time - (ctx.state.firstSeen ?? time) >= settings.config.learningPeriodSeconds * 1000;
}

function maturity(settings: CoreSettings, ctx: ServiceContext, time: number): number {
  const period = settings.config.learningPeriodSeconds * 1000;
  if (ctx.state.learned || period === 0) return 1;
  return Math.min(1, Math.max(0, (time - (ctx.state.firstSeen ?? time) - period) / (3 * period)));
}

/** Known groups become touches of their patterns; the others are new templates (one per service and miner template). */
export function mapGroups(
  groups: readonly MinedGroup[],
  frame: BatchFrame,
  contextOf: (service: string) => ServiceContext,
  settings: CoreSettings,
): { touches: Touches; fresh: NewTemplate[] } {
  const { entries } = frame;
  const touches = createTouches(entries);
  const fresh = new Map<string, NewTemplate>();
  for (const group of groups) {
    const ctx = contextOf(group.service);
    let id = ctx.byMinerId.get(group.minerId);
    if (id === undefined) {
      id = ctx.templateKeys.get(templateKey(ctx.name, group.template));
      if (id !== undefined) ctx.byMinerId.set(group.minerId, id);
    } else if (group.changed && id !== ctx.overflowId) {
      ctx.patterns.get(id)!.pendingTemplate = cutText(group.template, settings.limits.maxStoredChars);
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
  return { touches, fresh: [...fresh.values()] };
}

/** Touches whose baseline was built for another window, with the windows to read for each. */
export function staleBaselines(touches: readonly Touch[], windowMs: number): { stale: Touch[]; queries: WindowQuery[] } {
  const stale = touches.filter((t) => t.info.baselineWindow !== t.window);
  const queries = stale.map((t) => {
    const firstWindow = Math.floor(t.info.firstSeen / windowMs) * windowMs;
    const windows: number[] = [];
    for (let w = Math.max(firstWindow, t.window - HISTORY_WINDOWS * windowMs); w < t.window; w += windowMs) windows.push(w);
    return { service: t.ctx.name, id: t.info.id, windows };
  });
  return { stale, queries };
}

export function applyBaselines(stale: readonly Touch[], counts: readonly number[][]): void {
  stale.forEach((t, i) => {
    t.info.stats = baselineOf(counts[i]!);
    t.info.baselineWindow = t.window;
  });
}

/**
 * Each new template joins its nearest pattern when similar enough, else
 * creates one (past ANOMALOG_MAX_PATTERNS_PER_SERVICE: the service's overflow
 * pattern). A created pattern is staged, so a similar template later in the
 * batch joins it; the detector unstages once the store has answered.
 */
export function planClaims(fresh: readonly NewTemplate[], vectors: readonly Float32Array[], frame: BatchFrame, settings: CoreSettings): PlannedClaim[] {
  const { config, limits } = settings;
  /** Patterns this batch proposes per service, toward ANOMALOG_MAX_PATTERNS_PER_SERVICE. */
  const proposed = new Map<ServiceContext, number>();
  return fresh.map((f, i) => {
    const vector = vectors[i]!;
    const key = templateKey(f.ctx.name, f.template);
    const nearest = f.ctx.nearest(vector);
    const near = nearest && f.ctx.patterns.get(nearest.id);
    // Close in meaning is not enough when the texts name a different state or kind.
    if (nearest && nearest.similarity >= config.similarity && !(near && differInStatement(f.template, near.template))) {
      const centroid = f.ctx.joinedCentroid(nearest.id, vector);
      return { fresh: f, nearest, overflow: false, claim: { service: f.ctx.name, templateKey: key, joinId: nearest.id, centroid } };
    }
    const time = Math.min(f.first.time, frame.at);
    const planned = proposed.get(f.ctx) ?? 0;
    // Past the cap the template maps to the overflow pattern (created by the first such claim).
    const overflow = f.ctx.patternCount() + planned >= limits.maxPatternsPerService;
    if (!overflow) proposed.set(f.ctx, planned + 1);
    const pattern: PatternRecord = {
      id: overflow ? f.ctx.overflowId : patternIdOf(key),
      service: f.ctx.name,
      template: overflow ? OVERFLOW_TEMPLATE : cutText(f.template, limits.maxStoredChars),
      example: cutText(f.first.message, limits.maxStoredChars),
      level: f.first.level,
      count: 0,
      firstSeen: time,
      lastSeen: time,
      centroid: vector,
      templates: 1,
      muted: false,
      mutedUntil: null,
      stats: { mean: 0, variance: 0, windows: 0 },
      ...(frame.sources === undefined ? {} : { createdBy: frame.sources.of(f.firstIndex) }),
      ...(nearest === undefined ? {} : { nearestAtCreation: nearest.similarity }),
    };
    if (!overflow) f.ctx.stage(pattern);
    return { fresh: f, nearest, overflow, claim: { service: f.ctx.name, templateKey: key, pattern } };
  });
}

/**
 * The store's answers: each new template now maps to a pattern, and its groups
 * touch it. A pattern another process created (its announcement not here yet)
 * must be in its service's context already: the detector reads those first.
 */
export function applyClaims(
  planned: readonly PlannedClaim[],
  results: readonly ClaimResult[],
  touches: Touches,
  state: DetectionState,
  frame: BatchFrame,
  settings: CoreSettings,
  tally: LearnSummary,
  onOverflow: (ctx: ServiceContext) => void,
): void {
  planned.forEach(({ fresh, nearest, overflow, claim }, i) => {
    const result = results[i]!;
    const ctx = fresh.ctx;
    let info = ctx.patterns.get(result.id);
    tally.newTemplates += 1;
    if (result.created && claim.pattern && overflow) {
      info = ctx.commit(claim.pattern);
      state.changed.set(info.id, ctx);
      onOverflow(ctx);
      if (!frame.learning) state.limitUnannounced.add(info.id);
    } else if (result.created && claim.pattern) {
      tally.newPatterns += 1;
      info = ctx.commit(claim.pattern);
      state.changed.set(info.id, ctx);
      const time = Math.min(fresh.first.time, frame.at);
      if (!frame.learning && pastLearning(settings, ctx, time)) {
        state.unannounced.set(info.id, {
          service: ctx.name,
          level: info.level,
          template: info.template,
          knownPatterns: ctx.patterns.size - 1,
          nearestSimilarity: nearest?.similarity,
          maturity: maturity(settings, ctx, time),
        });
      }
    } else if (!info) {
      throw new Error(`pattern ${result.id} claimed for ${claim.templateKey} is missing from service ${ctx.name}`);
    } else if (claim.centroid && result.id === claim.joinId) {
      ctx.setCentroid(result.id, claim.centroid);
    } else if (overflow && result.id === ctx.overflowId) {
      info.templates += 1;
    }
    ctx.templateKeys.set(claim.templateKey, info.id);
    ctx.byMinerId.set(fresh.minerId, info.id);
    for (const group of fresh.groups) touches.add(ctx, info, group);
  });
}

/** A touch as the store counts it. */
export function patternTouchOf(t: Touch, frame: BatchFrame): PatternTouch {
  return {
    service: t.ctx.name,
    id: t.info.id,
    window: t.window,
    count: t.count,
    // Learned history (often replayed at one moment) would look like a burst in today's windows.
    windowCount: frame.learning ? 0 : t.count,
    lastSeen: t.lastSeen,
    level: levelRank(t.top.level) > levelRank(t.info.level) ? t.top.level : t.info.level,
    ...(t.info.pendingTemplate === undefined ? {} : { template: t.info.pendingTemplate }),
    stats: t.info.stats,
    ...(frame.sources === undefined ? {} : { source: frame.sources.newestOf(t.ctx.name) }),
  };
}

/**
 * With the store's totals: each pattern takes its new count, level, last seen
 * and generalised template, and the detectors judge each touch: a pattern's
 * first appearance (new_pattern), a service past its pattern cap
 * (pattern_limit), a window far above its baseline (frequency_spike).
 */
export function decide(touches: readonly Touch[], totals: readonly RecordTotals[], state: DetectionState, frame: BatchFrame, settings: CoreSettings): Decisions {
  const { config, limits } = settings;
  const { entries, at, learning, sources } = frame;
  const anomalies: Anomaly[] = [];
  const announced = new Set<string>();
  const spiked: Array<[string, number]> = [];

  const anomaly = (kind: AnomalyKind, t: Touch, id: string, score: number, reason: string, count: number): Anomaly => ({
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
  });

  touches.forEach((t, i) => {
    const info = t.info;
    const total = totals[i]!;
    if (levelRank(t.top.level) > levelRank(info.level)) info.level = t.top.level;
    if (info.pendingTemplate !== undefined) {
      info.template = info.pendingTemplate;
      info.pendingTemplate = undefined;
    }
    info.count = total.count;
    info.lastSeen = Math.max(info.lastSeen, t.lastSeen);
    state.changed.set(info.id, t.ctx);
    if (learning) return;
    // This batch created the pattern, and is being processed again (a worker crashed before acknowledging it).
    const createdHere = sources !== undefined && info.createdBy !== undefined && sources.has(info.createdBy);
    if (createdHere && info.id === t.ctx.overflowId) state.limitUnannounced.add(info.id);
    else if (createdHere && !state.unannounced.has(info.id) && pastLearning(settings, t.ctx, info.firstSeen)) {
      state.unannounced.set(info.id, {
        service: t.ctx.name,
        level: info.level,
        template: info.template,
        knownPatterns: t.ctx.patterns.size - 1,
        nearestSimilarity: info.nearestAtCreation,
        maturity: maturity(settings, t.ctx, info.firstSeen),
      });
    }
    if (state.limitUnannounced.has(info.id) && !announced.has(info.id)) {
      announced.add(info.id);
      const reason = patternLimitReason({ service: t.ctx.name, limit: limits.maxPatternsPerService });
      anomalies.push(anomaly('pattern_limit', t, anomalyId(t.ctx.name, info.id, 'pattern_limit'), PATTERN_LIMIT_SCORE, reason, t.count));
    }
    const facts = state.unannounced.get(info.id);
    if (facts && !announced.has(info.id)) {
      announced.add(info.id);
      if (levelRank(t.top.level) >= levelRank(config.newPatternMinLevel)) {
        const f = { ...facts, level: t.top.level };
        anomalies.push(anomaly('new_pattern', t, anomalyId(t.ctx.name, info.id, 'new_pattern'), newPatternScore(f), newPatternReason(f), t.count));
      }
    }
    if (state.lastSpike.get(info.id) === t.window) return;
    const verdict = spikeTest(total.window, info.stats, { ratio: config.spikeRatio, minCount: config.spikeMinCount });
    if (!verdict.spike) return;
    const spike = {
      service: t.ctx.name,
      level: info.level,
      template: info.template,
      count: total.window,
      windowSeconds: config.spikeWindowSeconds,
      expected: verdict.expected,
      spread: Math.sqrt(Math.max(info.stats.variance, verdict.expected)),
      ratio: verdict.ratio,
      z: verdict.z,
    };
    anomalies.push(anomaly('frequency_spike', t, anomalyId(t.ctx.name, info.id, 'frequency_spike', t.window), spikeScore(spike), spikeReason(spike), total.window));
    spiked.push([info.id, t.window]);
  });
  return { anomalies, announced, spiked };
}

/** The batch's anomalies are delivered: none of them is raised again. */
export function settle(state: DetectionState, decisions: Decisions): void {
  for (const id of decisions.announced) {
    state.unannounced.delete(id);
    state.limitUnannounced.delete(id);
  }
  for (const [id, window] of decisions.spiked) state.lastSpike.set(id, window);
}
