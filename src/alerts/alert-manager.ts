/**
 * Turns committed anomalies into alerts: groups them per service + pattern, lets one
 * alert through per cooldown (plus one follow-up if the pattern keeps growing), and
 * writes the alert rows that the outbox delivers in the background.
 */
import { Counter, type Registry } from 'prom-client';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Anomaly } from '../pipeline/anomaly.js';
import { createAlertRepo, mergeSamples, type NewAlert } from '../store/alert-repo.js';
import type { Database } from '../store/database.js';
import { alertTitle, severityFor, type AlertMessage } from './alert.js';
import type { AlertChannel } from './alert-channel.js';
import type { DedupeStore } from './dedupe.js';
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
  /** Call once the anomalies are committed. Writes alert rows and returns; never waits on a channel. */
  submit(anomalies: Anomaly[]): Promise<void>;
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
    help: 'Alerts raised, by severity (follow-ups included).',
    labelNames: ['severity'] as const,
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
    return withChannels({
      id: `alert:${lead.id}`,
      createdAt: t,
      severity: severityFor(lead.score, config),
      title: alertTitle(lead.kind, lead.level, lead.service),
      description: lead.reason,
      service: lead.service,
      patternId: lead.patternId,
      kind: lead.kind,
      template: lead.template,
      score: lead.score,
      traceId: lead.traceId,
      anomalyCount: group.anomalies.length,
      recordCount: group.records,
      firstSeen: Math.min(...group.anomalies.map((a) => a.timestamp)),
      lastSeen: Math.max(...group.anomalies.map((a) => a.timestamp)),
      samples: samplesOf(group.anomalies),
      parentId: null,
    });
  }

  function followup(parent: AlertMessage, suppressed: number): NewAlert {
    return withChannels({
      ...parent,
      id: `${parent.id}:followup`,
      createdAt: now(),
      title: `Still growing: ${parent.title}`,
      description:
        `${suppressed} more records of this pattern since the alert of ${new Date(parent.createdAt).toISOString()} ` +
        `(${parent.recordCount} then); no further alerts for it until the cooldown ends.`,
      recordCount: parent.recordCount + suppressed,
      parentId: parent.id,
    });
  }

  async function handle(group: Group): Promise<boolean> {
    const { service, patternId } = group.anomalies[0]!;
    if (await dedupe.claim(service, patternId, config.cooldownSeconds)) {
      const entry = firstAlert(group);
      try {
        if (await repo.insert(entry)) alertsTotal.inc({ severity: entry.alert.severity });
      } catch (error) {
        // Without its row the claim would silence this pattern for a whole cooldown.
        await dedupe.release(service, patternId).catch((releaseError: unknown) => {
          logger.error({ err: releaseError, service, patternId }, 'could not release alert dedupe claim');
        });
        throw error;
      }
      return true;
    }
    let followupSeverity: AlertMessage['severity'] | undefined;
    const outcome = await repo.recordRepeat(
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
      (parent, suppressed) => {
        const entry = followup(parent, suppressed);
        followupSeverity = entry.alert.severity;
        return entry;
      },
    );
    if (outcome === 'no-alert') {
      // A fresh claim's alert row is being written by another process right now.
      const claimedAt = await dedupe.claimedAt(service, patternId);
      if (claimedAt !== undefined && now() - claimedAt < ORPHAN_CLAIM_MS) return false;
      // An older claim without its row: the process that took it died between the two.
      logger.warn({ service, patternId }, 'alert dedupe claim without an alert; raising the alert');
      const entry = firstAlert(group);
      if (await repo.insert(entry)) alertsTotal.inc({ severity: entry.alert.severity });
      return true;
    }
    groupedTotal.inc({ outcome });
    if (outcome === 'followup') {
      alertsTotal.inc({ severity: followupSeverity ?? 'info' });
      logger.info({ service, patternId }, 'pattern kept growing after its alert; follow-up raised');
      return true;
    }
    // With grouping, an undelivered alert row may now carry a larger count.
    return outcome === 'grouped';
  }

  return {
    async submit(anomalies) {
      if (anomalies.length === 0) return;
      const results = await Promise.allSettled(groupByPattern(anomalies).map(handle));
      if (results.some((r) => r.status === 'fulfilled' && r.value)) outbox.wake();
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
    start: () => outbox.start(),
    stop: () => outbox.stop(),
  };
}
