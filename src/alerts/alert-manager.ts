/**
 * Turns committed anomalies into alerts: groups them per service + pattern, lets one
 * alert through per cooldown (plus one follow-up if the pattern keeps growing), and
 * writes the alert rows that the outbox delivers in the background. The alerts of a
 * service within the incident window of its first one are one incident: that first
 * alert goes out at once, the others in one follow-up when the window closes.
 */
import { Counter, type Registry } from 'prom-client';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Anomaly } from '../anomaly.js';
import { createAlertRepo, mergeSamples, type IncidentRules, type NewAlert, type Raised } from '../store/alert-repo.js';
import type { Database } from '../store/database.js';
import { alertTitle, severityFor, type AlertMessage } from '../alert.js';
import type { AlertChannel } from './alert-channel.js';
import type { DedupeStore } from './dedupe.js';
import { foldIntoFollowup, incidentIdFor } from '../incident.js';
import { createOutbox, DEFAULT_RETRY, type RetryPolicy } from './outbox.js';

export interface AlertManagerDeps {
  config: Config['alerts'];
  db: Database;
  dedupe: DedupeStore;
  channels: AlertChannel[];
  logger: Logger;
  registry?: Registry;
  now?: () => number;
  retry?: RetryPolicy;
  /** How often the outbox looks for rows due for a retry or written by other processes. */
  pollMs?: number;
}

export interface AlertManager {
  /**
   * Call once the anomalies are committed. Writes alert rows and returns; never
   * waits on a channel. Resolves with the anomalies, each with the incident it was
   * alerted or grouped in (none when its pattern's alert is still being written
   * by another process).
   */
  submit(anomalies: Anomaly[]): Promise<Anomaly[]>;
  start(): void;
  stop(): Promise<void>;
}

/** Suppressed records reaching this many times the alerted records earn one follow-up. */
const GROWTH_FACTOR = 10;
/**
 * A claimed row is retried by another process if this one has not recorded a
 * result by then: one delivery (channel timeout 10 s) with margin, so the alerts
 * a crashed process had claimed go out within seconds, not minutes.
 */
const LEASE_MS = 20_000;
/** A dedupe claim this old with no alert row was orphaned by a process that died after claiming. */
const ORPHAN_CLAIM_MS = 10_000;
/**
 * A fresher claim's alert row is being written by another process, or that process died
 * between the two (a worker killed mid-batch, whose batch another worker took over
 * sooner than ORPHAN_CLAIM_MS): look again this often until the row is there or the
 * claim is orphaned, at most ORPHAN_CLAIM_MS of waiting in all.
 */
const IN_FLIGHT_RETRY_MS = 50;
const IN_FLIGHT_RETRIES = ORPHAN_CLAIM_MS / IN_FLIGHT_RETRY_MS;

/** What one group came to: whether the outbox has a row to send now, and the incident it is in. */
interface Handled {
  notify: boolean;
  incidentId: string | null;
}

interface Group {
  anomalies: Anomaly[];
  records: number;
}

function groupByPattern(anomalies: Anomaly[]): Group[] {
  const groups = new Map<string, Group>();
  for (const a of anomalies) {
    const key = `${a.service}\u0000${a.patternId}`;
    const group = groups.get(key) ?? { anomalies: [], records: 0 };
    group.anomalies.push(a);
    group.records += a.count;
    groups.set(key, group);
  }
  return [...groups.values()];
}

const topScore = (group: Group): number => Math.max(...group.anomalies.map((a) => a.score));

function samplesOf(anomalies: Anomaly[]): string[] {
  const ordered = [...anomalies].sort((x, y) => x.timestamp - y.timestamp);
  return ordered.reduce<string[]>((acc, a) => mergeSamples(acc, a.samples.length ? a.samples : [a.message]), []);
}

