/**
 * Online template miner (Drain-like): masked messages are bucketed by token count
 * and leading token; inside a bucket a message joins the most similar template
 * (differing positions become `<*>`) or starts a new one. Pure, synchronous, one
 * instance per service.
 */
import { createHash } from 'node:crypto';

export const WILDCARD = '<*>';

export interface MinerOptions {
  /** Share of positions that must agree for a message to join a template, in (0, 1]. */
  similarity: number;
  /** Distinct leading tokens kept per token count; later ones share the wildcard bucket. */
  maxChildren: number;
}

export const DEFAULT_MINER_OPTIONS: Readonly<MinerOptions> = Object.freeze({
  similarity: 0.5,
  maxChildren: 100,
});

export interface MinedTemplate {
  id: string;
  template: string;
  count: number;
  /** The masked message that created the template. */
  example: string;
}

export interface MineResult {
  id: string;
  template: string;
  created: boolean;
  /** The template generalised (a position became `<*>`). */
  changed: boolean;
}

export interface SnapshotTemplate {
  id: string;
  /** The bucket the template lives in. */
  key: string;
  template: string;
  count: number;
  example: string;
}

export interface MinerSnapshot {
  version: 1;
  templates: SnapshotTemplate[];
}

export interface TemplateMiner {
  add(masked: string): MineResult;
  get(id: string): MinedTemplate | undefined;
  templates(): MinedTemplate[];
  snapshot(): MinerSnapshot;
}

export class MinerSnapshotError extends Error {
  readonly code = 'ANOMALOG_MINER_SNAPSHOT';
}

interface Cluster {
  id: string;
  key: string;
  tokens: string[];
  template: string;
  count: number;
  example: string;
}

/** A deterministic id from the masked text that started the template. */
export function templateId(masked: string): string {
  return createHash('sha256').update(masked).digest('hex').slice(0, 16);
}

/** Placeholders and tokens holding a digit are values, not words. */
export function isVariableToken(token: string): boolean {
  if (token.length > 2 && token.charCodeAt(0) === 60 && token.charCodeAt(token.length - 1) === 62) return true;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}

function tokenize(masked: string): string[] {
  return masked.length === 0 ? [] : masked.split(' ');
}

export function createTemplateMiner(options: Partial<MinerOptions> = {}, snapshot?: MinerSnapshot): TemplateMiner {
  const opts: MinerOptions = { ...DEFAULT_MINER_OPTIONS, ...options };
  if (!(opts.similarity > 0 && opts.similarity <= 1)) throw new RangeError('similarity must be in (0, 1]');
  if (!(Number.isInteger(opts.maxChildren) && opts.maxChildren >= 1)) throw new RangeError('maxChildren must be a positive integer');

  const byId = new Map<string, Cluster>();
  const buckets = new Map<string, Cluster[]>();
  /** Distinct leading-token buckets per token count, for the maxChildren cap. */
  const childrenPerLength = new Map<number, number>();

  function bucketKey(tokens: string[]): string {
    const n = tokens.length;
    if (n === 0) return '0';
    const first = tokens[0]!;
    const wildKey = `${n} ${WILDCARD}`;
    if (isVariableToken(first)) return wildKey;
    const key = `${n} ${first}`;
    if (buckets.has(key)) return key;
    return (childrenPerLength.get(n) ?? 0) >= opts.maxChildren ? wildKey : key;
  }

  function insert(cluster: Cluster): void {
    let bucket = buckets.get(cluster.key);
    if (!bucket) {
      bucket = [];
      buckets.set(cluster.key, bucket);
      const n = cluster.tokens.length;
      if (!cluster.key.endsWith(` ${WILDCARD}`)) childrenPerLength.set(n, (childrenPerLength.get(n) ?? 0) + 1);
    }
    bucket.push(cluster);
    byId.set(cluster.id, cluster);
  }

  /** Agreeing positions: equal tokens, a template wildcard, or two values. */
  function agreement(template: string[], tokens: string[]): number {
    let same = 0;
    for (let i = 0; i < tokens.length; i++) {
      const t = template[i]!;
      const m = tokens[i]!;
      if (t === m || t === WILDCARD || (isVariableToken(t) && isVariableToken(m))) same++;
    }
    return same;
  }

  function bestMatch(bucket: Cluster[], tokens: string[]): Cluster | undefined {
    const needed = Math.max(1, Math.ceil(opts.similarity * tokens.length - 1e-9));
    let best: Cluster | undefined;
    let bestScore = needed - 1;
    for (const cluster of bucket) {
      const score = agreement(cluster.tokens, tokens);
      if (score > bestScore) {
        best = cluster;
        bestScore = score;
        if (score === tokens.length) break;
      }
    }
    return best;
  }

  function generalise(cluster: Cluster, tokens: string[]): boolean {
    let changed = false;
    const t = cluster.tokens;
    for (let i = 0; i < tokens.length; i++) {
      if (t[i] !== tokens[i] && t[i] !== WILDCARD) {
        t[i] = WILDCARD;
        changed = true;
      }
    }
    if (changed) cluster.template = t.join(' ');
    return changed;
  }

  function view(cluster: Cluster): MinedTemplate {
    return { id: cluster.id, template: cluster.template, count: cluster.count, example: cluster.example };
  }

  if (snapshot) {
    if (snapshot.version !== 1 || !Array.isArray(snapshot.templates)) {
      throw new MinerSnapshotError(`unsupported miner snapshot version ${String((snapshot as { version?: unknown }).version)}`);
    }
    for (const s of snapshot.templates) {
      insert({ id: s.id, key: s.key, tokens: tokenize(s.template), template: s.template, count: s.count, example: s.example });
    }
  }

  return {
    add(masked: string): MineResult {
      const tokens = tokenize(masked);
      const key = bucketKey(tokens);
      const bucket = buckets.get(key);
      const match = bucket ? bestMatch(bucket, tokens) : undefined;
      if (match) {
        match.count++;
        const changed = generalise(match, tokens);
        return { id: match.id, template: match.template, created: false, changed };
      }
      const cluster: Cluster = { id: templateId(masked), key, tokens, template: masked, count: 1, example: masked };
      insert(cluster);
      return { id: cluster.id, template: cluster.template, created: true, changed: false };
    },
    get(id: string): MinedTemplate | undefined {
      const cluster = byId.get(id);
      return cluster && view(cluster);
    },
    templates(): MinedTemplate[] {
      return [...byId.values()].map(view);
    },
    snapshot(): MinerSnapshot {
      return {
        version: 1,
        templates: [...byId.values()].map((c) => ({
          id: c.id,
          key: c.key,
          template: c.template,
          count: c.count,
          example: c.example,
        })),
      };
    },
  };
}
