/** dead_letters: the embedded default's work set aside after failing again and again, newest DEAD_LETTER_LIMIT kept. */
import { DEAD_LETTER_LIMIT, type DeadLetter } from '../dead-letter.js';
import type { Queryable } from './database.js';
import { toMs } from './sql-values.js';

export type DeadLetterKind = 'entries' | 'anomalies';

export interface NewDeadLetter {
  source: string;
  kind: DeadLetterKind;
  records: number;
  /** JSON text of the work: stored as its UTF-8 bytes, so no text is refused. */
  payload: string;
  /** Already safe (see errorText). */
  error: string;
  deliveries: number;
}

export interface StoredDeadLetter extends DeadLetter {
  kind: DeadLetterKind;
  payload: string;
}

export interface DeadLetterRepo {
  /** Stores one and drops the oldest beyond the limit; resolves with its id and how many were dropped. */
  add(letter: NewDeadLetter): Promise<{ id: string; dropped: number }>;
  /** Newest first, without payloads. */
  list(limit: number): Promise<DeadLetter[]>;
  get(id: string): Promise<StoredDeadLetter | undefined>;
  /** False when there was no such row. */
  remove(id: string): Promise<boolean>;
}

interface Row {
  id: string;
  created_at: Date | string;
  source: string;
  records: number;
  deliveries: number;
  error: string;
}

/** A bigserial id: other ids (a stream's) are not this table's. */
const ROW_ID = /^\d{1,18}$/;
const SUMMARY = 'id::text AS id, created_at, source, records, deliveries, error';

function summary(row: Row): DeadLetter {
  return { id: row.id, createdAt: toMs(row.created_at), source: row.source, records: Number(row.records), deliveries: Number(row.deliveries), error: row.error };
}

export function createDeadLetterRepo(db: Queryable, limit = DEAD_LETTER_LIMIT): DeadLetterRepo {
  return {
    async add(letter) {
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO dead_letters (source, kind, records, payload, error, deliveries) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id::text AS id`,
        [letter.source, letter.kind, letter.records, Buffer.from(letter.payload, 'utf8'), letter.error, letter.deliveries],
      );
      const trimmed = await db.query<{ dropped: number }>(
        `WITH gone AS (DELETE FROM dead_letters WHERE id <= (SELECT id FROM dead_letters ORDER BY id DESC OFFSET $1 LIMIT 1) RETURNING 1)
         SELECT count(*)::int AS dropped FROM gone`,
        [limit],
      );
      return { id: rows[0]!.id, dropped: Number(trimmed.rows[0]?.dropped ?? 0) };
    },

    async list(count) {
      const { rows } = await db.query<Row>(`SELECT ${SUMMARY} FROM dead_letters ORDER BY id DESC LIMIT $1`, [count]);
      return rows.map(summary);
    },

    async get(id) {
      if (!ROW_ID.test(id)) return undefined;
      const { rows } = await db.query<Row & { kind: DeadLetterKind; payload: Uint8Array }>(`SELECT ${SUMMARY}, kind, payload FROM dead_letters WHERE id = $1::bigint`, [id]);
      const row = rows[0];
      if (!row) return undefined;
      return { ...summary(row), kind: row.kind, payload: Buffer.from(row.payload).toString('utf8') };
    },

    async remove(id) {
      if (!ROW_ID.test(id)) return false;
      const { rows } = await db.query(`DELETE FROM dead_letters WHERE id = $1::bigint RETURNING id`, [id]);
      return rows.length > 0;
    },
  };
}
