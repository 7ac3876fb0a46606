/** What an alert is and how severe it is. */
import type { AnomalyKind } from '../pipeline/anomaly.js';

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
  template: string;
  score: number;
  traceId: string;
  anomalyCount: number;
  recordCount: number;
  firstSeen: number;
  lastSeen: number;
  /** Original messages, newest last, at most three. */
  samples: string[];
  /** The alert this one follows up, when the pattern kept growing after it. */
  parentId: string | null;
}

const KIND_TITLES: Record<AnomalyKind, string> = {
  new_pattern: 'New log pattern',
  frequency_spike: 'Log frequency spike',
  pattern_limit: 'Pattern limit reached',
};

export function alertTitle(kind: AnomalyKind, level: string, service: string): string {
  const what = kind === 'new_pattern' && level !== 'info' ? `New ${level.toUpperCase()} pattern` : KIND_TITLES[kind];
  return `${what} in ${service}`;
}
