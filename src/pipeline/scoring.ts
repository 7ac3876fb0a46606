/** Scores in [0, 1] and one-sentence reasons an SRE can read. */
import type { Level } from '../log-entry.js';

const LEVEL_WEIGHT: Record<Level, number> = { trace: 0.1, debug: 0.15, info: 0.3, warn: 0.5, error: 0.75, fatal: 0.95 };

function clamp(x: number): number {
  return Math.min(1, Math.max(0, x));
}

function quote(template: string): string {
  return template.length > 160 ? `'${template.slice(0, 157)}...'` : `'${template}'`;
}

export interface NewPatternFacts {
  service: string;
  level: Level;
  template: string;
  knownPatterns: number;
  /** Best cosine similarity to a known pattern, undefined when the service had none. */
  nearestSimilarity: number | undefined;
  /** 0 just past the learning period … 1 for a long-established (or taught) service. */
  maturity: number;
}

/** Where a new pattern of each level starts, before novelty and maturity add to it. */
const NEW_PATTERN_BASE: Record<Level, number> = { trace: 0.1, debug: 0.15, info: 0.3, warn: 0.45, error: 0.6, fatal: 0.75 };

/**
 * Rises with level (fatal > error > warn), novelty (1 − nearest similarity) and
 * maturity. With the default thresholds a wholly new ERROR is a warning just
 * past learning and critical in an established service; a new WARN needs both
 * to reach warning; a FATAL is critical.
 */
export function newPatternScore(f: NewPatternFacts): number {
  const novelty = clamp(1 - (f.nearestSimilarity ?? 0));
  return clamp(NEW_PATTERN_BASE[f.level] + 0.15 * novelty + 0.1 * clamp(f.maturity));
}

export function newPatternReason(f: NewPatternFacts): string {
  const likeness =
    f.nearestSimilarity === undefined
      ? 'the first pattern it has logged'
      : `unlike any of its ${f.knownPatterns} known patterns (nearest similarity ${f.nearestSimilarity.toFixed(2)})`;
  return `New ${f.level.toUpperCase()} pattern in ${f.service}, ${likeness}: ${quote(f.template)}`;
}

export interface SpikeFacts {
  service: string;
  level: Level;
  template: string;
  count: number;
  windowSeconds: number;
  expected: number;
  spread: number;
  ratio: number;
  z: number;
}

/** Rises with the ratio to the baseline and with level. */
export function spikeScore(f: SpikeFacts): number {
  const size = clamp(Math.log10(Math.max(f.ratio, 1)) / 2);
  return clamp(0.35 + 0.35 * size + 0.3 * LEVEL_WEIGHT[f.level]);
}

export function spikeReason(f: SpikeFacts): string {
  return (
    `${f.level.toUpperCase()} pattern in ${f.service} logged ${f.count} times in the current ${f.windowSeconds}s window, ` +
    `${f.ratio.toFixed(1)}x its baseline of ${f.expected.toFixed(1)} ± ${f.spread.toFixed(1)}: ${quote(f.template)}`
  );
}

/** The template shown for a service's overflow pattern. */
export const OVERFLOW_TEMPLATE = '<overflow: pattern limit reached>';

/** At the default warning threshold: worth a Slack message, not a page. */
export const PATTERN_LIMIT_SCORE = 0.6;

export function patternLimitReason(f: { service: string; limit: number }): string {
  return (
    `${f.service} reached ANOMALOG_MAX_PATTERNS_PER_SERVICE=${f.limit} patterns: its new templates are counted under ` +
    `${quote(OVERFLOW_TEMPLATE)} and raise no new-pattern anomalies until the limit is raised or the service is forgotten`
  );
}
