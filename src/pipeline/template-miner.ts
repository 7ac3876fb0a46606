/**
 * Online template miner, Drain-like with cautious generalisation. Masked messages
 * are bucketed by token count and first word. Inside a bucket a message joins a
 * template whose words all agree with it (values — placeholders and tokens holding
 * digits — may differ and become `<*>`). A message that differs from its nearest
 * template in a few words starts a sibling template in that template's family; once
 * each differing position has shown `mergeAfter` distinct words (UPPER_CASE enum
 * constants never count) — or two, when the values themselves say they are values
 * (names, ids, quoted words, words seen as values elsewhere in the service) — the
 * positions are variable and the family folds into its most used template, which
 * keeps its id (the others become aliases that `get` still resolves). So a slot of two
 * or three prose words stays that many templates, a slot of values becomes `<*>`.
 * Pure, synchronous, one instance per service.
 */
import { createHash } from 'node:crypto';
import { createExactMatches } from './exact-matches.js';
import { checkSnapshot, type MinerSnapshot } from './miner-snapshot.js';
import { SignatureIndex } from './signature-index.js';
import { alignToSpan, commonEnds, headOf, isVariableSpan, spanCovered, spanTokens, type CommonEnds } from './miner-spans.js';
import { WILDCARD, coveredBy, coversAll, isConstantName, isEmptyField, isIdLike, isNameLike, isNamedValue, isQuotedWord, isRecord, isVariableToken, keyOf, recordSimilarity, recordText, signatureOf, similarity, similarityHints, structuredTokens, textTokens, tokenize, valuesAgree, wildcardCount, wildcardFor } from './miner-tokens.js';

export type { MinerSnapshot } from './miner-snapshot.js';
export { MinerSnapshotError } from './miner-snapshot.js';

export interface MinerOptions {
  /** Share of comparable positions that must agree for a message to count as a sibling of a template, in (0, 1]. */
  similarity: number;
  /** Distinct words a position must show across a family of siblings before it becomes `<*>` (>= 2). */
  mergeAfter: number;
  /** Distinct first words kept per token count; later ones share the wildcard bucket. */
  maxChildren: number;
  /** Templates of one bucket compared with a message that matches none exactly (bounds the cost of a new message). */
  maxScan: number;
}

