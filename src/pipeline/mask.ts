/**
 * Masking: replace the variable parts of a log message with typed placeholders so
 * that messages of one pattern look alike to the template miner.
 *
 * One hand-written pass over the message by char code, token by token (tokens are
 * separated by whitespace): a token that cannot hold a variable (no digit, '@', '/',
 * ':' or '\') is kept as is, as part of a run of the original text; otherwise its core
 * (punctuation stripped) is classified whole, else each of its atoms (`rhost=10.0.0.1`
 * → `rhost=<IP>`), and the result is memoised per token. Two shapes span tokens:
 * `12 MB` / `250 ms`, and syslog/ctime dates (`Sun Jul 10 03:55:15 2005`). The regexes
 * are anchored and free of nested quantifiers, so every step is linear. Whitespace runs
 * become one space (the miner splits on spaces).
 */
import { createTokenMemo } from './token-memo.js';

export const PLACEHOLDERS = [
  '<URL>',
  '<EMAIL>',
  '<IP>',
  '<UUID>',
  '<HEX>',
  '<TS>',
  '<DURATION>',
  '<SIZE>',
  '<PATH>',
  '<NUM>',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export const DEFAULT_MAX_MESSAGE_CHARS = 4096;

const URL_RE = /^[A-Za-z][A-Za-z0-9+.-]{0,15}:\/\/[^\s]+$/;
const EMAIL_RE = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$/;
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const HEX_0X_RE = /^0[xX][0-9a-fA-F]+$/;
const HEX_ID_RE = /^[0-9a-fA-F]{7,}$/;
const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?::\d{1,5})?$/;
// Groups of 1-4 hex digits separated by ':', optional zone, optional `]:port` (the '[' is stripped as punctuation).
const IPV6_RE = /^[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7}(?:%[A-Za-z0-9]+)?(?:\]:\d{1,5})?$/;
const NUMBER_RE = /^[-+]?\d+(?:[.,]\d+)*$/;
const DURATION_RE = /^\d+(?:\.\d+)?(?:ns|us|µs|ms|s|sec|secs|m|min|mins|h|hr|hrs|d)$/;
const COMPOUND_DURATION_RE = /^(?:\d+(?:\.\d+)?(?:h|m|s|ms|us|ns)){2,5}$/;
const ISO_DURATION_RE = /^P(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+(?:[.,]\d+)?S)?)?$/;
const SIZE_RE = /^\d+(?:\.\d+)?(?:B|KB|MB|GB|TB|PB|KiB|MiB|GiB|TiB|kB|k|K|M|G)$/;
const DATE_RE = /^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[T_ ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/;
// Common Log Format dates (`10/Oct/2000:13:55:36`, HAProxy adds `.123`).
const CLF_DATE_RE = /^\d{1,2}\/[A-Za-z]{3}\/\d{4}(?::\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?)?$/;
const TIME_RE = /^\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?$/;
// Relative (`./x`, `~/x`) and drive paths with one segment; absolute paths need two (`/x` alone is too ambiguous).
const PATH_RE = /^(?:(?:~|\.{1,2}|[A-Za-z]:)[/\\][^\s]+|[/\\][^/\\\s]*[/\\][^\s]*)$/;

/** Every regex the masker runs, for the linear-time test. */
export const MASK_REGEXES: readonly RegExp[] = [
  URL_RE,
  EMAIL_RE,
  UUID_RE,
  HEX_0X_RE,
  HEX_ID_RE,
  IPV4_RE,
  IPV6_RE,
  NUMBER_RE,
  DURATION_RE,
  COMPOUND_DURATION_RE,
  ISO_DURATION_RE,
  SIZE_RE,
  DATE_RE,
  CLF_DATE_RE,
  TIME_RE,
  PATH_RE,
];

const CODE_0 = 48;
const CODE_9 = 57;

function isDigit(code: number): boolean {
  return code >= CODE_0 && code <= CODE_9;
}

function isSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13) || code === 160;
}

