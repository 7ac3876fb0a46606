/** The record shape every stage after the receiver works with. */

export const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type Level = (typeof LEVELS)[number];

/** 0 for trace … 5 for fatal: compare levels by rank. */
export function levelRank(level: Level): number {
  return LEVELS.indexOf(level);
}

export function isLevel(value: string): value is Level {
  return (LEVELS as readonly string[]).includes(value);
}

export type AttributeValue =
  | string
  | number
  | boolean
  | null
  | AttributeValue[]
  | { [key: string]: AttributeValue };

export type Attributes = Record<string, AttributeValue>;

export interface LogEntry {
  /** Milliseconds since the Unix epoch (time_unix_nano, else observed, else arrival). */
  time: number;
  service: string;
  level: Level;
  message: string;
  /** Lower-case hex; '' when the record has none. */
  traceId: string;
  spanId: string;
  attributes: Attributes;
  resource: Attributes;
  scope: string;
}

/**
 * What the receiver hands each export's entries to. The export is acknowledged
 * only once the promise resolves; a rejection makes the receiver answer
 * UNAVAILABLE / 503 so the exporter retries.
 */
export type Pipeline = (entries: LogEntry[]) => Promise<void>;
