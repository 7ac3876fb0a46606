/**
 * Spans of variable length: one statement whose parameter takes a different number of
 * tokens each time (`statement: <sql>`, `with 404 Not Found in`, an error text after
 * `due to:`). Two templates of different lengths that agree on a long enough start
 * and end differ only in the middle; once a start and end have shown enough distinct
 * middles, the middle is one variable span. The end may lie inside the last token, as
 * punctuation glued to it, when the middle starts with a name (`Starting <unit> - <description>...`).
 * Pure token logic; the miner keeps the state.
 */
import { WILDCARD, coveredBy, isConstantName, isNameLike, isVariableToken, keyOf, sameKey, tokenSignature, valuesAgree } from './miner-tokens.js';

/** Plain words a start and end must hold between them: fewer and a shared head word (`ciod:`) would pass for a statement. */
const CONTEXT_WORDS = 3;

/** Plain words the start alone must hold. */
const START_WORDS = 2;

/** Tokens a template and a message (or two templates) agree on at their start and at their end. */
export interface CommonEnds {
  prefix: number;
  suffix: number;
  /** Punctuation the middle ends with, glued to its last word (`Starting <*>...`): the end inside the last token. */
  tail?: string;
}

/** Tokens that may stand at one position of one statement: equal, covered, two values, or one key with two values. */
function agree(t: string, m: string): boolean {
  return t === m || coveredBy(t, m) || coveredBy(m, t) || valuesAgree(t, m) || sameKey(t, m) || (isNameLike(t) && isNameLike(m));
}

/**
 * The start and end two token lists of different lengths agree on, when each keeps a
 * middle of at least one token (the longer one is not the shorter plus optional tokens)
 * and the start and end hold enough plain words; else undefined.
 */
export function commonEnds(a: readonly string[], b: readonly string[]): CommonEnds | undefined {
  const shorter = Math.min(a.length, b.length);
  if (a.length === b.length || shorter < 2) return undefined;
  let prefix = 0;
  while (prefix < shorter && agree(a[prefix]!, b[prefix]!)) prefix++;
  let suffix = 0;
  while (suffix < shorter && agree(a[a.length - 1 - suffix]!, b[b.length - 1 - suffix]!)) suffix++;
  if (prefix === 0) return undefined;
  const tail = suffix === 0 ? gluedTail(a[a.length - 1]!, b[b.length - 1]!) : undefined;
  const [short, long] = a.length < b.length ? [a, b] : [b, a];
  if (prefix + suffix >= shorter) {
    // The shorter one has no middle: the longer adds optional words or fields (another statement), or more values
    // (a longer list: the shorter keeps its last item as its middle).
    const head = Math.min(prefix, shorter);
    const extra = long.slice(head, long.length - Math.min(suffix, shorter - head));
    if (continuesValue(short, head, extra)) {
      // The value of `key=` takes more words in the longer (`application_name=PostgreSQL JDBC Driver`): it is the middle.
      prefix = head - 1;
      suffix = Math.min(suffix, shorter - head);
    } else if (addsWord(extra, short) || head === 1) return undefined;
    else if (head === shorter) {
      prefix = shorter - 1;
      suffix = 0;
    } else suffix = shorter - prefix - 1;
  }
  // The same, when the shorter's one-token middle and the longer's first differing token are alike (`JOB_SETUP` /
  // `TASK_ABORT for container <*>`): one value, then optional words. More values only (a longer list) is a parameter.
  if (prefix + suffix === shorter - 1 && alike(short[prefix]!, long[prefix]!) && addsWord(long.slice(prefix + 1, long.length - suffix), short)) {
    return undefined;
  }
  // The middle starts after a token that can introduce a parameter; words before it belong to the statement.
  let start = prefix;
  if (keyOf(a[start]!) === undefined) while (start > 0 && !introduces(a[start - 1]!)) start--;
  let startWords = 0;
  for (let i = 0; i < start; i++) if (isWord(a[i]!)) startWords++;
  let endWords = 0;
  for (let i = 0; i < suffix; i++) if (isWord(a[a.length - 1 - i]!)) endWords++;
  // A statement says what happened first: a start of labels or values only (`*<NUM>` … `client: <IP>,`) is no evidence.
  if (startWords >= START_WORDS && startWords + endWords >= CONTEXT_WORDS) {
    return { prefix: start, suffix, ...(suffix === 0 && tail !== undefined ? { tail } : {}) };
  }
  return tail === undefined ? undefined : namedEnds(a, b, prefix, tail);
}

/**
 * Words, then a name or value in both, up to punctuation glued to the last word
 * (`Starting <unit> - <description>...`, `Reached target <unit> - <description>.`): the
 * name begins a parameter that runs to the end. Else undefined.
 */
function namedEnds(a: readonly string[], b: readonly string[], prefix: number, tail: string): CommonEnds | undefined {
  for (let i = 1; i <= prefix && i < a.length && i < b.length; i++) {
    if (!isWord(a[i - 1]!)) return undefined;
    if (namesFirst(a[i]!) && namesFirst(b[i]!)) return { prefix: i, suffix: 0, tail };
  }
  return undefined;
}

/** Punctuation that ends a free-text parameter (`...`, `.`, `!`), glued to the last word of both: at most three marks. */
const TAIL_RE = /[A-Za-z0-9>]([.!?]{1,3})$/;

