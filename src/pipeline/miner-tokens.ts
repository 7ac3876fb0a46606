/** Token-level rules of the template miner: what is a value, what agrees, what a slot generalises to. */

export const WILDCARD = '<*>';
const KEYED_WILDCARD = `=${WILDCARD}`;
/** Stands for a value without placeholders (a raw token holding digits) in a signature. */
const RAW_VALUE = '\u0001';
/** A quoted field that holds no value, as access logs write it. */
const EMPTY_FIELD = '"-"';
const EMPTY_QUOTES = '""';

/** Tokens holding a digit or a placeholder are values, not words; so are `"-"` and `""`, quoted fields left empty. */
export function isVariableToken(token: string): boolean {
  if (token.length <= 3 && (token === EMPTY_FIELD || token === EMPTY_QUOTES)) return true;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
    // '<' followed by an upper-case letter or '*': a placeholder such as <NUM> or <*>.
    if (c === 60) {
      const d = token.charCodeAt(i + 1);
      if ((d >= 65 && d <= 90) || d === 42) return true;
    }
  }
  return false;
}

/**
 * An UPPER_CASE name of two or more letters (`RUNNING`, `FAIL_TASK_CLEANUP`, `GET`),
 * one trailing punctuation mark aside: by convention an enum constant, not a value.
 */
export function isConstantName(token: string): boolean {
  const last = token.charCodeAt(token.length - 1);
  // `,.:;`, or the quote that closes a quoted message (`"SyncLoop ADD"`).
  const end = last === 44 || last === 46 || last === 58 || last === 59 || last === 34 ? token.length - 1 : token.length;
  let letters = 0;
  for (let i = 0; i < end; i++) {
    const c = token.charCodeAt(i);
    if (c >= 65 && c <= 90) letters++;
    else if (c !== 95) return false;
  }
  return letters >= 2;
}

/** What a message may hold that earns half an agreement in `similarity` (see `similarityHints`). */
export const KEYED_HINT = 1;
export const ID_HINT = 2;
export const NAMED_HINT = 4;
export const BRACKET_HINT = 8;
export const WORD_VALUE_HINT = 16;

/**
 * Share of comparable positions whose words agree. A template wildcard agrees with
 * anything; two values are not compared (they are always variable). Two differing
 * tokens that are one field (the same key with another value) or both hosts or ids
 * (`cdn.example.com:<NUM>`, `rdd_<NUM>_<NUM>`) or names glued to ids (`cleanup[<UUID>]`) agree by half, so a short message finds
 * its sibling and the miner can weigh the evidence. Gives 0 as soon as the share can
 * no longer reach `floor`, so scanning unrelated templates is cheap. `hints`: what
 * `tokens` may hold (similarityHints); a hint left out skips its test.
 */
export function similarity(template: readonly string[], tokens: readonly string[], floor = 0, hints = KEYED_HINT | ID_HINT | NAMED_HINT | BRACKET_HINT | WORD_VALUE_HINT): number {
  // Agreements are counted in halves: whole numbers keep this loop in integer arithmetic.
  let halves = 0;
  let compared = 0;
  const n = tokens.length;
  for (let i = 0; i < n; i++) {
    const t = template[i]!;
    const m = tokens[i]!;
    if (t === m) {
      if (!isVariableToken(m)) {
        halves += 2;
        compared++;
      }
    } else if (coveredBy(t, m)) {
      halves += 2;
      compared++;
    } else if (!valuesAgree(t, m)) {
      // Asked only when the message has such tokens: even a cheap test here slows the scan of a large bucket.
      if (hints !== 0 && halfAgree(t, m, hints)) halves++;
      compared++;
      const rest = n - i - 1;
      if (halves + 2 * rest < 2 * floor * (compared + rest)) return 0;
    }
  }
  return compared === 0 ? 1 : halves / (2 * compared);
}

function halfAgree(t: string, m: string, hints: number): boolean {
  if ((hints & KEYED_HINT) !== 0 && t.charCodeAt(0) === m.charCodeAt(0) && sameKey(t, m)) return true;
  if ((hints & ID_HINT) !== 0 && isIdLike(m) && isIdLike(t)) return true;
  if ((hints & BRACKET_HINT) !== 0 && isBracketed(m) && isBracketed(t) && sameOpener(t, m)) return true;
  if ((hints & WORD_VALUE_HINT) !== 0 && isWordValue(m) && isWordValue(t)) return true;
  return (hints & NAMED_HINT) !== 0 && isNamedValue(m) && isNamedValue(t);
}

/** A word with no digit that still reads as a value: a qualified name (`api.example.com`, `org.acme.Cart`), a quoted word, a single letter. */
function isWordValue(token: string): boolean {
  const c = token.charCodeAt(0);
  if (token.length === 1) return isLetter(c);
  // Asked of every word of a message that matches no template exactly: the first char and a dot decide most cheaply.
  if (c === 34 || c === 39 || c === 91 || c === 123 || c === 92) return isQuotedWord(token);
  return token.indexOf('.') > 0 && QUALIFIED_NAME.test(token);
}

