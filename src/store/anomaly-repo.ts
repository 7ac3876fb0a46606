/** log_anomalies: every anomaly, written in batches, read back for operators. */
import type { Attributes } from '../log-entry.js';
import type { Anomaly } from '../anomaly.js';
import { safeText } from '../text/safe-text.js';
import type { Queryable } from './database.js';
import { safeJsonValue, writeSettingAside, type OnSetAside } from './refused-rows.js';
import { chunk, isoTime, listPlaceholders, toMs, valuesPlaceholders } from './sql-values.js';

export interface AnomalyRow {
  id: string;
  detectedAt: number;
  timestamp: number;
  service: string;
  level: string;
  kind: string;
  patternId: string;
  template: string;
  message: string;
  score: number;
  reason: string;
  traceId: string;
  spanId: string;
  count: number;
  samples: string[];
  attributes: Attributes;
  /** The incident it was alerted or grouped in (null until then). */
  incidentId: string | null;
}

export interface AnomalyRepo {
  /**
   * One statement per 1,000 anomalies; an id already stored is kept as it is.
   * An anomaly the database refuses for its content is stored made safe, or
   * set aside: it never makes the others fail.
   */
  insert(anomalies: Anomaly[]): Promise<void>;
  /** Inserts them, and resolves with those not yet handed to the alert manager (a redelivered batch's are not). */
  commit(anomalies: Anomaly[]): Promise<Anomaly[]>;
  /** Records that these reached the alert manager, each with the incident it joined. */
  markAlerted(anomalies: Array<Pick<Anomaly, 'id' | 'incidentId'>>): Promise<void>;
  /** Newest first (ties by id, descending), so `before` pages through them without gaps. */
  recent(q: RecentQuery): Promise<AnomalyRow[]>;
  get(id: string): Promise<AnomalyRow | undefined>;
}

export interface RecentQuery {
  service?: string;
  sinceMs?: number;
  /** Any of these kinds / levels. */
  kinds?: string[];
  levels?: string[];
  /** Only anomalies after this one in the order (older, or as old with a smaller id): the next page. */
  before?: { detectedAt: number; id: string };
  limit?: number;
}

const COLUMNS =
  'id, detected_at, "timestamp", service, level, kind, pattern_id, template, message, anomaly_score, reason, trace_id, span_id, count, samples, attributes, resource';
const CASTS = ['::text', '::timestamptz', '::timestamptz', '::text', '::text', '::text', '::text', '::text', '::text',
  '::float8', '::text', '::text', '::text', '::int', '::text::jsonb', '::text::jsonb', '::text::jsonb'] as const;
const BATCH = 1000;

interface DbRow {
  id: string;
  detected_at: Date;
  timestamp: Date;
  service: string;
  level: string;
  kind: string;
  pattern_id: string;
  template: string;
  message: string;
  anomaly_score: number;
  reason: string;
  trace_id: string;
  span_id: string;
  count: number;
  samples: string[];
  attributes: Attributes;
  incident_id: string | null;
}

/** The anomaly with every text and JSON field through safeText; the id, which callers look rows up by, as it is. */
function safeAnomaly(a: Anomaly): Anomaly {
  return {
    ...a,
    service: safeText(a.service),
    level: safeText(a.level) as Anomaly['level'],
    kind: safeText(a.kind) as Anomaly['kind'],
    patternId: safeText(a.patternId),
    template: safeText(a.template),
    message: safeText(a.message),
    samples: a.samples.map((s) => safeText(s)),
    reason: safeText(a.reason),
    traceId: safeText(a.traceId),
    spanId: safeText(a.spanId),
    attributes: safeJsonValue(a.attributes) as Attributes,
    resource: safeJsonValue(a.resource) as Attributes,
  };
}

function toRow(r: DbRow): AnomalyRow {
  return {
    id: r.id,
    detectedAt: toMs(r.detected_at),
    timestamp: toMs(r.timestamp),
    service: r.service,
    level: r.level,
    kind: r.kind,
    patternId: r.pattern_id,
    template: r.template,
    message: r.message,
    score: Number(r.anomaly_score),
    reason: r.reason,
    traceId: r.trace_id,
    spanId: r.span_id,
    count: Number(r.count),
    samples: r.samples,
    attributes: r.attributes,
    incidentId: r.incident_id,
  };
}

export function createAnomalyRepo(db: Queryable, deps: { onSetAside?: OnSetAside } = {}): AnomalyRepo {
  async function write(part: Anomaly[]): Promise<void> {
    const params = part.flatMap((a) => [
      a.id, isoTime(a.detectedAt), isoTime(a.timestamp), a.service, a.level, a.kind, a.patternId, a.template,
      a.message, a.score, a.reason, a.traceId, a.spanId, a.count, JSON.stringify(a.samples),
      JSON.stringify(a.attributes), JSON.stringify(a.resource),
    ]);
    await db.query(
      `INSERT INTO log_anomalies (${COLUMNS}) VALUES ${valuesPlaceholders(part.length, CASTS)} ON CONFLICT (id) DO NOTHING`,
      params,
    );
  }
  const setAside = { table: 'log_anomalies', idOf: (a: Anomaly) => a.id, makeSafe: safeAnomaly, onSetAside: deps.onSetAside };

  async function insert(anomalies: Anomaly[]): Promise<void> {
    for (const part of chunk(anomalies, BATCH)) await writeSettingAside(part, write, setAside);
  }

  return {
    insert,

    async commit(anomalies) {
      await insert(anomalies);
      const due = new Set<string>();
      for (const part of chunk(anomalies.map((a) => a.id), BATCH)) {
        const { rows } = await db.query<{ id: string }>(
          `SELECT id FROM log_anomalies WHERE id IN (${listPlaceholders(part.length)}) AND alerted_at IS NULL`,
          part,
        );
        for (const row of rows) due.add(row.id);
      }
      return anomalies.filter((a) => due.has(a.id));
    },

    async markAlerted(anomalies) {
      for (const part of chunk(anomalies, BATCH)) {
        await db.query(
          `UPDATE log_anomalies AS l SET alerted_at = now(), incident_id = v.incident_id
           FROM (VALUES ${valuesPlaceholders(part.length, ['::text', '::text'])}) AS v (id, incident_id)
           WHERE l.id = v.id AND l.alerted_at IS NULL`,
          part.flatMap((a) => [a.id, a.incidentId ?? null]),
        );
      }
    },

    async recent({ service, sinceMs, kinds, levels, before, limit = 100 }) {
      const where: string[] = [];
      const params: unknown[] = [];
      const param = (value: unknown): string => `$${params.push(value)}`;
      if (service !== undefined) where.push(`service = ${param(service)}`);
      if (sinceMs !== undefined) where.push(`detected_at >= ${param(isoTime(sinceMs))}::timestamptz`);
      if (kinds?.length) where.push(`kind IN (${kinds.map(param).join(', ')})`);
      if (levels?.length) where.push(`level IN (${levels.map(param).join(', ')})`);
      if (before) where.push(`(detected_at, id) < (${param(isoTime(before.detectedAt))}::timestamptz, ${param(before.id)}::text)`);
      const { rows } = await db.query<DbRow>(
        `SELECT ${COLUMNS}, incident_id FROM log_anomalies ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
         ORDER BY detected_at DESC, id DESC LIMIT ${param(limit)}::int`,
        params,
      );
      return rows.map(toRow);
    },

    async get(id) {
      const { rows } = await db.query<DbRow>(`SELECT ${COLUMNS}, incident_id FROM log_anomalies WHERE id = $1`, [id]);
      return rows[0] && toRow(rows[0]);
    },
  };
}