export function createAlertManager(deps: AlertManagerDeps): AlertManager {
  const { config, logger, dedupe, channels } = deps;
  const now = deps.now ?? Date.now;
  const repo = createAlertRepo(deps.db);
  const registers = deps.registry ? [deps.registry] : [];
  const alertsTotal = new Counter({
    name: 'anomalog_alerts_total',
    help: 'Alerts sent on their own, by severity (pattern follow-ups included; held ones are counted by anomalog_incident_alerts_held_total).',
    labelNames: ['severity'] as const,
    registers,
  });
  const incidentsTotal = new Counter({
    name: 'anomalog_incidents_total',
    help: 'Incidents opened: an alert of a service with no incident open, sent at once.',
    registers,
  });
  const heldTotal = new Counter({
    name: 'anomalog_incident_alerts_held_total',
    help: 'Alerts held for their incident\'s follow-up instead of a message of their own.',
    registers,
  });
  const groupedTotal = new Counter({
    name: 'anomalog_alert_anomalies_deduplicated_total',
    help: 'Anomalies counted into an existing alert instead of raising one, by outcome.',
    labelNames: ['outcome'] as const,
    registers,
  });
  const deliveries = new Counter({
    name: 'anomalog_alert_deliveries_total',
    help: 'Alert delivery attempts, by channel and outcome (success, retryable, failure).',
    labelNames: ['channel', 'outcome'] as const,
    registers,
  });
  const outbox = createOutbox({
    repo,
    channels,
    logger,
    deliveries,
    now,
    retry: deps.retry ?? DEFAULT_RETRY,
    pollMs: deps.pollMs ?? 2_000,
    leaseMs: LEASE_MS,
  });

  const withChannels = (alert: AlertMessage): NewAlert => ({
    alert,
    channels: channels.filter((c) => c.accepts(alert)).map((c) => c.name),
  });

  function firstAlert(group: Group): NewAlert {
    const t = now();
    // The highest-scored anomaly speaks for the group; ties go to the earliest.
    const lead = group.anomalies.reduce((best, a) => (a.score > best.score ? a : best));
    const id = `alert:${lead.id}`;
    return withChannels({
      id,
      createdAt: t,
      severity: severityFor(lead.score, config),
      title: alertTitle(lead.kind, lead.level, lead.service),
      description: lead.reason,
      service: lead.service,
      patternId: lead.patternId,
      kind: lead.kind,
      level: lead.level,
      template: lead.template,
      score: lead.score,
      traceId: lead.traceId,
      anomalyCount: group.anomalies.length,
      recordCount: group.records,
      firstSeen: Math.min(...group.anomalies.map((a) => a.timestamp)),
      lastSeen: Math.max(...group.anomalies.map((a) => a.timestamp)),
      samples: samplesOf(group.anomalies),
      parentId: null,
      incidentId: incidentIdFor(id),
      digest: null,
    });
  }

  function followup(parent: AlertMessage, suppressed: number): NewAlert {
    const id = `${parent.id}:followup`;
    return withChannels({
      ...parent,
      id,
      createdAt: now(),
      title: `Still growing: ${parent.title}`,
      description:
        `${suppressed} more records of this pattern since the alert of ${new Date(parent.createdAt).toISOString()} ` +
        `(${parent.recordCount} then); no further alerts for it until the cooldown ends.`,
      recordCount: parent.recordCount + suppressed,
      parentId: parent.id,
      incidentId: incidentIdFor(id),
      digest: null,
    });
  }

  const rules = (): IncidentRules => ({
    now: now(),
    windowMs: config.incidentWindowMs,
    fold: (previous, held, incident) => withChannels(foldIntoFollowup(previous, held, incident, now())),
  });

  /** Counts what raising an alert came to; true when the outbox has a row to send now. */
  function raised(entry: NewAlert, result: Raised): boolean {
    const { service } = entry.alert;
    switch (result.outcome) {
      case 'sent':
        alertsTotal.inc({ severity: entry.alert.severity });
        if (result.opened) incidentsTotal.inc();
        return true;
      case 'held':
        heldTotal.inc();
        logger.debug({ service, alert: entry.alert.id, incident: result.incidentId }, 'alert held for its incident follow-up');
        outbox.wakeAt(result.dueAt);
        return false;
      case 'exists':
        return false;
    }
  }

  async function raiseFirst(group: Group): Promise<Handled> {
    const entry = firstAlert(group);
    const result = await repo.raise(entry, rules());
    return { notify: raised(entry, result), incidentId: result.incidentId };
  }

  async function handle(group: Group): Promise<Handled> {
    const { service, patternId } = group.anomalies[0]!;
    if (await dedupe.claim(service, patternId, config.cooldownSeconds)) {
      try {
        return await raiseFirst(group);
      } catch (error) {
        // Without its row the claim would silence this pattern for a whole cooldown.
        await dedupe.release(service, patternId).catch((releaseError: unknown) => {
          logger.error({ err: releaseError, service, patternId }, 'could not release alert dedupe claim');
        });
        throw error;
      }
    }
    for (let attempt = 0; ; attempt++) {
      let followupEntry: NewAlert | undefined;
      const repeat = await repo.recordRepeat(
        {
          service,
          patternId,
          anomalies: group.anomalies.length,
          records: group.records,
          lastSeen: Math.max(...group.anomalies.map((a) => a.timestamp)),
          samples: samplesOf(group.anomalies),
          now: now(),
          windowMs: config.windowSeconds * 1000,
          cooldownMs: config.cooldownSeconds * 1000,
          growthFactor: GROWTH_FACTOR,
        },
        (parent, suppressed) => (followupEntry = followup(parent, suppressed)),
        rules(),
      );
      if (repeat.outcome !== 'no-alert') {
        groupedTotal.inc({ outcome: repeat.outcome });
        if (repeat.outcome === 'followup') {
          logger.info({ service, patternId }, 'pattern kept growing after its alert; follow-up raised');
          return { notify: raised(followupEntry!, repeat.raised!), incidentId: repeat.incidentId };
        }
        // With grouping, an undelivered alert row may now carry a larger count.
        return { notify: repeat.outcome === 'grouped', incidentId: repeat.incidentId };
      }
      const claimedAt = await dedupe.claimedAt(service, patternId);
      // No row after the claim turned orphaned, or after waiting that long: never drop the alert.
      if (claimedAt === undefined || now() - claimedAt >= ORPHAN_CLAIM_MS || attempt >= IN_FLIGHT_RETRIES) break;
      await new Promise((resolve) => setTimeout(resolve, IN_FLIGHT_RETRY_MS));
    }
    // A claim without its row: the process that took it died between the two.
    logger.warn({ service, patternId }, 'alert dedupe claim without an alert; raising the alert');
    return raiseFirst(group);
  }

  return {
    async submit(anomalies) {
      if (anomalies.length === 0) return [];
      const byService = new Map<string, Group[]>();
      for (const group of groupByPattern(anomalies)) {
        const service = group.anomalies[0]!.service;
        const groups = byService.get(service);
        if (groups) groups.push(group);
        else byService.set(service, [group]);
      }
      const incidents = new Map<Anomaly, string>();
      const failures: unknown[] = [];
      // Services side by side; one service's groups in turn, the highest score first, so
      // that the alert that opens its incident (and goes out at once) is its worst.
      await Promise.all(
        [...byService.values()].map(async (groups) => {
          for (const group of groups.sort((a, b) => topScore(b) - topScore(a))) {
            try {
              const { notify, incidentId } = await handle(group);
              if (notify) outbox.wake();
              if (incidentId !== null) for (const a of group.anomalies) incidents.set(a, incidentId);
            } catch (error) {
              failures.push(error);
            }
          }
        }),
      );
      if (failures.length > 0) throw failures[0];
      return anomalies.map((a) => {
        const incidentId = incidents.get(a);
        return incidentId === undefined ? a : { ...a, incidentId };
      });
    },
    start: () => outbox.start(),
    stop: () => outbox.stop(),
  };
}
