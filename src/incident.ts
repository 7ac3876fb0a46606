/**
 * Incidents (pure): the alerts of one service within the incident window of its
 * first alert are one incident. The first alert is sent at once; the others are
 * held and folded into one follow-up, sent when the window closes.
 */
import { cutText } from './text/safe-text.js';
import { alertLabel, labelText, severityRank, type AlertLabel, type AlertMessage, type GroupedAlert, type IncidentDigest } from './alert.js';

/** The incident an alert is in, as the alert store knows it. */
export interface IncidentRef {
  id: string;
  service: string;
  firstAlertId: string;
  openedAt: number;
  closesAt: number;
}

/** Alerts a follow-up lists by name; it counts all of them. */
export const TOP_GROUPED = 5;
/** Templates in the list are cut to this: the message shows a handful of them. */
const TEMPLATE_MAX = 500;
const SAMPLES_MAX = 3;

/**
 * The id of the incident an alert opens: derived from the alert's id (itself from
 * its anomaly's), so a redelivered batch finds the same incident, not a second one.
 */
export function incidentIdFor(alertId: string): string {
  return `incident:${alertId.replace(/^alert:/, '')}`;
}

export function followupIdOf(incidentId: string): string {
  return `${incidentId}:followup`;
}

function grouped(alert: AlertMessage): GroupedAlert {
  return {
    alertId: alert.id,
    patternId: alert.patternId,
    label: alertLabel(alert),
    template: cutText(alert.template, TEMPLATE_MAX),
    score: alert.score,
  };
}

/** Highest score first; equal scores keep the earlier one first. */
function topByScore(items: GroupedAlert[]): GroupedAlert[] {
  return [...items].sort((a, b) => b.score - a.score).slice(0, TOP_GROUPED);
}

function followupTitle(digest: IncidentDigest, service: string): string {
  const labels = Object.keys(digest.counts) as AlertLabel[];
  const what = labels.length === 1 ? labelText(labels[0]!, digest.alerts) : `more ${digest.alerts === 1 ? 'alert' : 'alerts'}`;
  return `+${digest.alerts} ${what} in ${service}`;
}

function followupDescription(digest: IncidentDigest, incident: IncidentRef): string {
  const parts = (Object.entries(digest.counts) as Array<[AlertLabel, number]>).map(([label, n]) => `${n} ${labelText(label, n)}`);
  const listed = digest.alerts > digest.top.length ? `the top ${digest.top.length} by score are` : 'they are';
  return (
    `${parts.join(', ')} in ${incident.service} after the first alert of this incident ` +
    `(${new Date(incident.openedAt).toISOString()}); ${listed} listed below.`
  );
}

/**
 * The incident's follow-up with one more held alert folded in (`previous` is
 * undefined for the first). It speaks with its top alert's pattern, template and
 * score, and its severity is the highest of the alerts it reports.
 */
export function foldIntoFollowup(previous: AlertMessage | undefined, held: AlertMessage, incident: IncidentRef, now: number): AlertMessage {
  const before: IncidentDigest = previous?.digest ?? { alerts: 0, counts: {}, top: [] };
  const label = alertLabel(held);
  const digest: IncidentDigest = {
    alerts: before.alerts + 1,
    counts: { ...before.counts, [label]: (before.counts[label] ?? 0) + 1 },
    top: topByScore([...before.top, grouped(held)]),
  };
  const lead = digest.top[0]!;
  const speaker = lead.alertId === held.id || !previous ? held : previous;
  const severity = previous && severityRank(previous.severity) > severityRank(held.severity) ? previous.severity : held.severity;
  return {
    id: followupIdOf(incident.id),
    createdAt: previous?.createdAt ?? now,
    severity,
    title: followupTitle(digest, incident.service),
    description: followupDescription(digest, incident),
    service: incident.service,
    patternId: lead.patternId,
    kind: speaker.kind,
    level: speaker.level,
    template: lead.template,
    score: lead.score,
    traceId: speaker.traceId,
    anomalyCount: (previous?.anomalyCount ?? 0) + held.anomalyCount,
    recordCount: (previous?.recordCount ?? 0) + held.recordCount,
    firstSeen: Math.min(previous?.firstSeen ?? held.firstSeen, held.firstSeen),
    lastSeen: Math.max(previous?.lastSeen ?? held.lastSeen, held.lastSeen),
    // One line of each alert, newest last.
    samples: [...(previous?.samples ?? []), ...held.samples.slice(-1)].slice(-SAMPLES_MAX),
    parentId: incident.firstAlertId,
    incidentId: incident.id,
    digest,
  };
}
