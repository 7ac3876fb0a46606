/** alerts: one row per alert, which is also the delivery outbox; service_incidents: each service's current incident. */
import type { AlertMessage, IncidentDigest, Severity } from '../alert.js';
import { followupIdOf, incidentIdFor, type IncidentRef } from '../incident.js';
import type { AnomalyKind } from '../anomaly.js';
import type { Database, Queryable } from './database.js';
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

/** How a new alert joins its service's incident (see src/alerts/incident.ts). */
export interface IncidentRules {
  now: number;
  windowMs: number;
  /** The incident's follow-up with `held` folded in; `previous` is undefined for the first alert held. */
  fold(previous: AlertMessage | undefined, held: AlertMessage, incident: IncidentRef): NewAlert;
}

/**
 * sent: stored to go out at once (it opened the incident, or reaches a channel the
 * incident had not); held: stored, and reported by the incident's follow-up due at
 * dueAt; exists: an alert with this id was stored before (a retried submit).
 */
export type Raised =
  | { outcome: 'sent'; incidentId: string; opened: boolean }
  | { outcome: 'held'; incidentId: string; dueAt: number }
  | { outcome: 'exists'; incidentId: string | null };

export interface RepeatResult {
  outcome: RepeatOutcome;
  /** The incident the anomalies were counted into (null with no alert, or one stored before incidents). */
  incidentId: string | null;
  /** How the follow-up was raised, for outcome 'followup'. */
  raised?: Raised;
}

export interface AlertRepo {
  /**
   * Stores a new alert in its service's incident, in one transaction: it opens an
   * incident when none is open, else it is held for the open one's follow-up.
   */
  raise(entry: NewAlert, rules: IncidentRules): Promise<Raised>;
  /**
   * Counts anomalies of an already-alerted service + pattern into its latest alert:
   * inside the grouping window into the alert itself, after it as suppressed; when
   * suppressed records pass the growth factor the one follow-up made by makeFollowup
   * is raised in the same transaction.
   */
  recordRepeat(
    q: RepeatCount,
    makeFollowup: (parent: AlertMessage, suppressedRecords: number) => NewAlert,
    rules: IncidentRules,
  ): Promise<RepeatResult>;
  /** Leases up to limit due rows to this process (other processes skip them until the lease ends). */
  claimDue(now: number, limit: number, leaseMs: number): Promise<OutboxRow[]>;
  /** Ends the lease on rows this process claimed but did not try. */
  release(ids: string[]): Promise<void>;
  saveDelivery(id: string, d: { delivery: DeliveryState; done: boolean; attempts: number; lastError: string | null; nextAttemptAt: number }): Promise<void>;
  recent(q: { service?: string; limit?: number }): Promise<StoredAlert[]>;
}

export type StoredAlert = AlertMessage & {
  status: string;
  delivery: DeliveryState;
  /** The incident follow-up that reports this alert instead of a message of its own. */
  groupedInto: string | null;
};

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
  level: string;
  template: string;
  anomaly_score: number;
  trace_id: string;
  anomaly_count: number;
  record_count: string | number;
  first_seen: Date;
  last_seen: Date;
  samples: string[];
  parent_id: string | null;
  incident_id: string | null;
  grouped_into: string | null;
  digest: IncidentDigest | null;
  suppressed_count: string | number;
  followup_sent: boolean;
  status: string;
  delivery: DeliveryState;
  attempts: number;
  claimed_until: Date | null;
}

interface IncidentRow {
  service: string;
  incident_id: string;
  first_alert_id: string;
  opened_at: Date;
  closes_at: Date;
  channels: string[];
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
    level: r.level,
    template: r.template,
    score: Number(r.anomaly_score),
    traceId: r.trace_id,
    anomalyCount: Number(r.anomaly_count),
    recordCount: Number(r.record_count),
    firstSeen: toMs(r.first_seen),
    lastSeen: toMs(r.last_seen),
    samples: r.samples,
    parentId: r.parent_id,
    incidentId: r.incident_id,
    digest: r.digest,
  };
}

function toIncident(r: IncidentRow): IncidentRef {
  return { id: r.incident_id, service: r.service, firstAlertId: r.first_alert_id, openedAt: toMs(r.opened_at), closesAt: toMs(r.closes_at) };
}

const pendingDelivery = (channels: string[]): DeliveryState =>
  Object.fromEntries(channels.map((c) => [c, { state: 'pending', attempts: 0 }]));

/** A follow-up can still take alerts until the outbox has tried (or is trying) to send it. */
const followupOpen = (r: DbRow): boolean => r.status === 'pending' && r.attempts === 0 && r.claimed_until === null;

