/**
 * What both transports do with a decoded export: account for its records
 * (without mapping them: see accepted-export.ts), admit its services, hand it
 * to the sink, and say how to answer. Transports turn the outcome into
 * gRPC/HTTP statuses; nothing here knows about either.
 */
import type { Logger } from '../logger.js';
import type { AcceptedExport, DecodedExport, ExportSink } from '../otlp/accepted-export.js';
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
  handle(decoded: DecodedExport, transport: Transport): Promise<ExportOutcome>;
}

export function createExportHandler(deps: {
  sink: ExportSink;
  maxInflight: number;
  metrics: ReceiverMetrics;
  refusals: Refusals;
  logger: Logger;
  /** ANOMALOG_MAX_SERVICES; without it every service is taken. */
  services?: ServiceGate;
}): ExportHandler {
  const { sink, maxInflight, metrics, refusals, logger, services } = deps;
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
    async handle(decoded, transport) {
      const { summary } = decoded;
      const accepted: AcceptedExport = { ...decoded, resources: summary.resources, arrivalMs: Date.now() };
      let { rejected, errorMessage } = summary;
      let records = summary.resources.reduce((n, r) => n + r.records, 0);
      let limited = 0;
      if (services && records > 0) {
        try {
          const gate = await services.admit(summary.resources);
          accepted.resources = gate.resources;
          limited = gate.refused;
          records -= limited;
          if (gate.errorMessage) errorMessage = errorMessage ? `${errorMessage}; ${gate.errorMessage}` : gate.errorMessage;
        } catch (error) {
          refusals.refuse(transport, 'admission_unavailable', `service admission unavailable for ${records} records; asking the exporter to retry`, error);
          return { kind: 'retryable', message: 'service admission unavailable, retry later', retryAfterSeconds: RETRY_AFTER_SECONDS };
        }
      }
      if (records > 0) {
        try {
          await sink(accepted);
        } catch (error) {
          refusals.refuse(transport, 'pipeline_unavailable', `pipeline refused ${records} records; asking the exporter to retry`, error);
          return { kind: 'retryable', message: 'pipeline unavailable, retry later', retryAfterSeconds: RETRY_AFTER_SECONDS };
        }
        metrics.received.inc({ transport }, records);
        if (summary.droppedAttributes > 0) metrics.droppedAttributes.inc({ transport }, summary.droppedAttributes);
      }
      if (rejected > 0) metrics.rejected.inc({ transport, reason: 'invalid' }, rejected);
      if (limited > 0) metrics.rejected.inc({ transport, reason: 'service_limit' }, limited);
      rejected += limited;
      if (rejected > 0) {
        logger.debug({ transport, rejected, errorMessage }, 'export partially rejected');
        return { kind: 'accepted', accepted: records, rejected, errorMessage: errorMessage ?? '' };
      }
      return { kind: 'accepted', accepted: records, rejected: 0 };
    },
  };
}