/** Three or more names joined by dots, maybe after a `key:` and with a port or a trailing comma: a host or a class, never prose. */
const QUALIFIED_NAME = /^(?:[A-Za-z]\w*:)?[A-Za-z][\w-]*(?:\.[A-Za-z][\w-]*){2,}(?::[A-Za-z]+)?[,;]?$/;

function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

/** Two bracketed tokens opened alike: the same bracket after the same type name, if any. */
function sameOpener(t: string, m: string): boolean {
  const at = openerAt(t);
  return at === openerAt(m) && t.slice(0, at + 1) === m.slice(0, at + 1);
}

/** A whole `[…]` or `{…}` token: a printed list, map or struct (`[alpha beta]`, `{a:1 b:2}`), whose content is data. */
function isBracketed(token: string): boolean {
  // The closing bracket first: most tokens end otherwise, and similarityHints asks of every token.
  const last = token.charCodeAt(token.length - 1);
  if (last !== 93 && last !== 125) return false;
  const at = openerAt(token);
  const open = token.charCodeAt(at);
  return (open === 91 || open === 123) && token.length > at + 2 && last === closerOf(open);
}

/** Which half agreements a message can earn: KEYED_HINT for a `key=value` token, ID_HINT for a host or id, NAMED_HINT for a name glued to an id. */
export function similarityHints(tokens: readonly string[]): number {
  let hints = 0;
  for (const t of tokens) {
    // One pass over the token: an `=` after its first char, or a digit or `<` (a value that may be an id).
    let value = false;
    let keyed = false;
    for (let k = 0; k < t.length; k++) {
      const c = t.charCodeAt(k);
      if (c === 61 && k > 0) keyed = true;
      else if ((c >= 48 && c <= 57) || c === 60) value = true;
    }
    if (isBracketed(t)) hints |= BRACKET_HINT;
    if (keyed) hints |= KEYED_HINT;
    else if (value && isIdLike(t)) hints |= ID_HINT;
    else if (value && isNamedValue(t)) hints |= NAMED_HINT;
    else if (!value && isWordValue(t)) hints |= WORD_VALUE_HINT;
  }
  return hints;
}

/** Whether two tokens are `key=value` with one word key (`containerName="web"`, `containerName="api"`). */
export function sameKey(t: string, m: string): boolean {
  const eq = t.indexOf('=');
  if (eq <= 0 || eq >= m.length - 1 || eq === t.length - 1 || m.charCodeAt(eq) !== 61) return false;
  for (let i = 0; i < eq; i++) {
    const c = t.charCodeAt(i);
    if (c !== m.charCodeAt(i) || (c >= 48 && c <= 57) || c === 60) return false;
  }
  return true;
}

/** Whether template token `t` is a wildcard (`<*>`, or `key=<*>`) that covers `m`. */
export function coveredBy(t: string, m: string): boolean {
  if (t.charCodeAt(t.length - 1) !== 62) return false; // '>': cheap exit for plain words
  if (t === WILDCARD) return true;
  return t.endsWith(KEYED_WILDCARD) && m.startsWith(t.slice(0, t.length - WILDCARD.length));
}

/** What two differing tokens generalise to: `key=<*>` when they share the key, else `<*>`. */
export function wildcardFor(t: string, m: string): string {
  const key = keyOf(t);
  return key !== undefined && m.startsWith(key) && m.length > key.length ? key + WILDCARD : WILDCARD;
}

/** The `key=` of a `key=value` token whose key is a word and whose value is not empty, else undefined. */
export function keyOf(token: string): string | undefined {
  const eq = token.indexOf('=');
  if (eq <= 0 || eq === token.length - 1) return undefined;
  const key = token.slice(0, eq + 1);
  // A span (`[LocalLog partition=a, dir=b]`) is one value, not a key: `[LocalLog partition=<*>` would split in two.
  if (closerOf(token.charCodeAt(0)) !== 0 || key.includes(' ')) return undefined;
  return isVariableToken(key) ? undefined : key;
}

/** End (after '>') of the placeholder starting at `i`, or -1. */
function placeholderEnd(token: string, i: number): number {
  if (token.charCodeAt(i) !== 60) return -1;
  let j = i + 1;
  for (let c = token.charCodeAt(j); (c >= 65 && c <= 90) || c === 42; c = token.charCodeAt(++j));
  return j > i + 1 && token.charCodeAt(j) === 62 ? j + 1 : -1;
}

/**
 * The text before the first placeholder and after the last: `(uid=<NUM>)` and
 * `LOGIN(uid=<NUM>)` differ, `id=<NUM>` and `id=<IP>` do not, nor do ids whose
 * inner separators vary (`task_<TS>_m_<NUM>`, `task_<TS>_r_<NUM>`).
 */