/** What a char tells the message pass about its token: bits of a token's kinds. */
const SPACE = 1;
const DIGIT = 2;
/** `@ / : \`: a token holding one may hold a variable. */
const MARK = 4;
const OTHER = 8;
const ASCII_KINDS = Uint8Array.from({ length: 128 }, (_, c) =>
  isSpace(c) ? SPACE : isDigit(c) ? DIGIT : c === 64 || c === 47 || c === 58 || c === 92 ? MARK | OTHER : OTHER,
);

/** Characters stripped off a token's ends before it is classified. */
function isWrapper(code: number): boolean {
  // ( ) [ ] { } < > " ' , ; : . ! ?
  return (
    code === 40 || code === 41 || code === 91 || code === 93 || code === 123 || code === 125 ||
    code === 60 || code === 62 || code === 34 || code === 39 || code === 44 || code === 59 ||
    code === 58 || code === 46 || code === 33 || code === 63
  );
}

/** Characters of an atom: letters, digits, `.:-+` and non-ASCII; anything else separates atoms. */
function isAtomChar(code: number): boolean {
  return (
    isDigit(code) ||
    (code >= 65 && code <= 90) ||
    (code >= 97 && code <= 122) ||
    code === 46 || code === 58 || code === 45 || code === 43 ||
    code > 127
  );
}

function hasDigit(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (isDigit(text.charCodeAt(i))) return true;
  return false;
}

function mayHoldVariable(token: string): boolean {
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    // digit, @ / : backslash
    if (isDigit(c) || c === 64 || c === 47 || c === 58 || c === 92) return true;
  }
  return false;
}

function isIpv4(text: string): boolean {
  const m = IPV4_RE.exec(text);
  if (!m) return false;
  for (let i = 1; i <= 4; i++) if (Number(m[i]) > 255) return false;
  return true;
}

function isIpv6(text: string): boolean {
  // Rules out times like 12:30:45 (needs '::' or 5+ groups) and words like C++'s a::b (needs a digit).
  if (!IPV6_RE.test(text)) return false;
  const groups = text.split(':').length;
  return (text.includes('::') || groups >= 5) && hasDigit(text);
}

/** Epoch seconds/milliseconds between 2001 and 2033 read as timestamps, not counts. */
function isEpoch(text: string): boolean {
  if (text.length !== 10 && text.length !== 13) return false;
  const first = text.charCodeAt(0);
  return first === 49; // '1'
}

/** The placeholder for a whole core, or undefined when it is not one known shape. */
function classify(core: string): Placeholder | undefined {
  const first = core.charCodeAt(0);
  if (isDigit(first) || first === 45 || first === 43) {
    if (NUMBER_RE.test(core)) {
      if (isIpv4(core)) return '<IP>';
      if (isEpoch(core)) return '<TS>';
      if (DATE_RE.test(core)) return '<TS>';
      return '<NUM>';
    }
    if (isIpv4(core)) return '<IP>';
    if (DATE_RE.test(core) || TIME_RE.test(core) || CLF_DATE_RE.test(core)) return '<TS>';
    if (HEX_0X_RE.test(core)) return '<HEX>';
    if (UUID_RE.test(core)) return '<UUID>';
    if (DURATION_RE.test(core) || COMPOUND_DURATION_RE.test(core)) return '<DURATION>';
    if (SIZE_RE.test(core)) return '<SIZE>';
  }
  if (first === 80 && ISO_DURATION_RE.test(core) && core.length > 2) return '<DURATION>';
  if (core.includes('://') && URL_RE.test(core)) return '<URL>';
  if (core.includes('@') && EMAIL_RE.test(core)) return '<EMAIL>';
  if (UUID_RE.test(core)) return '<UUID>';
  if (HEX_ID_RE.test(core) && hasDigit(core)) return '<HEX>';
  if (core.includes(':') && isIpv6(core)) return '<IP>';
  if (PATH_RE.test(core)) return '<PATH>';
  return undefined;
}

