/** alerts: one row per alert, which is also the delivery outbox. */
import type { AlertMessage, Severity } from '../alerts/alert.js';
import type { AnomalyKind } from '../pipeline/anomaly.js';
import type { Database } from './database.js';
import { isoTime, toMs } from './sql-values.js';

export interface ChannelDelivery {
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastError?: string;
  nextAttemptAt?: number;
  deliveredAt?: number;
}

export type DeliveryState = Record<string, ChannelDelivery>;

export interface OutboxRow {
  alert: AlertMessage;
  delivery: DeliveryState;
  attempts: number;
}

export interface RepeatCount {
  service: string;
  patternId: string;
  anomalies: number;
  records: number;
  lastSeen: number;
  samples: string[];
  now: number;
  windowMs: number;
  cooldownMs: number;
  /** A follow-up is due once records after the window reach this many times the alerted records. */
  growthFactor: number;
}

export type RepeatOutcome = 'grouped' | 'suppressed' | 'followup' | 'no-alert';

export interface NewAlert {
  alert: AlertMessage;
  /** Names of the channels that should receive it. */
  channels: string[];
}

export interface AlertRepo {
  /** False when an alert with this id exists already (a retried submit). */
  insert(entry: NewAlert): Promise<boolean>;
  /**
   * Counts anomalies of an already-alerted service + pattern into its latest alert:
   * inside the grouping window into the alert itself, after it as suppressed; when
   * suppressed records pass the growth factor the one follow-up made by makeFollowup
   * is inserted in the same transaction.
   */
  recordRepeat(q: RepeatCount, makeFollowup: (parent: AlertMessage, suppressedRecords: number) => NewAlert): Promise<RepeatOutcome>;
  /** Leases up to limit due rows to this process (other processes skip them until the lease ends). */
  claimDue(now: number, limit: number, leaseMs: number): Promise<OutboxRow[]>;
  /** Ends the lease on rows this process claimed but did not try. */
  release(ids: string[]): Promise<void>;
  saveDelivery(id: string, d: { delivery: DeliveryState; done: boolean; attempts: number; lastError: string | null; nextAttemptAt: number }): Promise<void>;
  recent(q: { service?: string; limit?: number }): Promise<Array<AlertMessage & { status: string; delivery: DeliveryState }>>;
}

const SAMPLE_LIMIT = 3;

interface DbRow {
  id: string;
  created_at: Date;
  severity: Severity;
  title: string;
  description: string;
  service: string;
  pattern_id: string;
  kind: AnomalyKind;
  template: string;
  anomaly_score: number;
  trace_id: string;
  anomaly_count: number;
  record_count: string | number;
  first_seen: Date;
  last_seen: Date;
  samples: string[];
  parent_id: string | null;
  suppressed_count: string | number;
  followup_sent: boolean;
  status: string;
  delivery: DeliveryState;
  attempts: number;
}

function toAlert(r: DbRow): AlertMessage {
  return {
    id: r.id,
    createdAt: toMs(r.created_at),
    severity: r.severity,
    title: r.title,
    description: r.description,
    service: r.service,
    patternId: r.pattern_id,
    kind: r.kind,
    template: r.template,
    score: Number(r.anomaly_score),
    traceId: r.trace_id,
    anomalyCount: Number(r.anomaly_count),
    recordCount: Number(r.record_count),
    firstSeen: toMs(r.first_seen),
    lastSeen: toMs(r.last_seen),
    samples: r.samples,
    parentId: r.parent_id,
  };
}

/** Newest last, without repeats, at most SAMPLE_LIMIT. */
export function mergeSamples(old: string[], added: string[]): string[] {
  const merged = [...old.filter((s) => !added.includes(s)), ...added];
  return [...new Set(merged)].slice(-SAMPLE_LIMIT);
}