function shapeOf(token: string): string {
  const span = spanShape(token);
  if (span !== undefined) return span;
  let first = -1;
  let last = -1;
  for (let i = 0; i < token.length; i++) {
    const end = placeholderEnd(token, i);
    if (end < 0) continue;
    if (first < 0) first = i;
    last = end;
    i = end - 1;
  }
  return first < 0 ? token : `${token.slice(0, first)}<>${token.slice(last)}`;
}

/**
 * The shape of a quoted field or a multi-word `[…]`/`{…}` span (a type name before its bracket included): its delimiters and its
 * first word when that is a word, so fields holding values agree (`"<URL>"`, `"-"`,
 * `"curl/<NUM>"`) while a leading word still tells spans apart (`"GET …"`, `"POST …"`).
 */
function spanShape(token: string): string | undefined {
  const at = openerAt(token);
  const open = token.charCodeAt(at);
  const close = closerOf(open);
  if (close === 0 || token.length < at + 2 || !closes(token, close)) return undefined;
  const space = token.indexOf(' ');
  if (open !== 34 && space < 0) return undefined;
  const end = token.lastIndexOf(String.fromCharCode(close));
  const first = space < 0 ? '' : token.slice(at + 1, space);
  return `${token.slice(0, at + 1)}${first.length > 0 && !isVariableToken(first) ? `${first} ` : ''}<>${token.slice(end)}`;
}

/**
 * Two different tokens that may share a template slot without evidence: both values,
 * and, when both hold placeholders, the same text around them.
 */
export function valuesAgree(t: string, m: string): boolean {
  if (!isVariableToken(t) || !isVariableToken(m)) return false;
  if (t.endsWith(')') || m.endsWith(')')) {
    t = withoutAnnotation(t);
    m = withoutAnnotation(m);
  }
  if ((!t.includes('<') || !m.includes('<')) && spanShape(t) === undefined && spanShape(m) === undefined) return true;
  return shapeOf(t) === shapeOf(m) || sameCall(t, m);
}

/**
 * `ubuntu(uid=<NUM>)` and `deploy(uid=<NUM>)`: a name with its attributes in parentheses,
 * the same but for the name, is one value. An UPPER_CASE name (`LOGIN(uid=<NUM>)`) or
 * none (`(uid=<NUM>)`) is the statement's own.
 */
function sameCall(t: string, m: string): boolean {
  const a = t.indexOf('(');
  const b = m.indexOf('(');
  if (a <= 0 || b <= 0 || t.length - a !== m.length - b || !t.endsWith(m.slice(b))) return false;
  const x = t.slice(0, a);
  const y = m.slice(0, b);
  return /^[a-z][a-z0-9_-]*$/.test(x) && /^[a-z][a-z0-9_-]*$/.test(y);
}

export function wildcardCount(tokens: readonly string[]): number {
  let n = 0;
  for (const t of tokens) if (t.endsWith(WILDCARD)) n++;
  return n;
}

/**
 * A key under which a message and a template agree at every position when they are
 * equal: words as they are, placeholder tokens by shape, other values as one mark.
 */
export function signatureOf(tokens: readonly string[]): string {
  let out = '';
  for (let i = 0; i < tokens.length; i++) {
    if (i > 0) out += ' ';
    const t = tokens[i]!;
    // Plain words as they are, without a call: most tokens of most messages.
    out += isVariableToken(t) ? tokenSignature(t) : t;
  }
  return out;
}

/** One token as signatureOf writes it. */
export function tokenSignature(t: string): string {
  return !isVariableToken(t) ? t : t.includes('<') || spanShape(t) !== undefined ? shapeOf(t) : RAW_VALUE;
}

/** Most words a quoted or bracketed span may hold and still be one token; longer ones stay split. */
const MAX_SPAN_WORDS = 48;

/** The char that closes a span opened by `open` ('"', '[' or '{'), or 0. */
function closerOf(open: number): number {
  return open === 34 ? 34 : open === 91 ? 93 : open === 123 ? 125 : 0;
}

/** Whether `word` ends a span closed by `close`: its last char, or the one before up to two trailing `,;:.)` (`]).`). */
function closes(word: string, close: number): boolean {
  let n = word.length;
  for (let stripped = 0; n > 0; stripped++) {
    const last = word.charCodeAt(n - 1);
    // An escaped quote (`\"name\"` inside a quoted message) does not close it.
    if (last === close) return close !== 34 || word.charCodeAt(n - 2) !== 92;
    if (stripped === 2 || !(last === 44 || last === 59 || last === 58 || last === 46 || last === 41)) return false;
    n--;
  }
  return false;
}

/**
 * A masked message's tokens. A quoted string, `[…]` or `{…}` that spans several words
 * is one token: it is one field (a request line, a user agent, a bracketed date, a
 * structure), so its inner word count must not set the message's length. So is a
 * list of like values (`blk_<NUM> blk_<NUM> blk_<NUM>`, `<NUM>, <NUM>, <NUM>.`): one
 * parameter however many items it holds.
 */
