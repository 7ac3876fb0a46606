/**
 * The stored ingest batches (`shard/streamId`) one detection batch is made of,
 * in production, where a worker detects all the batches of a read at once. A
 * service's records all come from one shard, in stream order.
 */
import type { LogEntry } from '../log-entry.js';

export interface StoredPart {
  /** `shard/streamId` of the stored batch (or of the batch a replay stands for). */
  source: string;
  entries: readonly LogEntry[];
}

export interface BatchSources {
  /** The stored batch of the record at this batch position. */
  of(index: number): string;
  /**
   * The newest stored batch with records of this service: its stream id marks
   * the service's counts as applied, so a redelivery of any of these batches counts nothing twice.
   */
  newestOf(service: string): string | undefined;
  has(source: string): boolean;
  /** All of them, for logs and for the anomalies they bring back. */
  label: string;
}

const STREAM_ID = /(\d+)-(\d+)$/;

/** Stream ids compare by milliseconds, then sequence; a source without one sorts first. */
function newer(a: string, b: string): boolean {
  const x = STREAM_ID.exec(a);
  const y = STREAM_ID.exec(b);
  if (!x || !y) return y === null && x !== null;
  const ms = BigInt(x[1]!) - BigInt(y[1]!);
  return ms > 0n || (ms === 0n && BigInt(x[2]!) > BigInt(y[2]!));
}

export function batchSources(parts: readonly StoredPart[]): BatchSources {
  const ends: number[] = [];
  const newest = new Map<string, string>();
  let end = 0;
  for (const { source, entries } of parts) {
    end += entries.length;
    ends.push(end);
    let last: string | undefined;
    for (const e of entries) {
      // Consecutive records mostly share a service: one map write per run.
      if (e.service === last) continue;
      last = e.service;
      const known = newest.get(e.service);
      if (known === undefined || newer(source, known)) newest.set(e.service, source);
    }
  }
  const names = new Set(parts.map((p) => p.source));
  return {
    of(index) {
      let lo = 0;
      let hi = ends.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (index < ends[mid]!) hi = mid;
        else lo = mid + 1;
      }
      return parts[lo]!.source;
    },
    newestOf: (service) => newest.get(service),
    has: (source) => names.has(source),
    label: [...names].join(','),
  };
}

/** The records of the parts, in order, as one batch. */
export function joinParts(parts: readonly StoredPart[]): readonly LogEntry[] {
  return parts.length === 1 ? parts[0]!.entries : parts.flatMap((p) => p.entries);
}
