/**
 * The console's read models beyond the anomalies: a service's patterns with
 * their recent window counts (the sparkline), and every service with its
 * learning state. Both read the live pattern store; the list of services comes
 * from the SQL mirror, which one GROUP BY answers however many there are.
 */
import type { PatternView, ServiceView } from '../console/api-types.js';
import { HISTORY_WINDOWS } from '../pipeline/baseline.js';
import type { PatternRecord, ServiceState } from '../pattern.js';
import type { PatternStore } from '../store/pattern-store.js';
import type { PatternRepo } from '../store/pattern-repo.js';

/** The store keeps this many windows of counts behind the current one. */
export const MAX_WINDOWS = HISTORY_WINDOWS;

/** What /api/patterns sends of a pattern: all of the record but its centroid (a PatternView and more). */
type PatternAnswer = Omit<PatternRecord, 'centroid'> & Pick<PatternView, 'recentCounts'>;

/** The starts (ms) of the `count` windows ending with the one holding `now`, oldest first. */
export function windowStarts(now: number, windowMs: number, count: number): number[] {
  const current = Math.floor(now / windowMs) * windowMs;
  return Array.from({ length: count }, (_, i) => current - (count - 1 - i) * windowMs);
}

/** Learned by `anomalog learn`, or once the learning period since its first record has passed. */
export function learningOf(state: ServiceState, learningPeriodMs: number, now: number): { learned: boolean; learningUntil: number | null } {
  if (state.learned) return { learned: true, learningUntil: null };
  if (state.firstSeen === null) return { learned: false, learningUntil: null };
  const until = state.firstSeen + learningPeriodMs;
  return until <= now ? { learned: true, learningUntil: null } : { learned: false, learningUntil: until };
}

export interface ConsoleViews {
  /** Most recently seen first. */
  patterns(q: { service?: string; windows?: number }): Promise<PatternView[]>;
  services(): Promise<ServiceView[]>;
}

export function createConsoleViews(deps: {
  store: PatternStore;
  repo: Pick<PatternRepo, 'services'>;
  learningPeriodMs: number;
  windowMs: number;
  now?: () => number;
}): ConsoleViews {
  const now = deps.now ?? Date.now;
  return {
    async patterns({ service, windows }) {
      // Everything but the centroid, which is for the index, not for people.
      const list: PatternAnswer[] = (await deps.store.list(service)).map(({ centroid: _centroid, ...rest }) => rest);
      list.sort((a, b) => b.lastSeen - a.lastSeen);
      if (windows !== undefined && windows > 0) {
        const starts = windowStarts(now(), deps.windowMs, Math.min(windows, MAX_WINDOWS));
        const counts = await deps.store.windowCounts(list.map((p) => ({ service: p.service, id: p.id, windows: starts })));
        list.forEach((p, i) => (p.recentCounts = counts[i]));
      }
      return list;
    },

    async services() {
      const rows = await deps.repo.services();
      const states = await deps.store.serviceStates(rows.map((r) => r.service));
      const at = now();
      return rows.map((r, i) => {
        const state = states[i];
        const learning = state ? learningOf(state, deps.learningPeriodMs, at) : { learned: false, learningUntil: null };
        return { service: r.service, known: state !== undefined, ...learning, patterns: r.patterns, lastRecord: r.lastSeen };
      });
    },
  };
}