export function tokenize(masked: string): string[] {
  if (masked.length === 0) return [];
  return structuredTokens(masked) ?? textTokens(masked);
}

/** The tokens of a message that is not a structured record (see tokenize). */
export function textTokens(masked: string): string[] {
  if (masked.length === 0) return [];
  const tokens = spanned(masked);
  return masked.indexOf(' (') >= 0 ? joinAnnotations(tokens) : tokens;
}

/** The tokens of a structured record (a JSON object, logfmt, klog's quoted message and pairs); undefined for other text. */
export function structuredTokens(masked: string): string[] | undefined {
  if (masked.startsWith('{"') && masked.endsWith('}')) return jsonTokens(masked);
  if (LOGFMT_START_RE.test(masked)) return logfmtTokens(masked);
  return masked.charCodeAt(0) === 34 ? klogTokens(masked) : undefined;
}

/**
 * Keys, in lower case, of a structured record whose string is the statement's own text: its
 * words are kept apart (slog, zap, logrus, pino: `msg`; ECS, Winston, GCP, journald's
 * `MESSAGE`: `message`; Serilog: `@m`, `@mt`).
 */
const TEXT_KEYS = new Set(['msg', 'message', '@m', '@mt']);
/** The text of a record that has none of TEXT_KEYS (structlog: `event`; Docker's json-file: `log`); elsewhere an attribute like any other. */
const FALLBACK_TEXT_KEYS = new Set(['event', 'log']);
const HAS_TEXT_KEY_RE = /(?:^|[{, ])"?(?:msg|message|@mt?)"?[:=]/i;
/** Keys, in lower case, of a structured record whose value the call site fixes (level, logger, program): kept whole. */
const SITE_KEYS = new Set([
  'level', 'lvl', 'severity', 'log.level', '@l', 'levelname', 'loglevel', 'log_level', 'priority',
  'logger', 'logger_name', 'loggername', 'log.logger', 'caller', 'syslog_identifier',
]);

type KeyRole = 'text' | 'site' | 'attribute';

/** How a record's keys are read; whether it has a key of TEXT_KEYS is asked only of a fallback key, once. */
function keyRoles(masked: string, hasText?: boolean): (key: string) => KeyRole {
  return (key) => {
    const lower = key.toLowerCase();
    if (TEXT_KEYS.has(lower)) return 'text';
    if (FALLBACK_TEXT_KEYS.has(lower)) {
      hasText ??= HAS_TEXT_KEY_RE.test(masked);
      return hasText ? 'attribute' : 'text';
    }
    return SITE_KEYS.has(lower) ? 'site' : 'attribute';
  };
}

/** The index of the quote that closes the string opened at `open` (backslash escapes skipped), or the text's length. */
function closingQuote(text: string, open: number): number {
  let k = open + 1;
  while (k < text.length && text.charCodeAt(k) !== 34) k += text.charCodeAt(k) === 92 ? 2 : 1;
  return Math.min(k, text.length);
}

/**
 * A message that is one JSON object (structured logging: `{"level":"info","msg":"applied
 * snapshot","index":<NUM>}`) as tokens: its top-level fields, split after each comma. A
 * message field reads as text: its opening `"msg":"`, each word, and its closing `",` are
 * tokens, so a value among the words is found as in plain text. A level or logger field is
 * one token; any other field is an attribute the encoder wrote, so its value is a parameter
 * whatever it holds (`"currency":"SEK"`, `"error":"connection reset"`, a nested object): two
 * tokens, its key (the statement's) and `<*>`. Undefined when the object closes before the
 * message ends (`{"a":1} then {"b":2}`).
 */
function jsonTokens(masked: string): string[] | undefined {
  const roleOf = keyRoles(masked);
  const out: string[] = [];
  let start = 0;
  let depth = 0;
  const cut = (end: number, next: number): void => {
    if (end > start) out.push(masked.slice(start, end));
    start = next;
  };
  for (let k = 0; k < masked.length; k++) {
    const c = masked.charCodeAt(k);
    if (c === 34) {
      // A field starts a token (the first one after the object's opening brace).
      const keyEnd = depth === 1 && (k === start || k === 1) ? closingQuote(masked, k) : -1;
      const role = keyEnd >= 0 && masked.charCodeAt(keyEnd + 1) === 58 ? roleOf(masked.slice(k + 1, keyEnd)) : undefined;
      const text = role === 'text' ? textField(masked, keyEnd + 2) : undefined;
      const end = role !== undefined && !text ? valueEnd(masked, keyEnd + 2) : -1;
      if (text) {
        // The opening `"key":"`, the words, and the closing quote with its comma or brace, each a token.
        out.push(masked.slice(start, text.open + 1));
        pushWords(out, masked.slice(text.open + 1, text.close));
        if (masked.charCodeAt(text.close + 1) === 125) {
          out.push('"}');
          return text.close + 2 === masked.length ? out : undefined;
        }
        out.push('",');
        start = text.close + 2;
        k = text.close + 1;
      } else if (end < 0) {
        // A string that is not a field, or a value that does not parse: not one JSON object.
        return undefined;
      } else {
        // The field, ending in its comma or in the object's closing brace: an attribute's key and
        // `<*>`; a level's or a logger's whole (or a text that is not a string).
        const close = masked.charCodeAt(end) === 44 ? ',' : '}';
        if (role === 'attribute') out.push(masked.slice(start, keyEnd + 2), `<*>${close}`);
        else out.push(masked.slice(start, end + 1));
        start = end + 1;
        if (close === '}') return start === masked.length ? out : undefined;
        k = end;
      }
    } else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) {
      if (--depth === 0 && k < masked.length - 1) return undefined;
    } else if (depth === 1 && c === 44) cut(k + 1, k + 1);
    else if (depth === 1 && c === 32) cut(k, k + 1);
  }
  cut(masked.length, masked.length);
  return out;
}

