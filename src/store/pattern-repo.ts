/** log_patterns: the pattern library mirrored into SQL for operators and reports. */
import { safeText } from '../text/safe-text.js';
import type { Queryable } from './database.js';
import { writeSettingAside, type OnSetAside } from './refused-rows.js';
import { chunk, isoTime, toMs, valuesPlaceholders } from './sql-values.js';

/** The fields of the library's pattern record that the mirror keeps. */
export interface PatternMirrorRow {
  id: string;
  service: string;
  template: string;
  example: string;
  level: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
  muted: boolean;
  /** With muted: ms since the epoch until which it is muted; null for "until unmuted". */
  mutedUntil: number | null;
}

export interface PatternRepo {
  /**
   * Insert or refresh from the library (the source of truth); counts and times
   * only move forward. A pattern the database refuses for its content is
   * written made safe, or set aside: it never makes the others fail.
   */
  upsert(patterns: PatternMirrorRow[]): Promise<void>;
  /** Most recently seen first. */
  list(q: { service?: string }): Promise<PatternMirrorRow[]>;
  setMuted(id: string, untilMs: number | null, muted: boolean): Promise<void>;
  /** Per service in the mirror: its patterns and the last time one was seen. By name. */
  services(): Promise<Array<{ service: string; patterns: number; lastSeen: number }>>;
}

const CASTS = ['::text', '::text', '::text', '::text', '::text', '::bigint', '::timestamptz', '::timestamptz',
  '::timestamptz', '::boolean'] as const;
const BATCH = 1000;

interface DbRow {
  id: string;
  service: string;
  template: string;
  example: string;
  level: string;
  count: string | number;
  first_seen: Date;
  last_seen: Date;
  muted: boolean;
  muted_until: Date | null;
}

/** The row with its text through safeText; the id, which mutes look rows up by, as it is. */
function safeRow(p: PatternMirrorRow): PatternMirrorRow {
  return { ...p, service: safeText(p.service), template: safeText(p.template), example: safeText(p.example), level: safeText(p.level) };
}

export function createPatternRepo(db: Queryable, deps: { onSetAside?: OnSetAside } = {}): PatternRepo {
  async function write(part: PatternMirrorRow[]): Promise<void> {
    const params = part.flatMap((p) => [
      p.id, p.service, p.template, p.example, p.level, p.count, isoTime(p.firstSeen), isoTime(p.lastSeen),
      p.mutedUntil === null ? null : isoTime(p.mutedUntil), p.muted,
    ]);
    await db.query(
      `INSERT INTO log_patterns (id, service, template, example, level, count, first_seen, last_seen, muted_until, muted)
       VALUES ${valuesPlaceholders(part.length, CASTS)}
       ON CONFLICT (id) DO UPDATE SET
         template = EXCLUDED.template,
         example = EXCLUDED.example,
         level = EXCLUDED.level,
         count = GREATEST(log_patterns.count, EXCLUDED.count),
         first_seen = LEAST(log_patterns.first_seen, EXCLUDED.first_seen),
         last_seen = GREATEST(log_patterns.last_seen, EXCLUDED.last_seen),
         muted = EXCLUDED.muted,
         muted_until = EXCLUDED.muted_until,
         updated_at = now()`,
      params,
    );
  }
  const setAside = { table: 'log_patterns', idOf: (p: PatternMirrorRow) => p.id, makeSafe: safeRow, onSetAside: deps.onSetAside };

  return {
    async upsert(patterns) {
      for (const part of chunk(patterns, BATCH)) await writeSettingAside(part, write, setAside);
    },

    async list({ service }) {
      const { rows } = await db.query<DbRow>(
        `SELECT id, service, template, example, level, count, first_seen, last_seen, muted, muted_until
         FROM log_patterns ${service === undefined ? '' : 'WHERE service = $1'} ORDER BY last_seen DESC`,
        service === undefined ? [] : [service],
      );
      return rows.map((r) => ({
        id: r.id,
        service: r.service,
        template: r.template,
        example: r.example,
        level: r.level,
        count: Number(r.count),
        firstSeen: toMs(r.first_seen),
        lastSeen: toMs(r.last_seen),
        muted: r.muted,
        mutedUntil: r.muted_until === null ? null : toMs(r.muted_until),
      }));
    },

    async services() {
      const { rows } = await db.query<{ service: string; patterns: string | number; last_seen: Date }>(
        'SELECT service, count(*) AS patterns, max(last_seen) AS last_seen FROM log_patterns GROUP BY service ORDER BY service',
      );
      return rows.map((r) => ({ service: r.service, patterns: Number(r.patterns), lastSeen: toMs(r.last_seen) }));
    },

    async setMuted(id, untilMs, muted) {
      await db.query('UPDATE log_patterns SET muted = $2, muted_until = $3::timestamptz, updated_at = now() WHERE id = $1', [
        id, muted, untilMs === null ? null : isoTime(untilMs),
      ]);
    },
  };
}
