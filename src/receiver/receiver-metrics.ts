/** The receiver's Prometheus metrics; the names are public interface. */
import prom from 'prom-client';

export type Transport = 'grpc' | 'http';

export interface ReceiverMetrics {
  received: prom.Counter<'transport'>;
  /** reason: invalid (unusable records) or service_limit (ANOMALOG_MAX_SERVICES reached). */
  rejected: prom.Counter<'transport' | 'reason'>;
  duration: prom.Histogram<'transport' | 'code'>;
  inflight: prom.Gauge;
  refused: prom.Counter<'transport' | 'reason'>;
  receivingBytes: prom.Gauge;
}

export function createReceiverMetrics(registry: prom.Registry): ReceiverMetrics {
  const registers = [registry];
  return {
    received: new prom.Counter({
      name: 'anomalog_received_log_records_total',
      help: 'Log records accepted and handed to the pipeline',
      labelNames: ['transport'],
      registers,
    }),
    rejected: new prom.Counter({
      name: 'anomalog_rejected_log_records_total',
      help: 'Log records refused in a partial success, by reason: invalid (unusable records) or service_limit (ANOMALOG_MAX_SERVICES reached)',
      labelNames: ['transport', 'reason'],
      registers,
    }),
    duration: new prom.Histogram({
      name: 'anomalog_request_duration_seconds',
      help: 'OTLP export request duration, by transport and answer (gRPC status name or HTTP status code)',
      labelNames: ['transport', 'code'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    inflight: new prom.Gauge({
      name: 'anomalog_inflight_requests',
      help: 'OTLP export requests being handled now (both transports)',
      registers,
    }),
    refused: new prom.Counter({
      name: 'anomalog_rejected_requests_total',
      help: 'Requests refused before their records reached the pipeline, by transport and reason',
      labelNames: ['transport', 'reason'],
      registers,
    }),
    receivingBytes: new prom.Gauge({
      name: 'anomalog_receiving_body_bytes',
      help: 'Bytes held by HTTP request bodies still arriving (bounded by the receive budget)',
      registers,
    }),
  };
}