/** The quotes of a JSON string value starting at `from` (a space may come first) and followed by a comma or a brace; undefined for any other value. */
function textField(masked: string, from: number): { open: number; close: number } | undefined {
  let open = from;
  while (masked.charCodeAt(open) === 32) open++;
  if (masked.charCodeAt(open) !== 34) return undefined;
  const close = closingQuote(masked, open);
  const after = masked.charCodeAt(close + 1);
  return close < masked.length && (after === 44 || after === 125) ? { open, close } : undefined;
}

/** A text's words, one push at a time (a text of many words would overflow push's arguments). */
function pushWords(out: string[], text: string): void {
  for (const word of text.split(' ')) if (word !== '') out.push(word);
}

/** Where a JSON value starting at `from` ends: the index of the comma after it, or of the object's closing brace; -1 when it does not parse. */
function valueEnd(masked: string, from: number): number {
  let depth = 0;
  for (let k = from; k < masked.length; k++) {
    const c = masked.charCodeAt(k);
    if (c === 34) k = closingQuote(masked, k);
    else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) {
      if (depth === 0) return c === 125 ? k : -1;
      depth--;
    } else if (c === 44 && depth === 0) return k;
  }
  return -1;
}

/** A logfmt record starts with a key and `=`. */
const LOGFMT_START_RE = /^[A-Za-z_][\w.-]*=/;
const LOGFMT_KEY_RE = /^[A-Za-z_][\w.-]*$/;
/** Fewer pairs than this is prose that holds a key=value, not a record. */
const LOGFMT_MIN_PAIRS = 3;

/**
 * A message that is a logfmt record (`time=<TS> level=info msg="order placed" id=<NUM>`,
 * Go's slog and logrus text handlers): nothing but key=value pairs, a value quoted when it
 * holds spaces. Read as a JSON object is: the words of the message apart, level and
 * logger whole, any other pair its key and a parameter. Undefined when a word is not a
 * pair, or the pairs are too few.
 */
function logfmtTokens(masked: string): string[] | undefined {
  return pairTokens(masked, 0, [], 0, keyRoles(masked));
}

/**
 * Kubernetes' structured logging (klog): a quoted message, then key=value pairs
 * (`"Probe failed" probeType="Readiness" pod="default/web-1" output="…"`). The message
 * counts as a pair, its words kept apart as a `msg` field's are.
 */
function klogTokens(masked: string): string[] | undefined {
  const close = closingQuote(masked, 0);
  if (close + 2 >= masked.length || masked.charCodeAt(close + 1) !== 32) return undefined;
  const out = ['"'];
  pushWords(out, masked.slice(1, close));
  out.push('"');
  return pairTokens(masked, close + 2, out, 1, keyRoles(masked, true));
}

/** The pairs from `at` on, after the tokens and pair count already read; undefined as for logfmtTokens. */
function pairTokens(masked: string, from: number, out: string[], read: number, roleOf: (key: string) => KeyRole): string[] | undefined {
  let pairs = read;
  for (let at = from; at < masked.length; ) {
    const eq = masked.indexOf('=', at);
    if (eq < 0) return undefined;
    const key = masked.slice(at, eq);
    if (!LOGFMT_KEY_RE.test(key)) return undefined;
    let end: number;
    if (masked.charCodeAt(eq + 1) === 34) {
      end = closingQuote(masked, eq + 1) + 1;
      if (end > masked.length) return undefined;
    } else {
      end = masked.indexOf(' ', eq);
      if (end < 0) end = masked.length;
    }
    if (end < masked.length && masked.charCodeAt(end) !== 32) return undefined;
    const role = roleOf(key);
    if (role === 'text') {
      // A quoted text's opening `key="`, its words, and its closing quote, each a token; a one-word text whole.
      if (masked.charCodeAt(eq + 1) === 34) {
        out.push(masked.slice(at, eq + 2));
        pushWords(out, masked.slice(eq + 2, end - 1));
        out.push('"');
      } else out.push(masked.slice(at, end));
    } else if (role === 'site') out.push(masked.slice(at, end));
    else out.push(`${key}=<*>`);
    pairs++;
    at = end + 1;
  }
  return pairs >= LOGFMT_MIN_PAIRS ? out : undefined;
}

