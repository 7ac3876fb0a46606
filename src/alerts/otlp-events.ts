/**
 * Exports every anomaly as an OTLP LogRecord event (`anomalog.anomaly`, with the
 * `incident.id` its alert joined) through the OTel JS SDK exporters,
 * gzip-compressed. export() only queues: a background loop
 * sends batches and retries with backoff while the endpoint is down; the queue is
 * bounded and what overflows is logged and counted, never waited on.
 */
import { Metadata } from '@grpc/grpc-js';
import { SeverityNumber, type AnyValueMap } from '@opentelemetry/api-logs';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { Counter, type Registry } from 'prom-client';
import type { Config } from '../config.js';
import type { AttributeValue, Attributes } from '../log-entry.js';
import type { Logger } from '../logger.js';
import type { Anomaly } from '../anomaly.js';
import { version } from '../version.js';
import { severityFor, type Severity } from '../alert.js';

export const EVENT_NAME = 'anomalog.anomaly';

export interface OtlpEventsDeps {
  endpoint: string;
  protocol: Config['alerts']['eventsProtocol'];
  headers: Record<string, string>;
  logger: Logger;
  registry?: Registry;
  /** Score thresholds for the event severity (defaults: the config defaults 0.8 / 0.6). */
  thresholds?: { criticalScore: number; warningScore: number };
  /** Records held while the endpoint is down; beyond it new anomalies are dropped (default 10,000). */
  maxQueue?: number;
  batchSize?: number;
  /** Wait this long for more anomalies before sending a partial batch. */
  flushMs?: number;
  retry?: { baseMs: number; maxMs: number };
  timeoutMs?: number;
}

export interface OtlpEventsExporter {
  export(anomalies: Anomaly[]): Promise<void>;
  /** Sends what is queued (bounded by timeoutMs), then closes the exporter. */
  shutdown(timeoutMs?: number): Promise<void>;
}

const SEVERITY: Record<Severity, { number: SeverityNumber; text: string }> = {
  critical: { number: SeverityNumber.ERROR, text: 'ERROR' },
  warning: { number: SeverityNumber.WARN, text: 'WARN' },
  info: { number: SeverityNumber.INFO, text: 'INFO' },
};
const SCOPE = { name: 'anomalog', version };
const RESOURCE_CACHE_MAX = 1000;

/** The signal path is appended to a bare base URL, as OTEL_EXPORTER_OTLP_ENDPOINT does. */
export function logsUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/v1/logs';
  return url.toString();
}

function createExporter(deps: OtlpEventsDeps): LogRecordExporter {
  const timeoutMillis = deps.timeoutMs ?? 10_000;
  if (deps.protocol === 'grpc') {
    const metadata = new Metadata();
    for (const [k, v] of Object.entries(deps.headers)) metadata.set(k, v);
    return new GrpcLogExporter({ url: deps.endpoint, compression: CompressionAlgorithm.GZIP, metadata, timeoutMillis });
  }
  return new ProtoLogExporter({ url: logsUrl(deps.endpoint), compression: CompressionAlgorithm.GZIP, headers: deps.headers, timeoutMillis });
}

const hrTime = (ms: number): [number, number] => [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];

/** Resource attributes allow only primitives and arrays of them. */
function flatResourceValue(value: AttributeValue): string | number | boolean | undefined {
  if (value === null) return undefined;
  return typeof value === 'object' ? JSON.stringify(value) : value;
}

