/**
 * OTLP/gRPC: LogsService/Export plus the standard grpc.health.v1.Health service.
 * Export takes the raw request bytes (pass-through deserializer) so decoding
 * errors become INVALID_ARGUMENT, and decoding skips grpc-js's extra copy.
 * The token and the message's arrival time are checked by grpc-guard.ts before
 * the message is read.
 */
import { Metadata, Server, ServerCredentials, status, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData } from '@grpc/grpc-js';
import type { Logger } from '../logger.js';
import { inspectExport } from '../otlp/inspect-export.js';
import { encodeExportResponse, encodeStatusProto } from '../otlp/encode-response.js';
import { OtlpDecodeError } from '../otlp/otlp-types.js';
import { loadOtlpRoot } from '../otlp/proto-root.js';
import { RETRY_AFTER_SECONDS, type ExportHandler } from './export-handler.js';
import { createGrpcGuard } from './grpc-guard.js';
import type { ReceiverMetrics } from './receiver-metrics.js';
import type { Refusals } from './refusals.js';

const LOGS_SERVICE = 'opentelemetry.proto.collector.logs.v1.LogsService';
const EXPORT_PATH = `/${LOGS_SERVICE}/Export`;

/**
 * Connection limits, from the options grpc-js 1.14's Server reads (server.js):
 * max_concurrent_streams (an HTTP/2 setting), keepalive_time_ms/timeout_ms
 * (the server pings, and closes a connection whose ping goes unanswered) and
 * max_connection_idle_ms. It does not read the ping-policing options
 * (keepalive_permit_without_calls is client-side; min_ping_interval and
 * max_ping_strikes are not implemented): ping floods are left to nghttp2
 * under Node's http2, which ends a session whose unsent ping acks pile up.
 * grpc.max_connection_age_ms is not set: it would make every collector
 * reconnect periodically, which only helps behind a connection-level balancer.
 */
const CONNECTION_OPTIONS = {
  // One connection can buffer at most this many messages of ANOMALOG_MAX_REQUEST_BYTES;
  // an OTel Collector sends over one connection with 10 consumers by default.
  'grpc.max_concurrent_streams': 100,
  'grpc.keepalive_time_ms': 120_000,
  'grpc.keepalive_timeout_ms': 20_000,
  // Abandoned connections (no call for this long) are closed; exporters reconnect on their next export.
  'grpc.max_connection_idle_ms': 600_000,
};
const SERVING = 1;
const NOT_SERVING = 2;

const passThrough = (bytes: Buffer): Buffer => bytes;

function methodOf(path: string, responseStream: boolean) {
  return {
    path,
    requestStream: false,
    responseStream,
    requestSerialize: passThrough,
    requestDeserialize: passThrough,
    responseSerialize: passThrough,
    responseDeserialize: passThrough,
  };
}

export interface GrpcReceiver {
  listen(host: string, port: number): Promise<number>;
  /** Stop accepting calls, let in-flight ones finish; forced after graceMs. */
  close(graceMs: number): Promise<void>;
}

