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
  logger: Logger;
}): ExportHandler {
  const { pipeline, maxInflight, metrics, logger } = deps;
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
      const { entries, rejected, errorMessage, droppedAttributes } = mapExportRequest(request);
      if (entries.length > 0) {
        try {
          await pipeline(entries);
        } catch (error) {
          logger.warn({ err: error, transport, records: entries.length }, 'pipeline refused an export; asking the exporter to retry');
          return { kind: 'retryable', message: 'pipeline unavailable, retry later', retryAfterSeconds: RETRY_AFTER_SECONDS };
        }
        metrics.received.inc({ transport }, entries.length);
        if (droppedAttributes > 0) metrics.droppedAttributes.inc({ transport }, droppedAttributes);
      }
      if (rejected > 0) {
        metrics.rejected.inc({ transport }, rejected);
        logger.debug({ transport, rejected, errorMessage }, 'export partially rejected');
        return { kind: 'accepted', accepted: entries.length, rejected, errorMessage: errorMessage ?? '' };
      }
      return { kind: 'accepted', accepted: entries.length, rejected: 0 };
    },
  };
}
