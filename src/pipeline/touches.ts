/** One export's mined groups summed per pattern and window: what the store counts and the detectors judge. */
import { levelRank, type LogEntry } from '../log-entry.js';
import { cutText } from '../text/safe-text.js';
import { MAX_SAMPLES, type MinedGroup } from './mine-batch.js';
import type { PatternInfo, ServiceContext } from './service-context.js';

export interface Touch {
  ctx: ServiceContext;
  info: PatternInfo;
  /** Window start, ms. */
  window: number;
  count: number;
  lastSeen: number;
  /** The record with the highest level (the first of them). */
  top: LogEntry;
  topIndex: number;
  /** Batch positions of the newest records, oldest first. */
  recent: number[];
}

export interface Touches {
  add(ctx: ServiceContext, info: PatternInfo, group: MinedGroup): void;
  list(): Touch[];
}

/** The newest messages of a touch, oldest first, cut to maxStoredChars (a huge line is never kept whole). */
export function samplesOf(t: Touch, entries: readonly LogEntry[], maxStoredChars: number): string[] {
  return t.recent.map((i) => cutText(entries[i]!.message, maxStoredChars));
}

export function createTouches(entries: readonly LogEntry[]): Touches {
  const all = new Map<string, Touch>();
  return {
    add(ctx, info, group) {
      const key = `${info.id}|${group.window}`;
      const touch = all.get(key);
      const top = entries[group.top]!;
      if (!touch) {
        all.set(key, { ctx, info, window: group.window, count: group.count, lastSeen: group.lastSeen, top, topIndex: group.top, recent: [...group.recent] });
        return;
      }
      touch.count += group.count;
      if (group.lastSeen > touch.lastSeen) touch.lastSeen = group.lastSeen;
      const rank = levelRank(top.level);
      const current = levelRank(touch.top.level);
      if (rank > current || (rank === current && group.top < touch.topIndex)) {
        touch.top = top;
        touch.topIndex = group.top;
      }
      touch.recent = [...touch.recent, ...group.recent].sort((a, b) => a - b).slice(-MAX_SAMPLES);
    },
    list: () => [...all.values()],
  };
}