export function createGrpcReceiver(deps: {
  handler: ExportHandler;
  checkAuth: (authorization: string | undefined) => boolean;
  metrics: ReceiverMetrics;
  refusals: Refusals;
  logger: Logger;
  maxRequestBytes: number;
  requestTimeoutMs: number;
  tls: { cert: Buffer; key: Buffer } | undefined;
}): GrpcReceiver {
  const { handler, checkAuth, metrics, refusals, logger, maxRequestBytes, requestTimeoutMs, tls } = deps;
  const root = loadOtlpRoot();
  const healthRequest = root.lookupType('grpc.health.v1.HealthCheckRequest');
  const healthResponse = root.lookupType('grpc.health.v1.HealthCheckResponse');
  let servingStatus = SERVING;
  const watchers = new Set<ServerWritableStream<Buffer, Buffer>>();

  const server = new Server({
    ...CONNECTION_OPTIONS,
    'grpc.max_receive_message_length': maxRequestBytes,
    interceptors: [createGrpcGuard({ protectedPaths: new Set([EXPORT_PATH]), checkAuth, timeoutMs: requestTimeoutMs, refusals })],
  });

  function fail(callback: sendUnaryData<Buffer>, code: status, details: string, retryAfterSeconds?: number): void {
    const metadata = new Metadata();
    if (retryAfterSeconds !== undefined) {
      metadata.set('grpc-status-details-bin', encodeStatusProto(code, details, retryAfterSeconds));
    }
    callback({ code, details, metadata });
  }

  async function exportLogs(call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>): Promise<void> {
    const started = process.hrtime.bigint();
    let code = status.OK;
    const answer = (c: status, details?: string, retryAfterSeconds?: number, body?: Buffer): void => {
      code = c;
      if (c === status.OK) callback(null, body);
      else fail(callback, c, details ?? '', retryAfterSeconds);
    };
    try {
      if (!handler.tryAcquire()) {
        const details = 'too many requests in flight, retry later';
        answer(status.UNAVAILABLE, details, RETRY_AFTER_SECONDS);
        refusals.refuse('grpc', 'inflight', details);
        return;
      }
      try {
        let decoded;
        try {
          decoded = inspectExport(call.request);
        } catch (error) {
          if (!(error instanceof OtlpDecodeError)) throw error;
          answer(status.INVALID_ARGUMENT, error.message);
          refusals.refuse('grpc', 'malformed', error.message);
          return;
        }
        const outcome = await handler.handle(decoded, 'grpc');
        if (outcome.kind === 'retryable') answer(status.UNAVAILABLE, outcome.message, outcome.retryAfterSeconds);
        else answer(status.OK, undefined, undefined, encodeExportResponse(outcome, 'protobuf'));
      } finally {
        handler.release();
      }
    } catch (error) {
      logger.error({ err: error }, 'gRPC export failed unexpectedly');
      answer(status.INTERNAL, 'internal error');
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.duration.observe({ transport: 'grpc', code: status[code] }, seconds);
    }
  }

  /** The status of the named service; undefined for an unknown name; null for an unreadable request. */
  function healthOf(call: { request: Buffer }): number | undefined | null {
    let service: string;
    try {
      ({ service } = healthRequest.decode(call.request) as unknown as { service: string });
    } catch {
      return null;
    }
    return service === '' || service === LOGS_SERVICE ? servingStatus : undefined;
  }

  const encodeHealth = (s: number): Buffer => Buffer.from(healthResponse.encode({ status: s }).finish());

  server.addService(
    { Export: methodOf(EXPORT_PATH, false) },
    { Export: (call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => void exportLogs(call, cb) },
  );
  server.addService(
    {
      Check: methodOf('/grpc.health.v1.Health/Check', false),
      Watch: methodOf('/grpc.health.v1.Health/Watch', true),
    },
    {
      Check(call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) {
        const s = healthOf(call);
        if (s === null) callback({ code: status.INVALID_ARGUMENT, details: 'malformed HealthCheckRequest' });
        else if (s === undefined) callback({ code: status.NOT_FOUND, details: 'unknown service' });
        else callback(null, encodeHealth(s));
      },
      Watch(call: ServerWritableStream<Buffer, Buffer>) {
        const s = healthOf(call);
        if (s === null) {
          call.emit('error', { code: status.INVALID_ARGUMENT, details: 'malformed HealthCheckRequest' });
          return;
        }
        // The protocol answers SERVICE_UNKNOWN (3) on Watch rather than an error.
        call.write(encodeHealth(s ?? 3));
        watchers.add(call);
        call.on('cancelled', () => watchers.delete(call));
      },
    },
  );

  return {
    listen(host, port) {
      const credentials = tls
        ? ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }], false)
        : ServerCredentials.createInsecure();
      return new Promise((resolve, reject) => {
        server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, credentials, (error, bound) => {
          if (error) reject(error);
          else resolve(bound);
        });
      });
    },
    close(graceMs) {
      servingStatus = NOT_SERVING;
      // Watch streams never end on their own; tell them and close them so shutdown can finish.
      for (const call of watchers) {
        call.write(encodeHealth(NOT_SERVING));
        call.end();
      }
      watchers.clear();
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          logger.warn('gRPC calls still running after the grace period; forcing shutdown');
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown((error) => {
          clearTimeout(timer);
          if (error) logger.warn({ err: error }, 'gRPC shutdown reported an error');
          resolve();
        });
      });
    },
  };
}