/** Mask the atoms of a token no single shape covers (`rhost=10.0.0.1`, `blk_-42`, `(id=7)`). */
function maskAtoms(token: string): string {
  let out = '';
  let i = 0;
  while (i < token.length) {
    if (!isAtomChar(token.charCodeAt(i))) {
      out += token[i];
      i++;
      continue;
    }
    let j = i;
    while (j < token.length && isAtomChar(token.charCodeAt(j))) j++;
    out += maskAtom(token.slice(i, j));
    i = j;
  }
  return out;
}

function maskAtom(atom: string): string {
  if (!hasDigit(atom)) return atom;
  let start = 0;
  let end = atom.length;
  while (start < end && isWrapper(atom.charCodeAt(start))) start++;
  // A trailing '-' is never part of a value: `24M->8M` is an arrow after a size.
  while (end > start && (isWrapper(atom.charCodeAt(end - 1)) || atom.charCodeAt(end - 1) === 45)) end--;
  const core = atom.slice(start, end);
  if (core.length === 0) return atom;
  const kind = classify(core);
  if (kind) return atom.slice(0, start) + kind + atom.slice(end);
  // `req-<uuid>`, `memory:1024`: a word prefix joined by '-' or ':' to a known shape.
  let sep = 0;
  while (sep < core.length && core.charCodeAt(sep) !== 45 && core.charCodeAt(sep) !== 58 && !isDigit(core.charCodeAt(sep))) sep++;
  if (sep > 0 && sep < core.length - 1 && !isDigit(core.charCodeAt(sep))) {
    const restKind = classify(core.slice(sep + 1));
    if (restKind) return atom.slice(0, start) + core.slice(0, sep + 1) + restKind + atom.slice(end);
  }
  return atom;
}

function startsRelativePath(token: string, i: number): boolean {
  if (token.charCodeAt(i) !== 46) return false;
  const next = token.charCodeAt(i + 1);
  return next === 47 || next === 92 || (next === 46 && (token.charCodeAt(i + 2) === 47 || token.charCodeAt(i + 2) === 92));
}

function maskToken(token: string): string {
  if (!mayHoldVariable(token)) return token;
  let start = 0;
  let end = token.length;
  // A leading '.' that starts `./` or `../` belongs to a path. An escaped quote (`\"name\"` inside a quoted
  // message) wraps a value like a quote: its backslash is no path separator.
  while (start < end) {
    const c = token.charCodeAt(start);
    if (c === 92 && token.charCodeAt(start + 1) === 34) start += 2;
    else if (isWrapper(c) && !startsRelativePath(token, start)) start++;
    else break;
  }
  while (end > start) {
    const c = token.charCodeAt(end - 1);
    if (isWrapper(c) || (c === 92 && token.charCodeAt(end) === 34)) end--;
    else break;
  }
  if (start === end) return token;
  const core = token.slice(start, end);
  const kind = classify(core);
  if (kind) {
    // `[v6]:port` is one address: its '[' belongs to it.
    if (kind === '<IP>' && core.includes(']') && token.charCodeAt(start - 1) === 91) start--;
    return token.slice(0, start) + kind + token.slice(end);
  }
  return token.slice(0, start) + maskAtoms(core) + token.slice(end);
}

const MONTHS = new Set(['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']);
const WEEKDAYS = new Set(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']);

function isDayOfMonth(token: string): boolean {
  if (token.length > 3) return false;
  const d = token.endsWith(',') ? token.slice(0, -1) : token;
  return d.length > 0 && d.length <= 2 && isDigit(d.charCodeAt(0)) && isDigit(d.charCodeAt(d.length - 1));
}

/** A four-digit year, maybe closing a bracketed date (`2005]`, `2005)`, `2005,`). */
function isYear(token: string): boolean {
  return /^\d{4}[\])},:;]{0,2}$/.test(token);
}

