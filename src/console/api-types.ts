/**
 * The JSON the console's API answers with, as both sides see it: the server
 * builds it (service/console-views.ts, service/admin-api.ts) and the browser
 * reads it (web/). The browser's program (web/tsconfig.json: DOM, no Node)
 * type-checks this file as well, so it imports only types of the leaf domain
 * modules — never a store, never anything that needs Node.
 */
import type { Anomaly } from '../anomaly.js';
import type { Attributes, Level } from '../log-entry.js';

/** GET /api/settings: what the console needs to know of the configuration. */
export interface ConsoleSettings {
  /** ANOMALOG_TRACE_URL: a URL with {traceId} and {spanId} to fill in; null when unset. */
  traceUrl: string | null;
  /** ANOMALOG_SPIKE_WINDOW: the width of one count of the sparklines. */
  windowSeconds: number;
  learningPeriodSeconds: number;
}

/**
 * An anomaly of GET /api/anomalies (a stored row: store/anomaly-repo.ts). The
 * brief view, the console's list, leaves out samples and attributes.
 */
export type AnomalyView = Omit<Anomaly, 'resource' | 'incidentId' | 'samples' | 'attributes'> & {
  /** The incident it was alerted or grouped in (null until then). */
  incidentId: string | null;
  samples?: string[];
  attributes?: Attributes;
};

/**
 * A pattern of GET /api/patterns, the fields the console reads. The answer is
 * the whole pattern record but its centroid (console-views.ts, where the
 * compiler holds the record to these fields).
 */
export interface PatternView {
  id: string;
  service: string;
  template: string;
  example: string;
  level: Level;
  count: number;
  firstSeen: number;
  lastSeen: number;
  muted: boolean;
  mutedUntil: number | null;
  /** With `windows` asked: the counts of the last windows, oldest first, the current window last. */
  recentCounts?: number[];
}

/** A service of GET /api/services. */
export interface ServiceView {
  service: string;
  /** False once the store has forgotten the service (idle past ANOMALOG_SERVICE_IDLE_TTL); the mirror still lists it. */
  known: boolean;
  learned: boolean;
  /** While learning: when it ends (ms); null when learned or not known. */
  learningUntil: number | null;
  patterns: number;
  /** The newest last-seen time of its patterns (ms). */
  lastRecord: number;
}
