/**
 * The pieces every held-out generator is built from: a seeded random source, messages
 * built together with their true template (so a label cannot drift from its text), and
 * a scheduler that mixes steady background statements with episodes placed in time.
 */

/** A log message and its true template (`<*>` for every parameter). */
export interface Msg {
  readonly content: string;
  readonly template: string;
}

/** Text that belongs to the statement: kept verbatim in the template. */
export function k(text: string): Msg {
  return { content: text, template: text };
}

export type Part = string | number | Msg;

/**
 * Tagged template: the literal text and interpolated `Msg`s are the statement's
 * constants; interpolated strings and numbers are its parameters and become `<*>`.
 */
export function msg(strings: TemplateStringsArray, ...parts: Part[]): Msg {
  let content = strings[0]!;
  let template = strings[0]!;
  parts.forEach((part, i) => {
    const tail = strings[i + 1]!;
    if (typeof part === 'object') {
      content += part.content + tail;
      template += part.template + tail;
    } else {
      content += String(part) + tail;
      template += '<*>' + tail;
    }
  });
  return { content, template };
}

/** Joins messages with a constant separator (a multi-line record, a fixed list of clauses). */
export function lines(parts: readonly Msg[], separator = '\n'): Msg {
  return { content: parts.map((p) => p.content).join(separator), template: parts.map((p) => p.template).join(separator) };
}

export interface Rng {
  /** In [0, 1). */
  next(): number;
  /** Integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
  /** Lower-case hex digits. */
  hex(length: number): string;
  /** Letters and digits, lower case. */
  alnum(length: number): string;
  /** Exponentially distributed with this mean (gaps between events). */
  exp(mean: number): number;
  /** A few distinct items, in their original order. */
  some<T>(items: readonly T[], min: number, max: number): T[];
}

/** mulberry32 seeded from an FNV-1a hash of the seed text. */
export function createRng(seed: string): Rng {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193) >>> 0;
  let state = h;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  const fromAlphabet = (alphabet: string, length: number): string => {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(next() * alphabet.length)];
    return out;
  };
  return {
    next,
    int,
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)]!;
    },
    chance: (p) => next() < p,
    hex: (length) => fromAlphabet('0123456789abcdef', length),
    alnum: (length) => fromAlphabet('abcdefghijklmnopqrstuvwxyz0123456789', length),
    exp: (mean) => -Math.log(1 - next()) * mean,
    some: (items, min, max) => {
      const n = Math.min(items.length, int(min, max));
      const chosen = new Set<number>();
      while (chosen.size < n) chosen.add(Math.floor(next() * items.length));
      return [...chosen].sort((a, b) => a - b).map((i) => items[i]!);
    },
  };
}

/** One log record: its header columns (by name) and its message. */
export interface LogRecord {
  fields: Record<string, string>;
  msg: Msg;
}

export interface SystemSpec {
  name: string;
  /** Header columns, in CSV order, written before `Content`. */
  columns: readonly string[];
  /** The raw log text of a record (several lines for a multi-line record). */
  render(fields: Record<string, string>, content: string): string;
  generate(rng: Rng): LogRecord[];
}

/** A statement that fires now and then all through the log; `emit` may return a short burst. */
export interface Background {
  weight: number;
  emit: () => LogRecord[];
}

/** Something that happens once, when the log reaches the share `at` of its records. */
export interface Episode {
  at: number;
  emit: () => LogRecord[];
}

/** Weighted background statements with episodes placed by position; stops once `total` records and every episode are out. */
export function schedule(rng: Rng, total: number, background: readonly Background[], episodes: readonly Episode[]): LogRecord[] {
  const pending = [...episodes].sort((a, b) => a.at - b.at);
  const totalWeight = background.reduce((sum, b) => sum + b.weight, 0);
  const out: LogRecord[] = [];
  while (out.length < total || pending.length > 0) {
    const due = pending[0];
    if (due && due.at * total <= out.length) {
      pending.shift();
      out.push(...due.emit());
      continue;
    }
    let x = rng.next() * totalWeight;
    const chosen = background.find((b) => (x -= b.weight) < 0) ?? background[background.length - 1]!;
    out.push(...chosen.emit());
  }
  return out;
}

/** A clock that moves forward by random gaps: `tick()` returns the new time in ms. */
export function createClock(rng: Rng, startMs: number, meanGapMs: number): { tick(gapMs?: number): number; now(): number } {
  let t = startMs;
  return {
    tick: (gapMs) => (t += gapMs ?? Math.max(1, Math.round(rng.exp(meanGapMs)))),
    now: () => t,
  };
}