/** A text field's opening token: `"msg":"`, `{"msg": "`, `msg="` (klog's leading `"` is told by its place). */
const TEXT_OPENER_RE = /^(?:\{?"(?:[^"\\]|\\.)*": ?"|[A-Za-z_][\w.-]*=")$/;
const isCloser = (token: string): boolean => token === '"' || token === '",' || token === '"}';

/**
 * A structured record's template as the record writes it: its tokens joined by spaces,
 * except inside a text field's quotes (`"msg":"order placed",`). Read back by tokenize, a
 * well-formed record's template gives the same tokens (snapshots keep the tokens anyway).
 */
export function recordText(tokens: readonly string[]): string {
  let text = tokens[0] ?? '';
  for (let i = 1; i < tokens.length; i++) {
    const prev = tokens[i - 1]!;
    const t = tokens[i]!;
    text += isCloser(t) || (i === 1 && prev === '"') || TEXT_OPENER_RE.test(prev) ? t : ` ${t}`;
  }
  return text;
}

/** A value in parentheses and nothing else (`(<SIZE>)`, `(<NUM>%)`), as a masked message writes it. */
const ANNOTATION_RE = /^\((?:<[A-Z]+>|[\d.,%:+-])+\)$/;

/**
 * A value followed by a value in parentheses is one parameter stated twice (`<SIZE>
 * (<SIZE>)`, `<NUM> (<NUM>%)`): the annotation is optional, so it joins the value
 * rather than lengthen the statement.
 */
function joinAnnotations(tokens: string[]): string[] {
  const out: string[] = [];
  for (const word of tokens) {
    const prev = out[out.length - 1];
    if (prev !== undefined && word.charCodeAt(0) === 40 && ANNOTATION_RE.test(word) && isVariableToken(prev) && !prev.endsWith(')')) {
      out[out.length - 1] = `${prev} ${word}`;
    } else out.push(word);
  }
  return out;
}

/** A token without the value in parentheses that joinAnnotations put after it. */
function withoutAnnotation(token: string): string {
  const open = token.lastIndexOf(' (');
  return open > 0 && ANNOTATION_RE.test(token.slice(open + 1)) ? token.slice(0, open) : token;
}

/** tokenize without annotations: quoted and bracketed spans and lists joined. */
function spanned(masked: string): string[] {
  const words = masked.split(' ');
  if (masked.indexOf('"') < 0 && masked.indexOf('[') < 0 && masked.indexOf('{') < 0) return hasList(words) ? joinLists(words) : words;
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const open = word.charCodeAt(openerAt(word));
    const close = closerOf(open);
    // Brackets nest (`[shards started [[a][0], [b][0]]])`): a bracketed span ends where its depth returns to 0.
    let depth = close === 34 ? 0 : nesting(word, open, close);
    // A quoted text that starts the message is the statement's own text (klog's `"Probe failed" pod=…`): its words.
    if (close === 0 || (close === 34 ? i === 0 || (word.length > 1 && closes(word, close)) : depth <= 0)) {
      out.push(word);
      continue;
    }
    let end = -1;
    const limit = Math.min(words.length, i + MAX_SPAN_WORDS);
    for (let j = i + 1; j < limit && end < 0; j++) {
      if (close === 34 ? closes(words[j]!, close) : (depth += nesting(words[j]!, open, close)) <= 0) end = j;
    }
    if (end < 0) {
      out.push(word);
      continue;
    }
    out.push(words.slice(i, end + 1).join(' '));
    i = end;
  }
  return hasList(out) ? joinLists(out) : out;
}

