/** What an alert is and how severe it is. */
import type { AnomalyKind } from './anomaly.js';

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** critical above criticalScore, warning above warningScore, else info. */
export function severityFor(score: number, t: { criticalScore: number; warningScore: number }): Severity {
  if (score > t.criticalScore) return 'critical';
  if (score > t.warningScore) return 'warning';
  return 'info';
}

/** One alert an incident follow-up reports, as it lists it. */
export interface GroupedAlert {
  alertId: string;
  patternId: string;
  /** What it is: see alertLabel. */
  label: AlertLabel;
  template: string;
  score: number;
}

/** What an incident follow-up reports: the alerts it stands for, by label, and the top ones by score. */
export interface IncidentDigest {
  alerts: number;
  counts: Partial<Record<AlertLabel, number>>;
  top: GroupedAlert[];
}

export interface AlertMessage {
  id: string;
  createdAt: number;
  severity: Severity;
  title: string;
  /** The triggering anomaly's reason, or for a follow-up why it was sent. */
  description: string;
  service: string;
  patternId: string;
  kind: AnomalyKind;
  /** Level of the records behind it ('' on alerts stored before incidents). */
  level: string;
  template: string;
  score: number;
  traceId: string;
  anomalyCount: number;
  recordCount: number;
  firstSeen: number;
  lastSeen: number;
  /** Original messages, newest last, at most three. */
  samples: string[];
  /** The alert this one follows up: the pattern's alert when it kept growing, the incident's first alert for an incident follow-up. */
  parentId: string | null;
  /** The incident it belongs to (null on alerts stored before incidents). */
  incidentId: string | null;
  /** Set on an incident follow-up only. */
  digest: IncidentDigest | null;
}

const KIND_TITLES: Record<AnomalyKind, string> = {
  new_pattern: 'New log pattern',
  frequency_spike: 'Log frequency spike',
  pattern_limit: 'Pattern limit reached',
};

/** What an alert is, in the words a follow-up counts it by: `new_pattern:error`, `frequency_spike`, … */
export type AlertLabel = `new_pattern:${string}` | 'new_pattern' | 'frequency_spike' | 'pattern_limit' | 'growing';

export function alertLabel(alert: Pick<AlertMessage, 'kind' | 'level' | 'parentId'>): AlertLabel {
  if (alert.parentId !== null) return 'growing';
  if (alert.kind === 'new_pattern' && alert.level !== '' && alert.level !== 'info') return `new_pattern:${alert.level}`;
  return alert.kind;
}

/** "new error pattern" / "new error patterns", "frequency spike(s)", … */
export function labelText(label: AlertLabel, count: number): string {
  const many = count !== 1;
  if (label.startsWith('new_pattern')) {
    const level = label.slice('new_pattern:'.length);
    return `new ${level ? `${level} ` : ''}pattern${many ? 's' : ''}`;
  }
  if (label === 'frequency_spike') return `frequency spike${many ? 's' : ''}`;
  if (label === 'pattern_limit') return `pattern limit${many ? 's' : ''} reached`;
  return `pattern${many ? 's' : ''} still growing`;
}

export function alertTitle(kind: AnomalyKind, level: string, service: string): string {
  const what = kind === 'new_pattern' && level !== 'info' ? `New ${level.toUpperCase()} pattern` : KIND_TITLES[kind];
  return `${what} in ${service}`;
}
