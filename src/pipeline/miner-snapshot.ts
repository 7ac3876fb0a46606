/** The template miner's persisted state: versioned, JSON-serialisable, checked on restore. */

export interface SnapshotTemplate {
  id: string;
  /** The bucket the template lives in. */
  key: string;
  template: string;
  count: number;
  example: string;
  /** A span template: the index of its variable-length middle (absent on other templates and in older snapshots). */
  span?: number;
  /** A structured record's template: its tokens, which its text, once generalised, may no longer give back (absent on other templates and in older snapshots). */
  tokens?: string[];
}

export interface SnapshotFamily {
  positions: number[];
  /** Distinct tokens seen at each position (capped at mergeAfter). */
  values: string[][];
  /** Member template ids, oldest first. */
  members: string[];
}

export interface MinerSnapshot {
  version: 1;
  templates: SnapshotTemplate[];
  /** Folded template id → the id it resolves to. */
  aliases: Record<string, string>;
  /** Sibling groups still gathering evidence. */
  families: Record<string, SnapshotFamily>;
  /** Words seen filling a variable slot, oldest first (absent in snapshots of miners before it was kept). */
  values?: string[];
  /** Words by the number of family slots they showed in, oldest first (absent before it was kept). */
  slots?: Record<string, number>;
  /** Keys of buckets whose templates all folded into span templates: they keep their places (absent before it was kept). */
  emptyBuckets?: string[];
}

export class MinerSnapshotError extends Error {
  readonly code = 'ANOMALOG_MINER_SNAPSHOT';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A snapshot read back from disk or Redis is untrusted: check its shape before using it. */
export function checkSnapshot(snapshot: MinerSnapshot): void {
  const raw: unknown = snapshot;
  if (!isRecord(raw) || raw.version !== 1) {
    throw new MinerSnapshotError(`unsupported miner snapshot version ${String(isRecord(raw) ? raw.version : raw)}`);
  }
  const templatesOk =
    Array.isArray(raw.templates) &&
    raw.templates.every(
      (t: unknown) =>
        isRecord(t) &&
        typeof t.id === 'string' &&
        typeof t.key === 'string' &&
        typeof t.template === 'string' &&
        typeof t.example === 'string' &&
        typeof t.count === 'number' &&
        (t.span === undefined || (Number.isInteger(t.span) && (t.span as number) >= 0)) &&
        (t.tokens === undefined || (Array.isArray(t.tokens) && t.tokens.every((w: unknown) => typeof w === 'string'))),
    );
  if (!templatesOk || !isRecord(raw.aliases) || !isRecord(raw.families)) {
    throw new MinerSnapshotError('malformed miner snapshot: expected templates[], aliases{} and families{}');
  }
  if (raw.values !== undefined && !(Array.isArray(raw.values) && raw.values.every((v) => typeof v === 'string'))) {
    throw new MinerSnapshotError('malformed miner snapshot: values must be a list of strings');
  }
  if (raw.slots !== undefined && !(isRecord(raw.slots) && Object.values(raw.slots).every((n) => typeof n === 'number'))) {
    throw new MinerSnapshotError('malformed miner snapshot: slots must map words to counts');
  }
  if (raw.emptyBuckets !== undefined && !(Array.isArray(raw.emptyBuckets) && raw.emptyBuckets.every((k) => typeof k === 'string' && /^\d+ /.test(k)))) {
    throw new MinerSnapshotError('malformed miner snapshot: emptyBuckets must be a list of bucket keys');
  }
}