/** A type name glued to a printed value's bracket: Go's `map[`, `&{`, a Java object's `Order{`. */
const TYPED_OPENER_RE = /^(?:&|[A-Za-z_][\w.$]*)[[{]/;

/** Where a word's span would open: its first char, or the bracket after a type name (see TYPED_OPENER_RE). */
function openerAt(word: string): number {
  const c = word.charCodeAt(0);
  if (c === 34 || c === 91 || c === 123) return 0;
  const m = TYPED_OPENER_RE.exec(word);
  return m ? m[0].length - 1 : 0;
}

/** Brackets `open` opened minus those `close` closed in `word`. */
function nesting(word: string, open: number, close: number): number {
  let depth = 0;
  for (let k = 0; k < word.length; k++) {
    const c = word.charCodeAt(k);
    if (c === open) depth++;
    else if (c === close) depth--;
  }
  return depth;
}

/**
 * Whether `word`, repeated, starts a list: a value that is more than a bare placeholder
 * (`blk_<NUM>`, not `<NUM>`: columns of numbers are fixed fields), or any value followed
 * by a comma. Quoted and bracketed fields (`"-" "-"`) are fields, not items; tokens
 * holding `<*>` are a template's and never join.
 */
function listItem(word: string): boolean {
  if (!isVariableToken(word) || word.includes(WILDCARD) || closerOf(word.charCodeAt(0)) !== 0) return false;
  if (word.charCodeAt(word.length - 1) === 44) return true;
  return placeholderEnd(word, 0) !== word.length;
}

/** Whether `next` ends a comma list of `item`s: the item without its comma, maybe with other punctuation (`<NUM>.`). */
function endsList(item: string, next: string | undefined): boolean {
  return next !== undefined && next !== item && next.length <= item.length && next.startsWith(item.slice(0, -1));
}

function hasList(words: readonly string[]): boolean {
  for (let i = 1; i < words.length; i++) {
    const prev = words[i - 1]!;
    // Cheap exits first: a list item ends with ',' or is repeated as it is.
    if (prev.charCodeAt(prev.length - 1) !== 44 && words[i] !== prev) continue;
    if ((words[i] === prev || endsList(prev, words[i])) && listItem(prev)) return true;
  }
  return false;
}

/** Runs of two or more like list items (the last of a comma list may drop its comma: `<NUM>, <NUM>.`), as one token each. */
function joinLists(words: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    let end = i;
    while (end + 1 < words.length && words[end + 1] === word) end++;
    if (word.endsWith(',') && endsList(word, words[end + 1])) end++;
    if (end === i || !listItem(word)) {
      out.push(word);
      continue;
    }
    out.push(words.slice(i, end + 1).join(' '));
    i = end;
  }
  return out;
}

/** Whether template `t` matches every message `other` matches: each position equal or covered by a wildcard. */
export function coversAll(t: readonly string[], other: readonly string[]): boolean {
  if (t.length !== other.length) return false;
  for (let i = 0; i < t.length; i++) if (t[i] !== other[i] && !coveredBy(t[i]!, other[i]!)) return false;
  return true;
}

/**
 * A word shaped like a name given at run time rather than prose: letters joined by
 * `-`, `_`, `.`, `~`, `/` or `:` inside it, or ending in `~`/`-` (`https-in~`, `web-backend`,
 * `LR--`, `api.example.com`), quoted or not. Two such words in one slot are evidence enough that it is variable.
 */
export function isNameLike(token: string): boolean {
  let start = 0;
  let n = token.length;
  const last = token.charCodeAt(n - 1);
  if (last === 44 || last === 59) n--;
  // Dots that end a sentence (`tool.`, `files...`) are not joiners.
  while (n > 0 && token.charCodeAt(n - 1) === 46) n--;
  if (token.charCodeAt(0) === 34 && token.charCodeAt(n - 1) === 34) {
    start = 1;
    n--;
  }
  let joined = false;
  for (let i = start; i < n; i++) {
    const c = token.charCodeAt(i);
    if (isLetter(c)) continue;
    if (i === start || !(c === 45 || c === 95 || c === 46 || c === 126 || c === 47 || c === 58)) return false;
    if (i < n - 1 || c === 126 || c === 45) joined = true;
  }
  return joined;
}

/**
 * A value token (digits or placeholders) made only of letters, digits, placeholders and
 * the joiners of names (`-_.~/:`): an id or host such as `rdd_<NUM>_<NUM>` or
 * `220-135-151-1.hinet-ip.net`, never a span, a key=value or text around a value (`(uid=<NUM>)`).
 */
export function isIdLike(token: string): boolean {
  if (!isVariableToken(token)) return false;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90)) continue;
    if (c === 45 || c === 95 || c === 46 || c === 126 || c === 47 || c === 58) continue;
    const end = placeholderEnd(token, i);
    if (end < 0) return false;
    i = end - 1;
  }
  return true;
}

/** An empty field: `-`, `""`, `''`, or a key with one of them (`status=""`). */
export function isEmptyField(token: string): boolean {
  const value = token.slice(keyOf(token)?.length ?? 0);
  return value === '-' || value === '""' || value === "''";
}

/**
 * A name glued to the value it names in brackets, as tasks, jobs and threads print
 * themselves (`cleanup[<UUID>]`, `worker-3(<NUM>)`): the name is printed with the id, so
 * it is a value too.
 */
export function isNamedValue(token: string): boolean {
  return NAMED_VALUE.test(token);
}

const NAMED_VALUE = /^[A-Za-z][\w.-]*[[(]<[A-Z*]+>[\])][,;:]?$/;

/**
 * One quoted or bracketed word, maybe as the value of a key (`"readonly"`,
 * `identity="app"`, `'x',`, `[logs]`, `{"phase":"hot"}`): quotes and brackets are how
 * a statement sets off a value it prints.
 */
