/**
 * What both transports do with a decoded export: map it, hand the entries to
 * the pipeline, and say how to answer. Transports turn the outcome into
 * gRPC/HTTP statuses; nothing here knows about either.
 */
import type { Logger } from '../logger.js';
import type { Pipeline } from '../log-entry.js';
import { mapExportRequest } from '../otlp/map-log-record.js';
import type { ExportLogsRequest } from '../otlp/otlp-types.js';
import type { ReceiverMetrics, Transport } from './receiver-metrics.js';
import type { Refusals } from './refusals.js';
import type { ServiceGate } from './service-gate.js';

export type ExportOutcome =
  | { kind: 'accepted'; accepted: number; rejected: number; errorMessage?: string }
  | { kind: 'retryable'; message: string; retryAfterSeconds: number };

export const RETRY_AFTER_SECONDS = 1;

export interface ExportHandler {
  /** Reserve an in-flight slot; false when ANOMALOG_MAX_INFLIGHT are already running. */
  tryAcquire(): boolean;
  release(): void;
  /** Needs a slot acquired by the caller. */
  handle(request: ExportLogsRequest, transport: Transport): Promise<ExportOutcome>;
}

export function createExportHandler(deps: {
  pipeline: Pipeline;
  maxInflight: number;
  metrics: ReceiverMetrics;
  refusals: Refusals;
  logger: Logger;
  /** ANOMALOG_MAX_SERVICES; without it every service is taken. */
  services?: ServiceGate;
}): ExportHandler {
  const { pipeline, maxInflight, metrics, refusals, logger, services } = deps;
  let inflight = 0;
  return {
    tryAcquire() {
      if (inflight >= maxInflight) return false;
      inflight++;
      metrics.inflight.set(inflight);
      return true;
    },
    release() {
      inflight--;
      metrics.inflight.set(inflight);
    },
    async handle(request, transport) {
      let { entries, rejected, errorMessage } = mapExportRequest(request);
      let limited = 0;
      if (services && entries.length > 0) {
        try {
          const gate = await services.admit(entries);
          entries = gate.entries;
          limited = gate.refused;
          if (gate.errorMessage) errorMessage = errorMessage ? `${errorMessage}; ${gate.errorMessage}` : gate.errorMessage;
        } catch (error) {
          refusals.refuse(transport, 'admission_unavailable', `service admission unavailable for ${entries.length} records; asking the exporter to retry`, error);
          return { kind: 'retryable', message: 'service admission unavailable, retry later', retryAfterSeconds: RETRY_AFTER_SECONDS };
        }
      }
      if (entries.length > 0) {
        try {
          await pipeline(entries);
        } catch (error) {
          refusals.refuse(transport, 'pipeline_unavailable', `pipeline refused ${entries.length} records; asking the exporter to retry`, error);
          return { kind: 'retryable', message: 'pipeline unavailable, retry later', retryAfterSeconds: RETRY_AFTER_SECONDS };
        }
        metrics.received.inc({ transport }, entries.length);
      }
      if (rejected > 0) metrics.rejected.inc({ transport, reason: 'invalid' }, rejected);
      if (limited > 0) metrics.rejected.inc({ transport, reason: 'service_limit' }, limited);
      rejected += limited;
      if (rejected > 0) {
        logger.debug({ transport, rejected, errorMessage }, 'export partially rejected');
        return { kind: 'accepted', accepted: entries.length, rejected, errorMessage: errorMessage ?? '' };
      }
      return { kind: 'accepted', accepted: entries.length, rejected: 0 };
    },
  };
}