export function createOtlpEventsExporter(deps: OtlpEventsDeps): OtlpEventsExporter {
  const { logger } = deps;
  const exporter = createExporter(deps);
  const thresholds = deps.thresholds ?? { criticalScore: 0.8, warningScore: 0.6 };
  const maxQueue = deps.maxQueue ?? 10_000;
  const batchSize = deps.batchSize ?? 512;
  const flushMs = deps.flushMs ?? 200;
  const retry = deps.retry ?? { baseMs: 1_000, maxMs: 30_000 };
  const registers = deps.registry ? [deps.registry] : [];
  const exported = new Counter({ name: 'anomalog_events_exported_total', help: 'Anomaly events accepted by the OTLP events endpoint.', registers });
  const dropped = new Counter({ name: 'anomalog_events_dropped_total', help: 'Anomaly events dropped because the export queue was full.', registers });
  const failures = new Counter({ name: 'anomalog_events_export_failures_total', help: 'Failed OTLP event export attempts (each is retried).', registers });

  // The serializer groups records by resource object identity: reuse one per distinct resource.
  const resources = new Map<string, Resource>();
  function resourceOf(a: Anomaly): Resource {
    const attrs: Attributes = { 'service.name': a.service, ...a.resource };
    const key = JSON.stringify(attrs);
    let resource = resources.get(key);
    if (!resource) {
      if (resources.size >= RESOURCE_CACHE_MAX) resources.clear();
      const flat = Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, flatResourceValue(v)]));
      resource = resourceFromAttributes(flat);
      resources.set(key, resource);
    }
    return resource;
  }

  function toRecord(a: Anomaly): ReadableLogRecord {
    const severity = SEVERITY[severityFor(a.score, thresholds)];
    const attributes: AnyValueMap = {
      'event.name': EVENT_NAME,
      'anomaly.id': a.id,
      'anomaly.kind': a.kind,
      'anomaly.score': a.score,
      'anomaly.count': a.count,
      'anomaly.level': a.level,
      'pattern.id': a.patternId,
      'pattern.template': a.template,
      // The semantic-conventions name for the original log line.
      'log.record.original': a.message,
      'log.record.attributes': a.attributes,
    };
    // The incident its alert joined, so a backend can group the events as the alerts were.
    if (a.incidentId !== undefined) attributes['incident.id'] = a.incidentId;
    const validTrace = /^[0-9a-f]{32}$/.test(a.traceId) && /^[0-9a-f]{16}$/.test(a.spanId);
    return {
      hrTime: hrTime(a.timestamp),
      hrTimeObserved: hrTime(a.detectedAt),
      ...(validTrace ? { spanContext: { traceId: a.traceId, spanId: a.spanId, traceFlags: 1 } } : {}),
      severityNumber: severity.number,
      severityText: severity.text,
      body: a.reason,
      eventName: EVENT_NAME,
      resource: resourceOf(a),
      instrumentationScope: SCOPE,
      attributes,
      droppedAttributesCount: 0,
    };
  }

  const queue: ReadableLogRecord[] = [];
  let sending: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closing = false;
  let attempt = 0;

  const send = (batch: ReadableLogRecord[]) =>
    new Promise<Error | undefined>((resolve) => {
      exporter.export(batch, (result) => resolve(result.code === ExportResultCode.SUCCESS ? undefined : (result.error ?? new Error('export failed'))));
    });

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, batchSize);
      const error = await send(batch);
      if (!error) {
        queue.splice(0, batch.length);
        exported.inc(batch.length);
        attempt = 0;
        continue;
      }
      failures.inc();
      attempt += 1;
      if (closing) return;
      const delay = Math.min(retry.maxMs, retry.baseMs * 2 ** (attempt - 1));
      logger.warn({ err: error, queued: queue.length, attempt, delayMs: delay }, 'anomaly event export failed; retrying');
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  function kick(): void {
    if (sending || closing) return;
    sending = drain().finally(() => {
      sending = undefined;
      if (queue.length >= batchSize) kick();
    });
  }

  return {
    async export(anomalies) {
      if (closing) return;
      const room = maxQueue - queue.length;
      const accepted = anomalies.slice(0, Math.max(0, room));
      if (accepted.length < anomalies.length) {
        const lost = anomalies.length - accepted.length;
        dropped.inc(lost);
        logger.warn({ dropped: lost, queued: queue.length }, 'anomaly event queue full; dropping events');
      }
      for (const a of accepted) queue.push(toRecord(a));
      if (queue.length >= batchSize) {
        clearTimeout(timer);
        timer = undefined;
        kick();
      } else {
        timer ??= setTimeout(() => {
          timer = undefined;
          kick();
        }, flushMs);
      }
    },

    async shutdown(timeoutMs = 5_000) {
      clearTimeout(timer);
      timer = undefined;
      // From here a failed send is not retried: one last pass over what is queued.
      closing = true;
      const finalFlush = (async () => {
        await sending;
        await drain();
      })();
      let bound: NodeJS.Timeout | undefined;
      await Promise.race([finalFlush, new Promise((r) => (bound = setTimeout(r, timeoutMs)))]);
      clearTimeout(bound);
      if (queue.length > 0) logger.warn({ lost: queue.length }, 'anomaly events still queued at shutdown are lost');
      await exporter.shutdown();
    },
  };
}
