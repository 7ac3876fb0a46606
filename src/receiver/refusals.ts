/**
 * Every refused request is counted (anomalog_rejected_requests_total) and
 * logged; the log is limited to one line per transport and reason per
 * interval, so a flood of bad or slow clients cannot flood the log too.
 */
import type { Logger } from '../logger.js';
import type { ReceiverMetrics, Transport } from './receiver-metrics.js';

export type RefusalReason =
  /** Missing or wrong bearer token. */
  | 'unauthenticated'
  /** Content type or encoding the receiver does not speak. */
  | 'unsupported'
  /** Body over ANOMALOG_MAX_REQUEST_BYTES, on the wire or inflated. */
  | 'too_large'
  /** Body that does not decode (protobuf, JSON or gzip). */
  | 'malformed'
  /** Body not received within ANOMALOG_REQUEST_TIMEOUT. */
  | 'timeout'
  /** The shared service admission (ANOMALOG_MAX_SERVICES, in Redis) could not be asked. */
  | 'admission_unavailable'
  /** Bodies being received already hold the whole receive budget. */
  | 'receive_budget'
  /** ANOMALOG_MAX_INFLIGHT exports already being handled. */
  | 'inflight'
  /** The pipeline (queue, store, embedder) could not take the records. */
  | 'pipeline_unavailable';

export interface Refusals {
  refuse(transport: Transport, reason: RefusalReason, detail: string, error?: unknown): void;
}

export const REFUSAL_LOG_INTERVAL_MS = 10_000;

export function createRefusals(deps: { metrics: ReceiverMetrics; logger: Logger; now?: () => number }): Refusals {
  const { metrics, logger, now = Date.now } = deps;
  const lastLogged = new Map<string, { at: number; suppressed: number }>();
  return {
    refuse(transport, reason, detail, error) {
      metrics.refused.inc({ transport, reason });
      const key = `${transport}:${reason}`;
      const t = now();
      const last = lastLogged.get(key);
      if (last && t - last.at < REFUSAL_LOG_INTERVAL_MS) {
        last.suppressed++;
        return;
      }
      lastLogged.set(key, { at: t, suppressed: 0 });
      const fields = { transport, reason, detail, ...(last?.suppressed ? { suppressedSinceLastLine: last.suppressed } : {}), ...(error ? { err: error } : {}) };
      logger.warn(fields, 'request refused');
    },
  };
}