function skipSpaces(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

function tokenEnd(text: string, i: number): number {
  while (i < text.length && !isSpace(text.charCodeAt(i))) i++;
  return i;
}

/**
 * End of a syslog/ctime date whose month is text[start, end) (`[Weekday] Mon DD hh:mm:ss [YYYY]`;
 * the weekday is the caller's), or -1 when there is none.
 */
function spokenDateEnd(text: string, start: number, end: number): number {
  const first = text.charCodeAt(start);
  // Months are capitalised: most three-letter words are ruled out without a substring.
  if (first < 65 || first > 90 || !MONTHS.has(text.slice(start, end))) return -1;
  const day = skipSpaces(text, end);
  const dayEnd = tokenEnd(text, day);
  if (day === dayEnd || !isDayOfMonth(text.slice(day, dayEnd))) return -1;
  const time = skipSpaces(text, dayEnd);
  const timeEnd = tokenEnd(text, time);
  if (time === timeEnd || !TIME_RE.test(text.slice(time, timeEnd))) return -1;
  const year = skipSpaces(text, timeEnd);
  const yearEnd = tokenEnd(text, year);
  return year < yearEnd && isYear(text.slice(year, yearEnd)) ? yearEnd : timeEnd;
}

const SIZE_UNITS = new Set(['B', 'KB', 'MB', 'GB', 'TB', 'KiB', 'MiB', 'GiB', 'TiB', 'bytes']);
const TIME_UNITS = new Set(['ns', 'us', 'ms', 'msec', 'msecs', 's', 'sec', 'secs', 'seconds', 'min', 'mins', 'minutes']);
const LONGEST_UNIT = 7;

/** A number followed by a unit word (`12 MB,`) is one size or duration; the unit's trailing punctuation stays. */
function unitAt(text: string, start: number, end: number): string | undefined {
  let unitEnd = end;
  while (unitEnd > start && isWrapper(text.charCodeAt(unitEnd - 1))) unitEnd--;
  if (unitEnd - start > LONGEST_UNIT) return undefined;
  const unit = text.slice(start, unitEnd);
  if (SIZE_UNITS.has(unit)) return `<SIZE>${text.slice(unitEnd, end)}`;
  if (TIME_UNITS.has(unit)) return `<DURATION>${text.slice(unitEnd, end)}`;
  return undefined;
}

/** HTTP reason phrases (RFC 9110 and common extensions), by first word: the words after a status code are part of it. */
const REASON_PHRASES = new Map<string, string[][]>();
for (const phrase of [
  'Continue', 'Switching Protocols', 'OK', 'Created', 'Accepted', 'Non-Authoritative Information', 'No Content',
  'Reset Content', 'Partial Content', 'Multiple Choices', 'Moved Permanently', 'Found', 'See Other', 'Not Modified',
  'Temporary Redirect', 'Permanent Redirect', 'Bad Request', 'Unauthorized', 'Payment Required', 'Forbidden',
  'Not Found', 'Method Not Allowed', 'Not Acceptable', 'Proxy Authentication Required', 'Request Timeout', 'Conflict',
  'Gone', 'Length Required', 'Precondition Failed', 'Content Too Large', 'Payload Too Large', 'URI Too Long',
  'Unsupported Media Type', 'Range Not Satisfiable', 'Expectation Failed', 'Misdirected Request', 'Unprocessable Entity',
  'Unprocessable Content', 'Too Early', 'Upgrade Required', 'Precondition Required', 'Too Many Requests',
  'Request Header Fields Too Large', 'Unavailable For Legal Reasons', 'Internal Server Error', 'Not Implemented',
  'Bad Gateway', 'Service Unavailable', 'Gateway Timeout', 'HTTP Version Not Supported',
]) {
  const words = phrase.split(' ');
  const list = REASON_PHRASES.get(words[0]!) ?? [];
  list.push(words);
  // Longest first: `Not Found` must not stop `Not Acceptable` from being tried, nor `Request` its longer phrases.
  list.sort((a, b) => b.length - a.length);
  REASON_PHRASES.set(words[0]!, list);
}

/** Whether text[i…j) is an HTTP status code (three digits, 1xx–5xx), alone or as a key's value (`status=404`, `code:503`), masked as `masked`. */
function isStatusCode(text: string, i: number, j: number, masked: string): boolean {
  const at = j - 3;
  if (at < i) return false;
  // The digits first: asked of every value token, most of which end otherwise.
  const first = text.charCodeAt(at);
  if (first < 49 || first > 53 || !isDigit(text.charCodeAt(at + 1)) || !isDigit(text.charCodeAt(at + 2))) return false;
  if (at === i) return true;
  const sep = text.charCodeAt(at - 1);
  // The key kept as it is, the code masked as one number.
  return (sep === 61 || sep === 58) && masked.length === at - i + 5 && masked.endsWith('<NUM>');
}

/**
 * After an HTTP status code (three digits, 1xx–5xx) at text[start…]: the end of its reason phrase's
 * words and of its last token (which may carry punctuation), or undefined.
 */
function reasonAt(text: string, start: number): { words: number; token: number } | undefined {
  const firstEnd = tokenEnd(text, start);
  let firstWordEnd = firstEnd;
  while (firstWordEnd > start && isWrapper(text.charCodeAt(firstWordEnd - 1))) firstWordEnd--;
  const candidates = REASON_PHRASES.get(text.slice(start, firstWordEnd));
  if (!candidates) return undefined;
  for (const phrase of candidates) {
    let at = start;
    let matched: { words: number; token: number } | undefined;
    for (let w = 0; w < phrase.length; w++) {
      const end = tokenEnd(text, at);
      const word = phrase[w]!;
      const last = w === phrase.length - 1;
      // Inner words stand bare; the last may carry punctuation (`Not Found,`).
      const wordEnd = at + word.length;
      if (!text.startsWith(word, at) || (last ? !onlyWrappers(text, wordEnd, end) : wordEnd !== end)) break;
      if (last) matched = { words: wordEnd, token: end };
      at = skipSpaces(text, end);
    }
    if (matched) return matched;
  }
  return undefined;
}

function onlyWrappers(text: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (!isWrapper(text.charCodeAt(k))) return false;
  return true;
}

/** Where `<NUM>` starts in a masked token that is a number, maybe after opening brackets (`(<NUM>`); else -1. */
function numberLead(masked: string): number {
  const lead = masked.length - 5;
  if (lead < 0 || !masked.endsWith('<NUM>')) return -1;
  for (let k = 0; k < lead; k++) if (masked.charCodeAt(k) !== 40 && masked.charCodeAt(k) !== 91) return -1;
  return lead;
}

/**
 * The masked message, built from runs of the text kept as they are (tokens one space
 * apart) and the replacements between them: no string per kept token.
 */
class MaskedText {
  private done = '';
  private runStart = -1;
  private runEnd = -1;
  private tokens = 0;
  /** Start of the last token when it was kept as it is, else -1. */
  private lastKept = -1;
  /** The last token when it was a replacement, else undefined. */
  private lastPut: string | undefined;

  constructor(private readonly text: string) {}

  keep(start: number, end: number): void {
    if (this.runStart >= 0 && start === this.runEnd + 1 && this.text.charCodeAt(this.runEnd) === 32) {
      this.runEnd = end;
    } else {
      this.flush();
      if (this.tokens > 0) this.done += ' ';
      this.runStart = start;
      this.runEnd = end;
    }
    this.tokens++;
    this.lastKept = start;
    this.lastPut = undefined;
  }

  put(replacement: string): void {
    this.flush();
    this.done += this.tokens > 0 ? ` ${replacement}` : replacement;
    this.tokens++;
    this.lastKept = -1;
    this.lastPut = replacement;
  }

  /** Whether the last token is `replacement`, put there by put(). */
  endsWithPut(replacement: string): boolean {
    return this.lastPut === replacement;
  }

  /**
   * Drops the last token when it is a weekday kept as it is: it belongs to the date that
   * follows. Returns the bracket that opened it (`[Sun Dec 04 …]`), for the date to keep.
   */
  dropWeekday(): string {
    const start = this.lastKept;
    if (start < 0) return '';
    const open = this.text.charCodeAt(start) === 91 || this.text.charCodeAt(start) === 40 ? 1 : 0;
    if (!WEEKDAYS.has(this.text.slice(start + open, this.runEnd))) return '';
    if (start === this.runStart) {
      this.runStart = -1;
      if (this.tokens > 1) this.done = this.done.slice(0, -1);
    } else {
      this.runEnd = start - 1;
    }
    this.tokens--;
    this.lastKept = -1;
    return this.text.slice(start, start + open);
  }

  result(): string {
    if (this.done === '') return this.runStart < 0 ? '' : this.text.slice(this.runStart, this.runEnd);
    this.flush();
    return this.done;
  }

  private flush(): void {
    if (this.runStart < 0) return;
    this.done += this.text.slice(this.runStart, this.runEnd);
    this.runStart = -1;
  }
}

/** Repeated tokens (`rule:`, `ssh2`, host names) skip classification; 4096 × 48 chars, about 1 MB per thread. */
const tokenMemo = createTokenMemo(4096, 48);

/** A copy that does not share memory with the string it came from. */
function detached(text: string): string {
  return Buffer.from(text, 'utf16le').toString('utf16le');
}

/** Cut to maxChars (the caller keeps the original for samples), then mask. */
export function mask(message: string, maxChars: number = DEFAULT_MAX_MESSAGE_CHARS): string {
  let cut = Math.min(message.length, maxChars);
  // Never keep half of a surrogate pair.
  if (cut < message.length && cut > 0 && (message.charCodeAt(cut - 1) & 0xfc00) === 0xd800) cut--;
  // What the miner keeps of a cut message must not pin the whole of it.
  const text = cut === message.length ? message : detached(message.slice(0, cut));
  const n = text.length;
  const out = new MaskedText(text);
  let i = skipSpaces(text, 0);
  while (i < n) {
    let kinds = 0;
    let j = i;
    for (; j < n; j++) {
      const c = text.charCodeAt(j);
      const kind = c < 128 ? ASCII_KINDS[c]! : c === 160 ? SPACE : OTHER;
      if (kind === SPACE) break;
      kinds |= kind;
    }
    const variable = (kinds & (DIGIT | MARK)) !== 0;
    const digitsOnly = kinds === DIGIT;
    const next = skipSpaces(text, j);
    const date = !variable && j - i === 3 ? spokenDateEnd(text, i, j) : -1;
    if (date >= 0) {
      const open = out.dropWeekday();
      // A year that closes the bracket (`2005]`, `2024):`) gives its punctuation back.
      let year = date;
      while (year > i && !isSpace(text.charCodeAt(year - 1))) year--;
      out.put(`${open}<TS>${isYear(text.slice(year, date)) ? text.slice(year + 4, date) : ''}`);
      i = skipSpaces(text, date);
      continue;
    }
    // null: kept as is. All digits: a number, or epoch seconds/milliseconds (as maskToken says, without the memo).
    let masked: string | null = null;
    if (digitsOnly) masked = (j - i === 10 || j - i === 13) && text.charCodeAt(i) === 49 ? '<TS>' : '<NUM>';
    else if (variable) masked = tokenMemo.masked(text, i, j, maskToken);
    // A number, masked here or earlier (`<NUM>` as it is), may take the unit word after it, also after a bracket (`(2.26 KB)`).
    const lead = masked === null ? (j - i === 5 && text.startsWith('<NUM>', i) ? 0 : -1) : numberLead(masked);
    const unit = lead >= 0 && next < n ? unitAt(text, next, tokenEnd(text, next)) : undefined;
    if (unit !== undefined) {
      out.put(lead > 0 ? masked!.slice(0, lead) + unit : unit);
      i = skipSpaces(text, tokenEnd(text, next));
    } else {
      // A status code takes its reason phrase (`404 Not Found`): one value, however many words.
      const reason = next < n && masked !== null && isStatusCode(text, i, j, masked) ? reasonAt(text, next) : undefined;
      if (reason !== undefined) {
        out.put(`${masked}${text.slice(reason.words, reason.token)}`);
        i = skipSpaces(text, reason.token);
        continue;
      }
      if (masked === null) out.keep(i, j);
      // One duration in parts (`1min 2.345s`, `1h 5min`) is one value.
      else if (masked !== '<DURATION>' || !out.endsWithPut('<DURATION>')) out.put(masked);
      i = next;
    }
  }
  return out.result();
}