export function createAlertRepo(db: Database): AlertRepo {
  async function insertWith(q: Pick<Database, 'query'>, { alert: a, channels }: NewAlert): Promise<boolean> {
    const delivery: DeliveryState = Object.fromEntries(channels.map((c) => [c, { state: 'pending', attempts: 0 }]));
    const { rows } = await q.query(
      `INSERT INTO alerts (id, created_at, severity, title, description, service, pattern_id, kind, template,
         anomaly_score, trace_id, anomaly_count, record_count, first_seen, last_seen, samples, parent_id,
         status, delivery, next_attempt_at)
       VALUES ($1, $2::timestamptz, $3, $4, $5, $6, $7, $8, $9, $10::float8, $11, $12::int, $13::bigint,
         $14::timestamptz, $15::timestamptz, $16::text::jsonb, $17, $18, $19::text::jsonb, $2::timestamptz)
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [a.id, isoTime(a.createdAt), a.severity, a.title, a.description, a.service, a.patternId, a.kind, a.template,
        a.score, a.traceId, a.anomalyCount, a.recordCount, isoTime(a.firstSeen), isoTime(a.lastSeen),
        JSON.stringify(a.samples.slice(-SAMPLE_LIMIT)), a.parentId, channels.length ? 'pending' : 'done',
        JSON.stringify(delivery)],
    );
    return rows.length === 1;
  }

  return {
    insert: (entry) => insertWith(db, entry),

    recordRepeat(q, makeFollowup) {
      return db.transaction(async (tx) => {
        const { rows } = await tx.query<DbRow>(
          `SELECT * FROM alerts WHERE service = $1 AND pattern_id = $2 AND parent_id IS NULL AND created_at > $3::timestamptz
           ORDER BY created_at DESC LIMIT 1 FOR UPDATE`,
          [q.service, q.patternId, isoTime(q.now - q.cooldownMs)],
        );
        const row = rows[0];
        if (!row) return 'no-alert';
        const parent = toAlert(row);
        const lastSeen = isoTime(Math.max(parent.lastSeen, q.lastSeen));
        if (q.now < parent.createdAt + q.windowMs) {
          await tx.query(
            `UPDATE alerts SET anomaly_count = anomaly_count + $2::int, record_count = record_count + $3::bigint,
               last_seen = $4::timestamptz, samples = $5::text::jsonb WHERE id = $1`,
            [row.id, q.anomalies, q.records, lastSeen, JSON.stringify(mergeSamples(parent.samples, q.samples))],
          );
          return 'grouped';
        }
        const suppressed = Number(row.suppressed_count) + q.records;
        const due = !row.followup_sent && suppressed >= q.growthFactor * Math.max(1, parent.recordCount);
        await tx.query(
          `UPDATE alerts SET suppressed_count = $2::bigint, last_seen = $3::timestamptz, followup_sent = followup_sent OR $4::boolean
           WHERE id = $1`,
          [row.id, suppressed, lastSeen, due],
        );
        if (!due) return 'suppressed';
        await insertWith(tx, makeFollowup({ ...parent, samples: mergeSamples(parent.samples, q.samples) }, suppressed));
        return 'followup';
      });
    },

    async claimDue(now, limit, leaseMs) {
      const { rows } = await db.query<DbRow>(
        `UPDATE alerts SET claimed_until = $2::timestamptz WHERE id IN (
           SELECT id FROM alerts
           WHERE status = 'pending' AND next_attempt_at <= $1::timestamptz
             AND (claimed_until IS NULL OR claimed_until < $1::timestamptz)
           ORDER BY next_attempt_at LIMIT $3::int FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [isoTime(now), isoTime(now + leaseMs), limit],
      );
      return rows.map((r) => ({ alert: toAlert(r), delivery: r.delivery, attempts: r.attempts }));
    },

    async release(ids) {
      if (ids.length === 0) return;
      await db.query(`UPDATE alerts SET claimed_until = NULL WHERE id IN (${ids.map((_, i) => `$${i + 1}`).join(',')})`, ids);
    },

    async saveDelivery(id, d) {
      await db.query(
        `UPDATE alerts SET delivery = $2::text::jsonb, status = $3, attempts = $4::int, last_error = $5,
           next_attempt_at = $6::timestamptz, claimed_until = NULL WHERE id = $1`,
        [id, JSON.stringify(d.delivery), d.done ? 'done' : 'pending', d.attempts, d.lastError, isoTime(d.nextAttemptAt)],
      );
    },

    async recent({ service, limit = 50 }) {
      const params: unknown[] = service === undefined ? [limit] : [limit, service];
      const { rows } = await db.query<DbRow>(
        `SELECT * FROM alerts ${service === undefined ? '' : 'WHERE service = $2'} ORDER BY created_at DESC LIMIT $1::int`,
        params,
      );
      return rows.map((r) => ({ ...toAlert(r), status: r.status, delivery: r.delivery }));
    },
  };
}