/** The punctuation both last tokens end with after a letter, digit or placeholder; else undefined. */
function gluedTail(x: string, y: string): string | undefined {
  // Most last tokens end in a letter or digit: skip the pattern then (asked for every peer a new template meets).
  const last = x.charCodeAt(x.length - 1);
  if (last !== 46 && last !== 33 && last !== 63) return undefined;
  const tx = TAIL_RE.exec(x)?.[1];
  return tx !== undefined && tx === TAIL_RE.exec(y)?.[1] ? tx : undefined;
}

/** A token that starts a parameter by itself: a value or a name (`docker.service`, `<EMAIL>`). */
function namesFirst(token: string): boolean {
  return isVariableToken(token) || isNameLike(token);
}

/**
 * Whether the last token of a start can introduce a free parameter: a label (`statement:`,
 * `due to:`, `key=`, `execute <*>:`). After a word or a value (`automatic`, `server <*>`)
 * the next word still belongs to the statement (`vacuum …` / `analyze …`, `failed, …` /
 * `succeeded, …` are two statements each).
 */
function introduces(token: string): boolean {
  const last = token.charCodeAt(token.length - 1);
  return last === 58 || last === 61;
}

/**
 * Whether the tokens `extra` the longer adds after the agreed start `head` continue the
 * value of the start's last token, a `key=value`: they hold no key of their own.
 */
function continuesValue(short: readonly string[], head: number, extra: readonly string[]): boolean {
  if (head === 0 || keyOf(short[head - 1]!) === undefined) return false;
  return extra.length > 0 && extra.every((t) => keyOf(t) === undefined);
}

/** Whether `extra` holds a word of letters or a `key=` that `base` lacks. */
function addsWord(extra: readonly string[], base: readonly string[]): boolean {
  return extra.some((t) => {
    const key = keyOf(t);
    if (key !== undefined) return !base.some((u) => u.startsWith(key));
    return /^[A-Za-z]{2,}[.,:;]?$/.test(t) && !base.includes(t);
  });
}

/** A token of the statement's own text: neither a value nor a name. */
function isWord(token: string): boolean {
  return !isVariableToken(token) && !isNameLike(token);
}

/** Two tokens of one kind: both values, or both UPPER_CASE constants. */
function alike(t: string, m: string): boolean {
  return (isVariableToken(t) && isVariableToken(m)) || (isConstantName(t) && isConstantName(m));
}

/** Distinct lengths the middles of a variable span show: a parameter of variable length varies in length. */
const SPAN_LENGTHS = 3;

/**
 * Whether the middles seen between one start and end are one parameter of variable
 * length: `distinct` different middles of at least three lengths, at least half of them
 * holding a value (a statement's data: SQL, parameter lists). Different endings of
 * different statements (`: Bad file descriptor`, `: Permission denied`) are prose of a
 * few lengths, and stay apart.
 */
export function isVariableSpan(middles: readonly string[], distinct: number): boolean {
  const unique = new Set(middles);
  if (unique.size < distinct) return false;
  const lengths = new Set<number>();
  let withValue = 0;
  for (const middle of unique) {
    const words = middle.split(' ');
    lengths.add(words.length);
    // A middle that starts as `key=` is that key's value; one that starts with a name is that name's text.
    if (words.some(isVariableToken) || keyOf(words[0]!) !== undefined || isNameLike(words[0]!)) withValue++;
  }
  return lengths.size >= SPAN_LENGTHS && withValue * 2 >= unique.size;
}

/**
 * A span template's tokens: the start, one wildcard for the middle (`key=<*>` when it is
 * a key's value, `<*>...` when it ends glued to punctuation), the end.
 */
export function spanTokens(tokens: readonly string[], ends: CommonEnds): string[] {
  const key = keyOf(tokens[ends.prefix]!);
  return [...tokens.slice(0, ends.prefix), (key ?? '') + WILDCARD + (ends.tail ?? ''), ...tokens.slice(tokens.length - ends.suffix)];
}

/** The punctuation a span token's middle must end with (`<*>...` → `...`), or ''. */
function tailOf(spanToken: string): string {
  return spanToken.slice(spanToken.indexOf(WILDCARD) + WILDCARD.length);
}

/**
 * A message's tokens lined up with a span template (`span`: the index of its middle),
 * the middle joined into one token; undefined when the message is too short or a word
 * of the start or end differs. The result has the template's length, so the miner's
 * position logic (generalise, families) applies to it unchanged.
 */
export function alignToSpan(template: readonly string[], span: number, tokens: readonly string[]): string[] | undefined {
  const suffix = template.length - span - 1;
  if (tokens.length < span + suffix + 1) return undefined;
  for (let i = 0; i < span; i++) if (!agree(template[i]!, tokens[i]!)) return undefined;
  const offset = tokens.length - template.length;
  for (let i = span + 1; i < template.length; i++) if (!agree(template[i]!, tokens[i + offset]!)) return undefined;
  const middle = tokens.slice(span, span + offset + 1).join(' ');
  const tail = tailOf(template[span]!);
  // A middle up to a glued end starts with a name, as the ones the span was made of (namedEnds).
  if (tail !== '' && !(namesFirst(tokens[span]!) && TAIL_RE.exec(middle)?.[1] === tail)) return undefined;
  return [...tokens.slice(0, span), middle, ...tokens.slice(span + offset + 1)];
}

/** Aligned tokens (alignToSpan) as a message of the template: a middle that ends with the span token's tail is covered by it. */
export function spanCovered(template: readonly string[], span: number, aligned: string[]): string[] {
  if (tailOf(template[span]!) !== '') aligned[span] = template[span]!;
  return aligned;
}

/** The head a template or message is indexed by across lengths: its first token's signature. */
export function headOf(tokens: readonly string[]): string {
  return tokens.length === 0 ? '' : tokenSignature(tokens[0]!);
}