export const DEFAULT_MINER_OPTIONS: Readonly<MinerOptions> = Object.freeze({
  similarity: 0.7,
  mergeAfter: 4,
  maxChildren: 100,
  maxScan: 1000,
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
  /** Ids of templates folded into this one by this message; they resolve to `id` from now on. */
  merged?: string[];
}

export interface TemplateMiner {
  add(masked: string): MineResult;
  /** A template by id; a folded id gives the template it was folded into. */
  get(id: string): MinedTemplate | undefined;
  templates(): MinedTemplate[];
  snapshot(): MinerSnapshot;
}

interface Cluster {
  id: string;
  /** Creation order in this miner (a restore keeps the relative order). */
  order: number;
  key: string;
  tokens: string[];
  template: string;
  count: number;
  example: string;
  /** Keys of the families this template belongs to. */
  families: string[];
  /** A span template: the index of its variable-length middle (see miner-spans). */
  span: number | undefined;
  /** The head it is indexed under in `byHead`: its tokens' first, kept up to date as it generalises (its bucket stays). */
  head: string;
  /** A structured record's template: its values are its fields', so no span of it is variable (see structuredTokens). */
  structured: boolean;
}

interface Bucket {
  /** Oldest first. */
  clusters: Cluster[];
  /** Templates by signature: the perfect match of a message without a scan. */
  bySignature: SignatureIndex<Cluster>;
  /** Renewed whenever a template of the bucket is added, removed or changed; unique in the thread. */
  stamp: number;
}

/** Templates that differ from one template only at `positions`, with the values seen there. */
interface Family {
  positions: number[];
  values: Array<Set<string>>;
  members: string[];
}

/** Templates of other lengths a new template is compared with for a shared start and end (the newest first). */
const SPAN_SCAN = 64;

/** Distinct starts and ends a new template tries as a span. */
const SPAN_CANDIDATES = 4;

/** Bucket key prefix of span templates, by head: never a token count. */
const SPAN_BUCKET = '~ ';

/** Bucket key suffix of record lines (see isRecord), after the token count. */
const RECORD_BUCKET = ' <record>';

/** A deterministic id from the masked text that started the template. */
export function templateId(masked: string): string {
  return createHash('sha256').update(masked).digest('hex').slice(0, 16);
}

/** A word that may be a value: letters first, then letters, digits or `_.-`. */
const PLAIN_WORD = /^[A-Za-z][\w.-]*$/;

/** Distinct values after which a slot is variable when the words themselves say they are values (see `needed`). */
const EVIDENT_MERGE_AFTER = 2;

/** Words remembered per miner as having filled a variable slot; the oldest is forgotten first. */
const VALUE_WORDS = 4096;

/** Longest word remembered as a value (longer ones are ids or text, rarely repeated across statements). */
const VALUE_WORD_CHARS = 64;

/** A word of three or more letters, one trailing `.,;:` aside (`ubuntu.`), as slot evidence counts it; else undefined. */
function slotWord(token: string): string | undefined {
  const word = /^([A-Za-z]{3,64})[.,;:]?$/.exec(token);
  return word?.[1];
}

/** A copy of a word cut from a message, so that keeping the word does not pin the message. */
function detached(word: string): string {
  return Buffer.from(word, 'utf16le').toString('utf16le');
}

/** Above this many templates a bucket is searched by signature first (below it a scan is cheaper). */
const INDEXED_BUCKET = 16;

/** One counter for every bucket of the thread: a stamp names one bucket in one state, whatever the miner. */
let stamps = 0;

/**
 * Masked messages that joined a template without changing its bucket, for every miner
 * of this thread: while the bucket keeps its stamp (and the span bucket of the message's
 * head its own) the message matches the same template again, so a repeat skips
 * tokenising and the bucket search. 8192 messages of at most 512 chars (under 10 MB) and
 * a 64 KB table of sightings; an entry holds one template, never a miner.
 */
const exactMatches = createExactMatches<Remembered>(8192, 512);

/** What a message matched, and what the span lookup it skips saw then (see `remembered`). */
interface Remembered {
  cluster: Cluster;
  /** The span bucket of the message's head, if there was one. */
  spans: Bucket | undefined;
  /** That bucket's stamp, or without one the miner's count of span buckets. */
  spanStamp: number;
}

function validate(opts: MinerOptions): void {
  if (!(opts.similarity > 0 && opts.similarity <= 1)) throw new RangeError('similarity must be in (0, 1]');
  if (!(Number.isInteger(opts.mergeAfter) && opts.mergeAfter >= 2)) throw new RangeError('mergeAfter must be an integer >= 2');
  if (!(Number.isInteger(opts.maxChildren) && opts.maxChildren >= 1)) throw new RangeError('maxChildren must be a positive integer');
  if (!(Number.isInteger(opts.maxScan) && opts.maxScan >= 1)) throw new RangeError('maxScan must be a positive integer');
}

export function createTemplateMiner(options: Partial<MinerOptions> = {}, snapshot?: MinerSnapshot): TemplateMiner {
  const opts: MinerOptions = { ...DEFAULT_MINER_OPTIONS, ...options };
  validate(opts);

  const byId = new Map<string, Cluster>();
  const aliases = new Map<string, string>();
  const buckets = new Map<string, Bucket>();
  const families = new Map<string, Family>();
  /** Distinct first-word buckets per token count, for the maxChildren cap. */
  const childrenPerLength = new Map<number, number>();
  let created = 0;
  /** Ids folded by absorbCovered during the current add. */
  const absorbed: string[] = [];
  /** Words seen in a slot that turned out variable: the same word in another slot is likely a value too (user, host, worker names). */
  const valueWords = new Set<string>();

  /** Words by the number of family slots they showed in: a word that varies in two statements is a value (a user, a host). */
  const slotWords = new Map<string, number>();
  /** Live templates of every length by head, oldest first: where a new template looks for a shared start and end. */
  const byHead = new Map<string, Cluster[]>();
  /** Live span templates: while there are none, a message skips the span lookup. */
  let spanTemplates = 0;
  /** Span buckets opened (they are never removed): a remembered match made without one checks that none came. */
  let spanBuckets = 0;

  function noteSlot(token: string): void {
    const word = slotWord(token);
    if (word === undefined) return;
    const n = slotWords.get(word);
    if (n !== undefined) slotWords.set(word, n + 1);
    else {
      if (slotWords.size >= VALUE_WORDS) slotWords.delete(slotWords.keys().next().value!);
      slotWords.set(detached(word), 1);
    }
  }

  function slotCount(token: string): number {
    const word = slotWord(token);
    return word === undefined ? 0 : (slotWords.get(word) ?? 0);
  }

  function rememberValue(word: string): void {
    if (word.length > VALUE_WORD_CHARS || valueWords.has(word)) return;
    if (valueWords.size >= VALUE_WORDS) valueWords.delete(valueWords.values().next().value!);
    valueWords.add(detached(word));
  }

  function resolve(id: string): string {
    let target = id;
    for (let next = aliases.get(target); next !== undefined; next = aliases.get(target)) target = next;
    if (target !== id) aliases.set(id, target);
    return target;
  }

  /** Token count and first word (the first token that is not a value); records by token count alone. */
  function bucketKey(tokens: string[]): string {
    const n = tokens.length;
    if (isRecord(tokens)) return `${n}${RECORD_BUCKET}`;
    const word = tokens.find((t) => !isVariableToken(t) && !isNameLike(t)) ?? tokens.find((t) => !isVariableToken(t));
    const wildKey = `${n} ${WILDCARD}`;
    if (word === undefined) return wildKey;
    const key = `${n} ${word}`;
    if (buckets.has(key)) return key;
    return (childrenPerLength.get(n) ?? 0) >= opts.maxChildren ? wildKey : key;
  }

  /** A new bucket; one keyed by a word or as records takes one of its length's `maxChildren` places for good. */
  function openBucket(key: string): Bucket {
    const bucket: Bucket = { clusters: [], bySignature: new SignatureIndex(), stamp: ++stamps };
    buckets.set(key, bucket);
    if (key.startsWith(SPAN_BUCKET)) spanBuckets++;
    const n = Number.parseInt(key, 10);
    if (!key.startsWith(SPAN_BUCKET) && !key.endsWith(` ${WILDCARD}`)) childrenPerLength.set(n, (childrenPerLength.get(n) ?? 0) + 1);
    return bucket;
  }

  function insert(cluster: Cluster): void {
    const bucket = buckets.get(cluster.key) ?? openBucket(cluster.key);
    bucket.clusters.push(cluster);
    index(bucket, cluster);
    byId.set(cluster.id, cluster);
    if (cluster.span !== undefined) spanTemplates++;
    if (!cluster.structured) addToHead(cluster);
  }

  /**
   * Index a template under the head of its tokens as they are now, among its peers in
   * creation order: both depend only on the templates, so a restored miner finds the
   * same peers in the same order.
   */
  function addToHead(cluster: Cluster): void {
    const head = headOf(cluster.tokens);
    cluster.head = head;
    const peers = byHead.get(head);
    if (!peers) {
      byHead.set(head, [cluster]);
      return;
    }
    let at = peers.length;
    while (at > 0 && peers[at - 1]!.order > cluster.order) at--;
    peers.splice(at, 0, cluster);
  }

  function removeFromHead(cluster: Cluster): void {
    const peers = byHead.get(cluster.head);
    const at = peers?.indexOf(cluster) ?? -1;
    if (at >= 0) peers!.splice(at, 1);
  }

  /** Take a template out of its bucket and the head index. */
  function detach(cluster: Cluster): void {
    const bucket = buckets.get(cluster.key)!;
    unindex(bucket, cluster);
    bucket.clusters.splice(bucket.clusters.indexOf(cluster), 1);
    removeFromHead(cluster);
    if (cluster.span !== undefined) spanTemplates--;
  }

  /** A template folded into `into`: its id resolves to `into` from now on. */
  function retire(cluster: Cluster, into: Cluster): void {
    detach(cluster);
    byId.delete(cluster.id);
    aliases.set(cluster.id, into.id);
  }

  /** Every change to a bucket's templates passes here or through unindex: both renew its stamp. */
  function index(bucket: Bucket, cluster: Cluster): void {
    bucket.bySignature.add(signatureOf(cluster.tokens), cluster);
    bucket.stamp = ++stamps;
  }

  function unindex(bucket: Bucket, cluster: Cluster): void {
    bucket.bySignature.remove(signatureOf(cluster.tokens), cluster);
    bucket.stamp = ++stamps;
  }

  /**
   * Most similar template; ties go to the one with fewer wildcards (the more
   * specific), then the oldest. In a big bucket a template with the message's
   * signature is a perfect match found without a scan; scans stop after maxScan templates.
   */
  function bestMatch(bucket: Bucket, tokens: string[], record: boolean): { cluster: Cluster; score: number } | undefined {
    if (bucket.clusters.length > INDEXED_BUCKET) {
      const exact = bucket.bySignature.get(signatureOf(tokens));
      if (exact) return { cluster: exact, score: 1 };
    }
    if (record) return bestRecord(bucket, tokens);
    let best: Cluster | undefined;
    let bestScore = opts.similarity - 1e-9;
    let bestWild = Infinity;
    const list = bucket.clusters;
    const end = Math.min(list.length, opts.maxScan);
    const hints = similarityHints(tokens);
    for (let i = 0; i < end; i++) {
      const cluster = list[i]!;
      const score = similarity(cluster.tokens, tokens, bestScore, hints);
      if (score < bestScore) continue;
      const wild = wildcardCount(cluster.tokens);
      if (score > bestScore || wild < bestWild) {
        best = cluster;
        bestWild = wild;
        bestScore = score;
      }
    }
    return best && { cluster: best, score: bestScore };
  }

  /** The record template most alike at every position, when alike enough; the oldest on a tie. */
  function bestRecord(bucket: Bucket, tokens: string[]): { cluster: Cluster; score: number } | undefined {
    let best: { cluster: Cluster; score: number } | undefined;
    const end = Math.min(bucket.clusters.length, opts.maxScan);
    for (let i = 0; i < end; i++) {
      const cluster = bucket.clusters[i]!;
      const score = recordSimilarity(cluster.tokens, tokens);
      if (score >= opts.similarity && (!best || score > best.score)) best = { cluster, score };
    }
    return best;
  }

  /** Positions that differ become `<*>`; true when the template changed. */
  function generalise(cluster: Cluster, tokens: readonly string[]): boolean {
    const t = cluster.tokens;
    let first = -1;
    for (let i = 0; i < tokens.length && first < 0; i++) if (t[i] !== tokens[i] && !coveredBy(t[i]!, tokens[i]!)) first = i;
    if (first < 0) return false;
    const bucket = buckets.get(cluster.key)!;
    unindex(bucket, cluster);
    for (let i = first; i < tokens.length; i++) {
      const m = tokens[i]!;
      if (t[i] !== m && !coveredBy(t[i]!, m)) t[i] = wildcardFor(t[i]!, m);
    }
    cluster.template = templateText(cluster);
    index(bucket, cluster);
    // A first token that became a wildcard moves the template to the wildcard's head.
    if (first === 0 && !cluster.structured) {
      removeFromHead(cluster);
      addToHead(cluster);
    }
    absorbCovered(bucket, cluster);
    return true;
  }

  /**
   * Templates of the bucket that `cluster` now covers at every position were the same
   * statement seen before a slot showed it was variable: fold them in, so a message
   * matches one template whichever came first.
   */
  function absorbCovered(bucket: Bucket, cluster: Cluster): void {
    const t = cluster.tokens;
    // The templates a message is compared with (bestMatch scans as many): the cost stays bounded in a huge bucket.
    for (let k = Math.min(bucket.clusters.length, opts.maxScan) - 1; k >= 0; k--) {
      const other = bucket.clusters[k]!;
      if (other === cluster || !coversAll(t, other.tokens)) continue;
      retire(other, cluster);
      cluster.count += other.count;
      absorbed.push(other.id);
    }
  }

  /** Plain words a message puts in a template's `<*>` slots are values wherever they appear (`user <*>` took `cyrus`). */
  function rememberSlotWords(cluster: Cluster, tokens: readonly string[]): void {
    const t = cluster.tokens;
    for (let i = 0; i < t.length; i++) {
      if (t[i] === WILDCARD && cluster.span !== i && PLAIN_WORD.test(tokens[i]!) && !isConstantName(tokens[i]!)) rememberValue(tokens[i]!);
    }
  }

  /** The word values of a new template's `key=value` tokens (`user=root`): the right side of `=` is a value wherever it appears. */
  function rememberKeyedValues(tokens: readonly string[]): void {
    for (const t of tokens) {
      const key = keyOf(t);
      if (key === undefined) continue;
      const value = t.slice(key.length);
      if (!isVariableToken(value) && !isConstantName(value) && PLAIN_WORD.test(value)) rememberValue(value);
    }
  }

  /**
   * Distinct values that make a slot variable: fewer when the values say they are
   * values — each a name-like, quoted or bracketed word, a single letter (`job a`), or
   * a word already seen filling a variable slot or varying in another statement's slot —
   * or an id-like value or an empty field (`-`, `status=""`) beside words (`test9` beside `webmaster`;
   * not `****` beside a number).
   */
  function needed(seen: Set<string>): number {
    let evident = true;
    let ids = false;
    let words = true;
    for (const v of seen) {
      if (isIdLike(v) || isEmptyField(v)) ids = true;
      else {
        if (!isNameLike(v) && !isQuotedWord(v) && !isNamedValue(v) && !/^[A-Za-z]$/.test(v) && !valueWords.has(v) && slotCount(v) < 2) evident = false;
        if (!/[A-Za-z]/.test(v)) words = false;
      }
    }
    return evident || (ids && words) ? Math.min(EVIDENT_MERGE_AFTER, opts.mergeAfter) : opts.mergeAfter;
  }

  /**
   * Record the message's tokens at the family's positions; true once every position
   * has enough distinct values. UPPER_CASE words are enum constants (states, event
   * types, methods): they are never evidence that a slot is variable.
   */
  function observe(family: Family, tokens: readonly string[]): boolean {
    let ready = true;
    family.positions.forEach((p, i) => {
      const seen = family.values[i]!;
      const token = tokens[p]!;
      if (seen.size < opts.mergeAfter && !isConstantName(token) && !seen.has(token)) {
        seen.add(token);
        noteSlot(token);
      }
      // needed() lies between EVIDENT_MERGE_AFTER and mergeAfter: ask it only in between, and only while still ready.
      if (ready && seen.size < opts.mergeAfter && (seen.size < EVIDENT_MERGE_AFTER || seen.size < needed(seen))) ready = false;
    });
    return ready;
  }

  /**
   * Fold every live member into the most used one (the oldest on a tie), so the id
   * with the most history behind it survives; returns it, the folded ids and whether
   * its template changed.
   */
  function fold(key: string, family: Family): { target: Cluster; folded: string[]; changed: boolean } {
    families.delete(key);
    for (const seen of family.values) for (const v of seen) if (!isVariableToken(v)) rememberValue(v);
    const live = [...new Set(family.members.map(resolve))].map((id) => byId.get(id)!);
    const target = live.reduce((best, c) => (c.count > best.count ? c : best));
    target.families = target.families.filter((k) => k !== key);
    let changed = false;
    for (const other of live) {
      // A member the target absorbed while generalising is folded already.
      if (other === target || !byId.has(other.id)) continue;
      if (generalise(target, other.tokens)) changed = true;
      if (!byId.has(other.id)) continue;
      target.count += other.count;
      retire(other, target);
    }
    // Members in the family's order, then the templates absorbed on the way.
    const folded = live.filter((c) => c !== target).map((c) => c.id);
    for (const id of absorbed) if (!folded.includes(id)) folded.push(id);
    absorbed.length = 0;
    return { target, folded, changed };
  }

  /** A message that differs from `near` at a few word positions joins (or starts) their family. */
  function relate(near: Cluster, cluster: Cluster, tokens: readonly string[]): MineResult | undefined {
    const positions: number[] = [];
    near.tokens.forEach((t, i) => {
      const m = tokens[i]!;
      if (t !== m && !coveredBy(t, m) && !valuesAgree(t, m)) positions.push(i);
    });
    const key = `${near.id} ${positions.join(',')}`;
    let family = families.get(key);
    if (!family) {
      const values = positions.map((p) => new Set(isConstantName(near.tokens[p]!) ? [] : [near.tokens[p]!]));
      for (const seen of values) for (const v of seen) noteSlot(v);
      family = { positions, values, members: [near.id] };
      families.set(key, family);
      near.families.push(key);
    }
    family.members.push(cluster.id);
    cluster.families.push(key);
    return observe(family, tokens) ? folded(key, family, cluster.id) : undefined;
  }

  /** The span template of the message's head that its start and end agree with, and the message lined up with it. */
  function matchSpan(tokens: readonly string[]): { cluster: Cluster; aligned: string[] } | undefined {
    const bucket = buckets.get(SPAN_BUCKET + headOf(tokens));
    if (!bucket) return undefined;
    for (const cluster of bucket.clusters) {
      const aligned = alignToSpan(cluster.tokens, cluster.span!, tokens);
      if (aligned) return { cluster, aligned: spanCovered(cluster.tokens, cluster.span!, aligned) };
    }
    return undefined;
  }

  /**
   * A new template and the most alike template of another length with its head share
   * a start and an end; once the templates of the head they cover show `mergeAfter`
   * distinct middles, those templates fold into one span template, so a middle of any
   * length matches it from now on. Also asked when a template generalises: a start that
   * did not agree before (`execute <unnamed>:` / `execute S_1:`) may agree now. `hiddenId`
   * as in `folded`.
   */
  function relateSpan(cluster: Cluster, hiddenId?: string): MineResult | undefined {
    if (cluster.structured) return undefined;
    const peers = byHead.get(cluster.head);
    if (!peers) return undefined;
    // Starts and ends the new template shares with templates of other lengths; the most specific is tried first.
    const candidates = new Map<string, CommonEnds>();
    for (let k = peers.length - 1, scanned = 0; k >= 0 && scanned < SPAN_SCAN; k--) {
      const near = peers[k]!;
      if (near === cluster) continue;
      scanned++;
      const ends = commonEnds(near.tokens, cluster.tokens);
      if (ends) candidates.set(`${ends.prefix} ${ends.suffix}`, ends);
    }
    const tried = [...candidates.values()].sort((x, y) => y.prefix + y.suffix - (x.prefix + x.suffix)).slice(0, SPAN_CANDIDATES);
    for (const ends of tried) {
      const span = spanTokens(cluster.tokens, ends);
      const covered: Cluster[] = [];
      const middles: string[] = [];
      for (let k = peers.length - 1, scanned = 0; k >= 0 && scanned < SPAN_SCAN; k--, scanned++) {
        const peer = peers[k]!;
        const aligned = alignToSpan(span, ends.prefix, peer.tokens);
        if (!aligned) continue;
        covered.push(peer);
        middles.push(aligned[ends.prefix]!);
      }
      if (isVariableSpan(middles, opts.mergeAfter)) return foldSpan(covered, ends, hiddenId);
    }
    return undefined;
  }

  /** Fold templates into the most used of them, which becomes a span template; `hiddenId` as in `folded`. */
  function foldSpan(covered: readonly Cluster[], ends: CommonEnds, hiddenId: string | undefined): MineResult {
    const target = covered.reduce((best, c) => (c.count > best.count ? c : best));
    const lined = covered.map((c) => ({ c, aligned: alignToSpan(spanTokens(target.tokens, ends), ends.prefix, c.tokens) }));
    // Position families are token indices of templates that are about to change length: they end here.
    for (const c of covered) for (const key of c.families) families.delete(key);
    detach(target);
    target.tokens = spanTokens(target.tokens, ends);
    target.template = target.tokens.join(' ');
    target.span = ends.prefix;
    target.families = [];
    target.key = SPAN_BUCKET + headOf(target.tokens);
    insert(target);
    const folded: string[] = [];
    for (const { c, aligned } of lined) {
      if (c === target) continue;
      if (aligned) generalise(target, spanCovered(target.tokens, ends.prefix, aligned));
      if (!byId.has(c.id)) continue;
      target.count += c.count;
      retire(c, target);
      folded.push(c.id);
    }
    for (const id of absorbed) if (!folded.includes(id)) folded.push(id);
    absorbed.length = 0;
    const merged = folded.filter((id) => id !== hiddenId);
    return { id: target.id, template: target.template, created: false, changed: true, ...(merged.length > 0 ? { merged } : {}) };
  }

  /** `hiddenId`: the template this very message created, never returned to the caller. */
  function folded(key: string, family: Family, hiddenId?: string): MineResult {
    const { target, folded: ids, changed } = fold(key, family);
    const spanned = changed && target.span === undefined ? relateSpan(target) : undefined;
    const merged = [...ids, ...(spanned?.merged ?? [])].filter((id) => id !== hiddenId);
    const into = spanned ?? target;
    return { id: into.id, template: into.template, created: false, changed: changed || spanned !== undefined, ...(merged.length > 0 ? { merged } : {}) };
  }

  /** `tokens` undefined: a repeat of a message that joined `cluster` without changing it (an exact match), of tokens `words`. */
  function join(cluster: Cluster, tokens: readonly string[] | undefined, words: readonly string[]): MineResult {
    cluster.count++;
    if (tokens !== undefined) rememberSlotWords(cluster, tokens);
    const changed = tokens !== undefined && generalise(cluster, tokens);
    if (cluster.families.length > 0) {
      // Families folded through another member are gone: forget them.
      cluster.families = cluster.families.filter((key) => families.has(key));
      for (const key of cluster.families) {
        const family = families.get(key)!;
        if (observe(family, words)) {
          const result = folded(key, family);
          return { ...result, changed: result.changed || changed };
        }
      }
    }
    const spanned = changed && cluster.span === undefined ? relateSpan(cluster) : undefined;
    return spanned ?? { id: cluster.id, template: cluster.template, created: false, changed };
  }

  /** Every template is made here, in one object shape (the bucket scan reads thousands of them); insert() sets its head. */
  function newCluster(id: string, key: string, tokens: string[], template: string, count: number, example: string, span?: number, structured = false): Cluster {
    return { id, order: created++, key, tokens, template, count, example, families: [], span, head: '', structured };
  }

  function uniqueId(masked: string): string {
    let id = templateId(masked);
    for (let n = 1; byId.has(id) || aliases.has(id); n++) id = templateId(`${masked}\u0000${n}`);
    return id;
  }

  function templateText(cluster: Cluster): string {
    return cluster.structured ? recordText(cluster.tokens) : cluster.tokens.join(' ');
  }

  function view(cluster: Cluster): MinedTemplate {
    return { id: cluster.id, template: cluster.template, count: cluster.count, example: cluster.example };
  }

  /**
   * What a remembered match must still see of the span lookup. A span template can come
   * to cover a plain template it did not fold (beyond its scan, or by generalising later),
   * and the uncached path asks the span first: a remembered match holds only while the
   * span bucket of the message's head keeps its stamp (or, without one, while no span
   * bucket is opened), so the answer never depends on what the cache still holds (a
   * restore starts it empty). Checked without looking the head up: a repeat stays cheap.
   */
  function remembered(cluster: Cluster, words: readonly string[]): Remembered {
    const spans = spanBuckets === 0 ? undefined : buckets.get(SPAN_BUCKET + headOf(words));
    return { cluster, spans, spanStamp: spans === undefined ? spanBuckets : spans.stamp };
  }

  function spansUnchanged(r: Remembered): boolean {
    return r.spans === undefined ? r.spanStamp === spanBuckets : r.spans.stamp === r.spanStamp;
  }

  /** One message; ids absorbed on the way are in `absorbed`. */
  function mine(masked: string): MineResult {
    // A message's bucket never changes (buckets are never removed), so an unchanged stamp means the same match.
    const known = exactMatches.get(masked);
    if (known !== undefined && buckets.get(known.value.cluster.key)?.stamp === known.stamp && spansUnchanged(known.value)) {
      return join(known.value.cluster, undefined, known.words);
    }
    const fields = structuredTokens(masked);
    const tokens = fields ?? textTokens(masked);
    const spanned = spanTemplates > 0 ? matchSpan(tokens) : undefined;
    if (spanned) {
      const spanBucket = buckets.get(spanned.cluster.key)!;
      const stamp = spanBucket.stamp;
      const result = join(spanned.cluster, spanned.aligned, spanned.aligned);
      if (spanBucket.stamp === stamp) exactMatches.set(known, masked, tokens, { cluster: spanned.cluster, spans: spanBucket, spanStamp: stamp }, stamp);
      return result;
    }
    const key = bucketKey(tokens);
    const bucket = buckets.get(key);
    const record = key.endsWith(RECORD_BUCKET);
    const match = bucket ? bestMatch(bucket, tokens, record) : undefined;
    // A record joins its nearest template at once: the fields that differ are its parameters.
    if (bucket && match && (match.score === 1 || record)) {
      const stamp = bucket.stamp;
      const before = remembered(match.cluster, tokens);
      const result = join(match.cluster, tokens, tokens);
      if (bucket.stamp === stamp && spansUnchanged(before)) exactMatches.set(known, masked, tokens, before, stamp);
      return result;
    }
    const cluster = newCluster(uniqueId(masked), key, tokens, '', 1, masked, undefined, fields !== undefined);
    // A structured record's tokens hold `<*>` for its attribute values: the template shows them so.
    cluster.template = templateText(cluster);
    insert(cluster);
    rememberKeyedValues(tokens);
    return (match && relate(match.cluster, cluster, tokens)) ?? relateSpan(cluster, cluster.id) ?? { id: cluster.id, template: cluster.template, created: true, changed: false };
  }

  if (snapshot) {
    checkSnapshot(snapshot);
    /** Templates split into another number of tokens than when they were saved (by a miner before spans were units). */
    const resplit = new Set<string>();
    for (const key of snapshot.emptyBuckets ?? []) if (!buckets.has(key)) openBucket(key);
    for (const s of snapshot.templates) {
      const tokens = s.tokens ? [...s.tokens] : tokenize(s.template);
      if (s.span !== undefined && s.span < tokens.length && tokens[s.span]!.includes(WILDCARD)) {
        // Its saved bucket: a span template whose first token generalised stays under the head it was made with.
        const key = s.key.startsWith(SPAN_BUCKET) ? s.key : SPAN_BUCKET + headOf(tokens);
        insert(newCluster(s.id, key, tokens, s.template, s.count, s.example, s.span));
        continue;
      }
      let key = s.key;
      const split = Number.parseInt(key, 10) !== tokens.length;
      if (split) resplit.add(s.id);
      const example = tokenize(s.example);
      if (split || isNameLike(key.slice(key.indexOf(' ') + 1)) || (!key.endsWith(RECORD_BUCKET) && isRecord(example))) {
        // Saved by a miner that split or bucketed differently: the bucket its first message goes to now.
        const fresh = bucketKey(example);
        key = Number.parseInt(fresh, 10) === tokens.length ? fresh : bucketKey(tokens);
      }
      // Snapshots before structured records kept their tokens tell them by their first message.
      insert(newCluster(s.id, key, tokens, s.template, s.count, s.example, undefined, s.tokens !== undefined || structuredTokens(s.example) !== undefined));
    }
    for (const [from, to] of Object.entries(snapshot.aliases)) aliases.set(from, to);
    for (const word of snapshot.values ?? []) rememberValue(word);
    for (const [word, n] of Object.entries(snapshot.slots ?? {})) slotWords.set(word, n);
    for (const [key, f] of Object.entries(snapshot.families)) {
      // A family's positions are token indices: they mean nothing for a template split anew.
      if (f.members.some((id) => resplit.has(id))) continue;
      families.set(key, { positions: [...f.positions], values: f.values.map((v) => new Set(v)), members: [...f.members] });
      // Only the templates that joined the family belong to it, not the ones a folded member went into.
      for (const id of f.members) byId.get(id)?.families.push(key);
    }
  }

  return {
    add(masked: string): MineResult {
      const result = mine(masked);
      if (absorbed.length === 0) return result;
      const merged = [...(result.merged ?? []), ...absorbed.filter((id) => resolve(id) === result.id)];
      absorbed.length = 0;
      return merged.length > 0 ? { ...result, merged } : result;
    },
    get(id: string): MinedTemplate | undefined {
      const cluster = byId.get(resolve(id));
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
          ...(c.span !== undefined ? { span: c.span } : {}),
          ...(c.structured ? { tokens: [...c.tokens] } : {}),
        })),
        aliases: Object.fromEntries([...aliases.keys()].map((id) => [id, resolve(id)])),
        families: Object.fromEntries(
          [...families].map(([key, f]) => [key, { positions: f.positions, values: f.values.map((v) => [...v]), members: f.members }]),
        ),
        values: [...valueWords],
        slots: Object.fromEntries(slotWords),
        // Emptied by folds, they still hold their places (and take the messages of their key).
        emptyBuckets: [...buckets].filter(([key, b]) => b.clusters.length === 0 && !key.startsWith(SPAN_BUCKET)).map(([key]) => key),
      };
    },
  };
}
