/**
 * The frequency-spike test. A pattern's baseline is an EWMA of the mean and
 * variance of its count per window, empty windows included (so quiet hours pull
 * it down), built from the windows before the current one. A window is a spike
 * when its count — checked as it grows — is at least `minCount`, at least
 * `ratio` times the expected count, and far in the tail: z ≥ Z_MIN, where the
 * spread is at least Poisson's (variance ≥ mean), so a pattern that is always
 * noisy needs a much larger burst.
 */
import type { PatternStats } from '../pattern.js';

/** Smoothing per window: about ten windows of memory. */
export const EWMA_ALPHA = 0.2;
/** Windows of history a pattern needs before it can spike. */
export const MIN_HISTORY_WINDOWS = 3;
/** Windows of history read to build a baseline. */
export const HISTORY_WINDOWS = 30;
/** Expected counts below this are treated as this: one stray record is not a baseline of zero. */
export const MIN_EXPECTED = 1;
export const Z_MIN = 4;

/**
 * Folds counts, oldest first, into an EWMA baseline. History starts at the first
 * non-empty window: a pattern silent for the whole history (a dormant one, or
 * every pattern after a night without traffic) has no baseline to spike against.
 */
export function baselineOf(counts: readonly number[]): PatternStats {
  let mean = 0;
  let variance = 0;
  let windows = 0;
  for (const n of counts) {
    if (windows === 0) {
      if (n === 0) continue;
      mean = n;
    } else {
      const diff = n - mean;
      const increment = EWMA_ALPHA * diff;
      mean += increment;
      variance = (1 - EWMA_ALPHA) * (variance + diff * increment);
    }
    windows += 1;
  }
  return { mean, variance, windows };
}

export interface SpikeVerdict {
  spike: boolean;
  expected: number;
  ratio: number;
  z: number;
}

export function spikeTest(count: number, stats: PatternStats, options: { ratio: number; minCount: number }): SpikeVerdict {
  const expected = Math.max(stats.mean, MIN_EXPECTED);
  const spread = Math.sqrt(Math.max(stats.variance, expected));
  const ratio = count / expected;
  const z = (count - expected) / spread;
  const spike = stats.windows >= MIN_HISTORY_WINDOWS && count >= options.minCount && ratio >= options.ratio && z >= Z_MIN;
  return { spike, expected, ratio, z };
}
