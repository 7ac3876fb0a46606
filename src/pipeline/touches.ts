/** One export's records summed per pattern and window: what the store counts and the detectors judge. */
import { levelRank, type LogEntry } from '../log-entry.js';
import { cutText } from '../text/safe-text.js';
import type { PatternInfo, ServiceContext } from './service-context.js';

const MAX_SAMPLES = 3;

export interface Touch {
  ctx: ServiceContext;
  info: PatternInfo;
  /** Window start, ms. */
  window: number;
  count: number;
  lastSeen: number;
  /** The record with the highest level (the first of them). */
  top: LogEntry;
  /** The newest messages, cut to maxStoredChars, a ring indexed by count: read with samplesOf. */
  samples: string[];
}

export interface Touches {
  add(ctx: ServiceContext, info: PatternInfo, entry: LogEntry, window: number): void;
  list(): Touch[];
}

/** The newest messages of a touch, oldest first. */
export function samplesOf(t: Touch): string[] {
  const out: string[] = [];
  for (let i = Math.max(0, t.count - MAX_SAMPLES); i < t.count; i++) out.push(t.samples[i % MAX_SAMPLES]!);
  return out;
}

/** `maxStoredChars`: ANOMALOG_MAX_STORED_CHARS, so a huge line is never kept whole as a sample. */
export function createTouches(maxStoredChars: number): Touches {
  // Most records of a pattern in one export share a window: look up by id first.
  const byId = new Map<string, Touch>();
  const all = new Map<string, Touch>();
  return {
    add(ctx, info, entry, window) {
      let touch = byId.get(info.id);
      if (touch?.window !== window) {
        const key = `${info.id}|${window}`;
        touch = all.get(key);
        if (!touch) {
          touch = { ctx, info, window, count: 1, lastSeen: entry.time, top: entry, samples: [cutText(entry.message, maxStoredChars)] };
          all.set(key, touch);
          byId.set(info.id, touch);
          return;
        }
        byId.set(info.id, touch);
      }
      touch.samples[touch.count % MAX_SAMPLES] = cutText(entry.message, maxStoredChars);
      touch.count += 1;
      if (entry.time > touch.lastSeen) touch.lastSeen = entry.time;
      if (entry.level !== touch.top.level && levelRank(entry.level) > levelRank(touch.top.level)) touch.top = entry;
    },
    list: () => [...all.values()],
  };
}
