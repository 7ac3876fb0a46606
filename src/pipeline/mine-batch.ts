/**
 * Mining, the per-record part of detection: each record's message is masked and
 * handed to its service's miner, and the records are summed per miner template
 * and spike window. Pure and synchronous; it runs in the detector's thread or
 * in a detection thread (miner-threads.ts) that owns the miners of its services.
 * What it returns is small: a few groups per template, with the batch positions
 * of the records the detector needs (first, top level, newest).
 */
import { mask } from './mask.js';
import { createTemplateMiner, type MinerSnapshot, type TemplateMiner } from './template-miner.js';

/** Newest messages kept per pattern and window (anomaly samples). */
export const MAX_SAMPLES = 3;

/** One service's records of a batch, as columns (cheap to post to a thread). */
export interface ServiceRecords {
  service: string;
  /** Each record's position in the batch. */
  indices: number[];
  messages: string[];
  /** ms since the epoch. */
  times: number[];
  /** levelRank of each record's level. */
  ranks: number[];
}

export interface MineParams {
  maxMessageChars: number;
  windowMs: number;
  /** The batch's clock (ms): a record from the future counts in the current window. */
  at: number;
}

/** The records of one service that one miner template took in one window. */
export interface MinedGroup {
  service: string;
  minerId: string;
  /** The template's text once the whole batch is mined. */
  template: string;
  /** Some record of the group generalised the template. */
  changed: boolean;
  /** Window start, ms. */
  window: number;
  count: number;
  lastSeen: number;
  /** Batch positions: the first record, the first with the highest level, and the newest (oldest first). */
  first: number;
  top: number;
  topRank: number;
  recent: number[];
}

/** Every service's miner, restored from a saved snapshot the first time it is used. */
export interface MinerSet {
  mine(part: ServiceRecords, params: MineParams): MinedGroup[];
  /** Saved miners, kept until their service is mined or forgotten. */
  adopt(saved: Record<string, MinerSnapshot>): void;
  forget(services: readonly string[]): void;
  /** Every miner's snapshot, saved ones not yet used included. */
  snapshots(): Record<string, MinerSnapshot>;
}

export function createMinerSet(warn: (service: string, error: unknown) => void): MinerSet {
  const miners = new Map<string, TemplateMiner>();
  const saved = new Map<string, MinerSnapshot>();

  function minerOf(service: string): TemplateMiner {
    let miner = miners.get(service);
    if (miner) return miner;
    const snapshot = saved.get(service);
    saved.delete(service);
    if (snapshot) {
      try {
        miner = createTemplateMiner({}, snapshot);
      } catch (error) {
        warn(service, error);
      }
    }
    miner ??= createTemplateMiner();
    miners.set(service, miner);
    return miner;
  }

  return {
    mine(part, { maxMessageChars, windowMs, at }) {
      const miner = minerOf(part.service);
      const byId = new Map<string, MinedGroup[]>();
      const out: MinedGroup[] = [];
      for (let i = 0; i < part.messages.length; i++) {
        const mined = miner.add(mask(part.messages[i]!, maxMessageChars));
        const time = part.times[i]!;
        const rank = part.ranks[i]!;
        const index = part.indices[i]!;
        const window = Math.floor(Math.min(time, at) / windowMs) * windowMs;
        let list = byId.get(mined.id);
        if (!list) byId.set(mined.id, (list = []));
        let group = list.find((g) => g.window === window);
        if (!group) {
          group = { service: part.service, minerId: mined.id, template: mined.template, changed: false, window, count: 0, lastSeen: time, first: index, top: index, topRank: rank, recent: [] };
          list.push(group);
          out.push(group);
        }
        if (mined.changed) group.changed = true;
        group.count += 1;
        if (time > group.lastSeen) group.lastSeen = time;
        if (rank > group.topRank) {
          group.top = index;
          group.topRank = rank;
        }
        group.recent.push(index);
        if (group.recent.length > MAX_SAMPLES) group.recent.shift();
      }
      // A template may have generalised, or been folded into another, after a group's first record.
      for (const group of out) group.template = miner.get(group.minerId)?.template ?? group.template;
      return out;
    },
    adopt(snapshots) {
      for (const [service, snapshot] of Object.entries(snapshots)) if (!miners.has(service)) saved.set(service, snapshot);
    },
    forget(services) {
      for (const service of services) {
        miners.delete(service);
        saved.delete(service);
      }
    },
    snapshots() {
      const out: Record<string, MinerSnapshot> = Object.fromEntries(saved);
      for (const [service, miner] of miners) out[service] = miner.snapshot();
      return out;
    },
  };
}