/** Newest last, without repeats, at most SAMPLE_LIMIT. */
export function mergeSamples(old: string[], added: string[]): string[] {
  const merged = [...old.filter((s) => !added.includes(s)), ...added];
  return [...new Set(merged)].slice(-SAMPLE_LIMIT);
}

export function createAlertRepo(db: Database): AlertRepo {
  /**
   * dueAt: not delivered before then, and pending until then even without a
   * channel (an incident follow-up may gain one). groupedInto: held for that follow-up.
   */
  async function insertWith(
    q: Queryable,
    { alert: a, channels }: NewAlert,
    opts: { dueAt?: number; groupedInto?: string } = {},
  ): Promise<boolean> {
    const pending = channels.length > 0 || opts.dueAt !== undefined;
    const { rows } = await q.query(
      `INSERT INTO alerts (id, created_at, severity, title, description, service, pattern_id, kind, template,
         anomaly_score, trace_id, anomaly_count, record_count, first_seen, last_seen, samples, parent_id,
         status, delivery, next_attempt_at, level, incident_id, grouped_into, digest)
       VALUES ($1, $2::timestamptz, $3, $4, $5, $6, $7, $8, $9, $10::float8, $11, $12::int, $13::bigint,
         $14::timestamptz, $15::timestamptz, $16::text::jsonb, $17, $18, $19::text::jsonb, $20::timestamptz,
         $21, $22, $23, $24::text::jsonb)
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [a.id, isoTime(a.createdAt), a.severity, a.title, a.description, a.service, a.patternId, a.kind, a.template,
        a.score, a.traceId, a.anomalyCount, a.recordCount, isoTime(a.firstSeen), isoTime(a.lastSeen),
        JSON.stringify(a.samples.slice(-SAMPLE_LIMIT)), a.parentId, pending ? 'pending' : 'done',
        JSON.stringify(pendingDelivery(channels)), isoTime(opts.dueAt ?? a.createdAt), a.level, a.incidentId,
        opts.groupedInto ?? null, a.digest === null ? null : JSON.stringify(a.digest)],
    );
    return rows.length === 1;
  }

  /** Rewrites a follow-up not yet tried with what it now reports. */
  async function updateFollowup(q: Queryable, { alert: a, channels }: NewAlert): Promise<void> {
    await q.query(
      `UPDATE alerts SET severity = $2, title = $3, description = $4, pattern_id = $5, kind = $6, level = $7, template = $8,
         anomaly_score = $9::float8, trace_id = $10, anomaly_count = $11::int, record_count = $12::bigint,
         first_seen = $13::timestamptz, last_seen = $14::timestamptz, samples = $15::text::jsonb, digest = $16::text::jsonb,
         delivery = $17::text::jsonb
       WHERE id = $1`,
      [a.id, a.severity, a.title, a.description, a.patternId, a.kind, a.level, a.template, a.score, a.traceId,
        a.anomalyCount, a.recordCount, isoTime(a.firstSeen), isoTime(a.lastSeen), JSON.stringify(a.samples.slice(-SAMPLE_LIMIT)),
        JSON.stringify(a.digest), JSON.stringify(pendingDelivery(channels))],
    );
  }

  /** Makes `incident` the service's current one (the caller holds its row). */
  async function openIncident(q: Queryable, incident: IncidentRef, channels: string[]): Promise<void> {
    await q.query(
      `UPDATE service_incidents SET incident_id = $2, first_alert_id = $3, opened_at = $4::timestamptz,
         closes_at = $5::timestamptz, channels = $6::text::jsonb WHERE service = $1`,
      [incident.service, incident.id, incident.firstAlertId, isoTime(incident.openedAt), isoTime(incident.closesAt), JSON.stringify(channels)],
    );
  }

  /**
   * The incident decision and the rows it implies, inside the caller's
   * transaction. The upsert locks the service's service_incidents row until the
   * transaction ends, so processes sharing the database take turns per service
   * and agree on one open incident.
   */
  async function raiseWith(tx: Queryable, entry: NewAlert, rules: IncidentRules): Promise<Raised> {
    const { alert, channels } = entry;
    const { rows: stored } = await tx.query<{ incident_id: string | null }>('SELECT incident_id FROM alerts WHERE id = $1', [alert.id]);
    if (stored[0]) return { outcome: 'exists', incidentId: stored[0].incident_id };

    const opening: IncidentRef = {
      id: alert.incidentId ?? incidentIdFor(alert.id),
      service: alert.service,
      firstAlertId: alert.id,
      openedAt: rules.now,
      closesAt: rules.now + rules.windowMs,
    };
    // A process raising the same alert at this moment may have stored it first.
    const send = async (incidentId: string, opened: boolean): Promise<Raised> =>
      (await insertWith(tx, { alert: { ...alert, incidentId }, channels }))
        ? { outcome: 'sent', incidentId, opened }
        : { outcome: 'exists', incidentId };
    // Opens the incident unless the service has one still open; locks the row either way.
    const { rows: opened } = await tx.query(
      `INSERT INTO service_incidents AS si (service, incident_id, first_alert_id, opened_at, closes_at, channels)
       VALUES ($1, $2, $3, $4::timestamptz, $5::timestamptz, $6::text::jsonb)
       ON CONFLICT (service) DO UPDATE SET incident_id = EXCLUDED.incident_id, first_alert_id = EXCLUDED.first_alert_id,
         opened_at = EXCLUDED.opened_at, closes_at = EXCLUDED.closes_at, channels = EXCLUDED.channels
       WHERE si.closes_at <= EXCLUDED.opened_at
       RETURNING incident_id`,
      [opening.service, opening.id, opening.firstAlertId, isoTime(opening.openedAt), isoTime(opening.closesAt), JSON.stringify(channels)],
    );
    if (opened.length === 1) return send(opening.id, true);

    const { rows: current } = await tx.query<IncidentRow>('SELECT * FROM service_incidents WHERE service = $1', [alert.service]);
    const incident = toIncident(current[0]!);
    const followupId = followupIdOf(incident.id);
    const { rows: followups } = await tx.query<DbRow>('SELECT * FROM alerts WHERE id = $1 FOR UPDATE', [followupId]);
    const followup = followups[0];
    if (followup && !followupOpen(followup)) {
      // The follow-up has gone out already (this clock is behind the outbox's): the alert opens the next incident.
      await openIncident(tx, opening, channels);
      return send(opening.id, true);
    }
    const notified = current[0]!.channels;
    if (!channels.every((c) => notified.includes(c))) {
      // Its channel has heard nothing of this incident yet (the alerts so far were below its severity): send it now.
      await tx.query('UPDATE service_incidents SET channels = $2::text::jsonb WHERE service = $1', [
        alert.service,
        JSON.stringify([...new Set([...notified, ...channels])]),
      ]);
      return send(incident.id, false);
    }
    const held = { ...alert, incidentId: incident.id };
    if (!(await insertWith(tx, { alert: held, channels: [] }, { groupedInto: followupId }))) return { outcome: 'exists', incidentId: incident.id };
    const next = rules.fold(followup && toAlert(followup), held, incident);
    if (followup) await updateFollowup(tx, next);
    else await insertWith(tx, next, { dueAt: incident.closesAt });
    return { outcome: 'held', incidentId: incident.id, dueAt: incident.closesAt };
  }

  return {
    raise: (entry, rules) => db.transaction((tx) => raiseWith(tx, entry, rules)),

    recordRepeat(q, makeFollowup, rules) {
      return db.transaction(async (tx) => {
        const { rows } = await tx.query<DbRow>(
          `SELECT * FROM alerts WHERE service = $1 AND pattern_id = $2 AND parent_id IS NULL AND created_at > $3::timestamptz
           ORDER BY created_at DESC LIMIT 1 FOR UPDATE`,
          [q.service, q.patternId, isoTime(q.now - q.cooldownMs)],
        );
        const row = rows[0];
        if (!row) return { outcome: 'no-alert', incidentId: null };
        const incidentId = row.incident_id;
        const parent = toAlert(row);
        const lastSeen = isoTime(Math.max(parent.lastSeen, q.lastSeen));
        if (q.now < parent.createdAt + q.windowMs) {
          await tx.query(
            `UPDATE alerts SET anomaly_count = anomaly_count + $2::int, record_count = record_count + $3::bigint,
               last_seen = $4::timestamptz, samples = $5::text::jsonb WHERE id = $1`,
            [row.id, q.anomalies, q.records, lastSeen, JSON.stringify(mergeSamples(parent.samples, q.samples))],
          );
          return { outcome: 'grouped', incidentId };
        }
        const suppressed = Number(row.suppressed_count) + q.records;
        const due = !row.followup_sent && suppressed >= q.growthFactor * Math.max(1, parent.recordCount);
        await tx.query(
          `UPDATE alerts SET suppressed_count = $2::bigint, last_seen = $3::timestamptz, followup_sent = followup_sent OR $4::boolean
           WHERE id = $1`,
          [row.id, suppressed, lastSeen, due],
        );
        if (!due) return { outcome: 'suppressed', incidentId };
        const raised = await raiseWith(tx, makeFollowup({ ...parent, samples: mergeSamples(parent.samples, q.samples) }, suppressed), rules);
        return { outcome: 'followup', incidentId: raised.incidentId, raised };
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
      return rows.map((r) => ({ ...toAlert(r), status: r.status, delivery: r.delivery, groupedInto: r.grouped_into }));
    },
  };
}
