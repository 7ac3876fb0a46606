/**
 * Where mining runs: the detector hands each batch's records, split per
 * service, to a miner pool and gets the mined groups back. The inline pool
 * mines in the caller's thread (commands, tests, ANOMALOG_DETECTION_THREADS=0);
 * miner-threads.ts spreads services over worker threads.
 */
import type { LogEntry } from '../log-entry.js';
import { levelRank } from '../log-entry.js';
import type { MinerSnapshot } from './template-miner.js';
import { createMinerSet, type MineParams, type MinedGroup, type ServiceRecords } from './mine-batch.js';

export interface MinerPool {
  /** Groups of each part, parts in order. */
  mine(parts: ServiceRecords[], params: MineParams): Promise<MinedGroup[]>;
  adopt(saved: Record<string, MinerSnapshot>): void;
  forget(services: readonly string[]): void;
  snapshots(): Promise<Record<string, MinerSnapshot>>;
  close(): Promise<void>;
}

export type MinerWarning = (service: string, error: unknown) => void;

export function createInlineMinerPool(warn: MinerWarning): MinerPool {
  const set = createMinerSet(warn);
  return {
    mine: (parts, params) => Promise.resolve(parts.flatMap((part) => set.mine(part, params))),
    adopt: (saved) => set.adopt(saved),
    forget: (services) => set.forget(services),
    snapshots: () => Promise.resolve(set.snapshots()),
    close: () => Promise.resolve(),
  };
}

/**
 * A batch's records as one column set per service, services in order of first
 * appearance; messages cut to what masking reads (ANOMALOG_MAX_MESSAGE_CHARS),
 * so a huge line is not copied whole to a detection thread.
 */
export function splitByService(entries: readonly LogEntry[], maxMessageChars: number): ServiceRecords[] {
  const parts = new Map<string, ServiceRecords>();
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    let part = parts.get(entry.service);
    if (!part) parts.set(entry.service, (part = { service: entry.service, indices: [], messages: [], times: [], ranks: [] }));
    part.indices.push(i);
    // One character more than masking reads: mask() still sees where its own cut falls (never inside a surrogate pair).
    part.messages.push(entry.message.length > maxMessageChars + 1 ? entry.message.slice(0, maxMessageChars + 1) : entry.message);
    part.times.push(entry.time);
    part.ranks.push(levelRank(entry.level));
  }
  return [...parts.values()];
}
