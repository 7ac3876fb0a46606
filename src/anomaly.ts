import type { Attributes, Level } from './log-entry.js';

/** `pattern_limit`: a service reached ANOMALOG_MAX_PATTERNS_PER_SERVICE (once per service). */
export type AnomalyKind = 'new_pattern' | 'frequency_spike' | 'pattern_limit';

/** One detected anomaly: what the detectors emit and every sink consumes. */
export interface Anomaly {
  /** Deterministic id (service, pattern, kind and the triggering record or window). */
  id: string;
  kind: AnomalyKind;
  service: string;
  level: Level;
  patternId: string;
  template: string;
  /** The triggering record's message, cut to ANOMALOG_MAX_STORED_CHARS. */
  message: string;
  /** Up to a few messages of the pattern, newest last, each cut like `message`. */
  samples: string[];
  /** In [0, 1]. */
  score: number;
  /** One sentence an SRE can read. */
  reason: string;
  traceId: string;
  spanId: string;
  /** Time of the triggering record, ms since the epoch. */
  timestamp: number;
  detectedAt: number;
  /** Records of this pattern behind the anomaly (1 for a new pattern; the window count for a spike). */
  count: number;
  attributes: Attributes;
  /** Resource attributes of the triggering record (for the OTLP event's resource). */
  resource: Attributes;
  /** The incident the alert manager alerted or grouped it in; unset before that. */
  incidentId?: string;
}
