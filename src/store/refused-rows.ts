/**
 * Rows the database refuses for their content (SQLSTATE class 22: a NUL, JSON
 * it cannot read) must not block the rows written with them: the callers keep
 * a failed write pending and retry it, so one refused row would be retried
 * forever. A refused batch is written again made safe, in one statement; only
 * if that is refused too (a refusal no text fix cures) does it go row by row,
 * each row as it is and then made safe, and a row refused even made safe is
 * set aside (reported, not written). An outage still throws so the caller retries.
 */
import { Counter, type Registry } from 'prom-client';
import { isDataException } from '../errors.js';
import type { AttributeValue } from '../log-entry.js';
import type { Logger } from '../logger.js';
import { safeText } from '../text/safe-text.js';

export interface SetAsideRow {
  table: string;
  id: string;
  error: unknown;
}

/** Told of each row a repository gave up on. */
export type OnSetAside = (row: SetAsideRow) => void;

/** Logs each set-aside row and counts it in anomalog_set_aside_rows_total{table}. */
export function createSetAsideReporter(deps: { logger: Logger; registry?: Registry }): OnSetAside {
  const setAside = new Counter({
    name: 'anomalog_set_aside_rows_total',
    help: 'Rows the database refused for their content even once made safe, and that were therefore not stored',
    labelNames: ['table'],
    registers: deps.registry ? [deps.registry] : [],
  });
  return ({ table, id, error }) => {
    setAside.inc({ table });
    deps.logger.error({ err: error, table, id }, 'database refused a row even once made safe; it is set aside, not stored');
  };
}

export interface SetAsideOptions<Row> {
  table: string;
  idOf: (row: Row) => string;
  /**
   * The row with every text and JSON field made safe; its id unchanged, and a
   * row with nothing to make safe stored exactly as it is (so a whole batch can
   * be written made safe).
   */
  makeSafe: (row: Row) => Row;
  /** Without it, a row refused even made safe is thrown (a one-shot command then fails loudly). */
  onSetAside: OnSetAside | undefined;
}

/** Undefined when `attempt` succeeds, the error when the database refused it for its content; any other error is thrown. */
async function refusal(attempt: Promise<void>): Promise<Error | undefined> {
  try {
    await attempt;
    return undefined;
  } catch (error) {
    // isDataException holds only for an Error (or one caused by it).
    if (isDataException(error)) return error as Error;
    throw error;
  }
}

/**
 * Writes `rows` with `write` (one statement). When the database refuses it for
 * its content, writes them all made safe (one statement: a NUL costs two
 * statements, not one per row); if that is refused too, writes each row alone,
 * a refused row once more made safe, and reports one still refused to
 * `onSetAside`. Any other error is thrown.
 * Rows before a thrown error may be written: callers write idempotently.
 */
export async function writeSettingAside<Row>(rows: Row[], write: (rows: Row[]) => Promise<void>, opts: SetAsideOptions<Row>): Promise<void> {
  if ((await refusal(write(rows))) === undefined) return;
  const safe = rows.map((row) => opts.makeSafe(row));
  if (rows.length > 1 && (await refusal(write(safe))) === undefined) return;
  for (const [i, row] of rows.entries()) {
    if (rows.length > 1 && (await refusal(write([row]))) === undefined) continue;
    const error = await refusal(write([safe[i]!]));
    if (error === undefined) continue;
    if (!opts.onSetAside) throw error;
    opts.onSetAside({ table: opts.table, id: opts.idOf(row), error });
  }
}

/**
 * A JSON value whose every key and string went through safeText: what jsonb
 * refuses is the \u0000 escape and unpaired surrogates. Non-finite numbers,
 * which JSON has no text for, become null as JSON.stringify would write them.
 */
export function safeJsonValue(value: AttributeValue): AttributeValue {
  if (typeof value === 'string') return safeText(value);
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => safeJsonValue(item));
  // fromEntries defines keys, so a "__proto__" key stays an ordinary key.
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [safeText(key), safeJsonValue(item)]));
}