export function isQuotedWord(token: string): boolean {
  const key = keyOf(token);
  const start = key === undefined ? 0 : key.length;
  // An escaped quote (`\"config\"` inside a quoted message) quotes a word the same way.
  if (token.charCodeAt(start) === 92 && token.charCodeAt(start + 1) === 34) return isQuotedWord(token.slice(start + 1).replace('\\"', '"'));
  const open = token.charCodeAt(start);
  const close = open === 39 ? 39 : closerOf(open);
  if (close === 0) return false;
  let end = token.length - 1;
  const last = token.charCodeAt(end);
  if (last === 44 || last === 46 || last === 58 || last === 59 || last === 41) end--;
  if (end <= start + 1 || token.charCodeAt(end) !== close || token.indexOf(' ', start) >= 0) return false;
  // A quote closes once; brackets may nest (`[{"a":1}]`).
  return open !== close || token.indexOf(String.fromCharCode(close), start + 1) === end;
}

/**
 * Whether two templates of one shape name different constants at some position: an
 * UPPER_CASE enum word (`RUNNING` / `FAILED`, `LOOKING` / `FOLLOWING`) the miner never
 * takes for a value, or a plain word of prose (`No child processes` / `Bad file
 * descriptor`) the miner kept as a word, or a signed letter (`x+` / `z-`, directions and
 * polarities). Such templates are different statements however close their text;
 * values, names (`web-a`), quoted, bracketed and key=value tokens say nothing.
 */
export function differInConstant(a: string, b: string): boolean {
  const x = tokenize(a);
  const y = tokenize(b);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) {
    const p = x[i]!;
    const q = y[i]!;
    if (p !== q && ((isConstantName(p) && isConstantName(q)) || (isWordOrSign(p) && isWordOrSign(q)))) return true;
  }
  return false;
}

/**
 * differInConstant, and for templates of different lengths: whether either holds a
 * plain word the other lacks (`total of <*> ddr errors` / `<*> ddr errors`). For the
 * pattern join, where a template close in meaning but saying other words is a new
 * statement, not a rewording.
 */
export function differInStatement(a: string, b: string): boolean {
  const x = tokenize(a);
  const y = tokenize(b);
  return x.length === y.length ? differInConstant(a, b) : hasNewWord(x, y) || hasNewWord(y, x);
}

/** Whether `x` holds a plain word (one letter is a word here: `L1 I cache` / `L2 cache`) that `y` lacks. */
function hasNewWord(x: readonly string[], y: readonly string[]): boolean {
  const words = new Set(y.map(wordCore));
  return x.some((t) => {
    const core = wordCore(t);
    return (isPlainWord(core) || /^[A-Za-z]$/.test(core)) && !words.has(core);
  });
}

/** A plain word, or one to three letters signed with `+` or `-` (`x+`, `z-`, `C++`). */
function isWordOrSign(token: string): boolean {
  return isPlainWord(token) || /^[A-Za-z]{1,3}[+-]{1,2}$/.test(token);
}

/** A token without the brackets and punctuation around it (`(bus` → `bus`, `done.` → `done`). */
function wordCore(token: string): string {
  let start = 0;
  let end = token.length;
  while (start < end && '(["\''.includes(token[start]!)) start++;
  while (end > start && ')]"\',.:;'.includes(token[end - 1]!)) end--;
  return token.slice(start, end);
}

/** Letters only (two or more), one trailing `,.:;` aside. */
function isPlainWord(token: string): boolean {
  let n = token.length;
  const last = token.charCodeAt(n - 1);
  if (last === 44 || last === 46 || last === 58 || last === 59) n--;
  if (n < 2) return false;
  for (let i = 0; i < n; i++) {
    const c = token.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90))) return false;
  }
  return true;
}

/** Fewest tokens of a record line, and the share of them that must be bare values. */
const RECORD_TOKENS = 8;
const RECORD_VALUES = 2 / 3;

/** A value standing alone at its position: no `key=` or `Key:` naming it. */
function isBareValue(token: string): boolean {
  if (token === '-') return true;
  if (!isVariableToken(token) || keyOf(token) !== undefined) return false;
  const colon = token.indexOf(':');
  return colon <= 0 || !/^[A-Za-z][\w.-]*$/.test(token.slice(0, colon));
}

/**
 * A record line: many fields, most of them bare values whose meaning is their position
 * (an access log's client, time, request, status, sizes, user agent, upstream). Every
 * field of a record is a parameter, the few words among them too (`DC`, `via_upstream`).
 */
export function isRecord(tokens: readonly string[]): boolean {
  if (tokens.length < RECORD_TOKENS) return false;
  const most = tokens.length * (1 - RECORD_VALUES);
  let others = 0;
  for (const t of tokens) if (!isBareValue(t) && ++others > most) return false;
  return true;
}

/** Share of a record's positions that agree: equal, covered by a wildcard, or two values (whatever their shapes). */
export function recordSimilarity(template: readonly string[], tokens: readonly string[]): number {
  let same = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = template[i]!;
    const m = tokens[i]!;
    if (t === m || coveredBy(t, m) || (isBareValue(t) && isBareValue(m))) same++;
  }
  return same / tokens.length;
}
