/**
 * OTLP/HTTP `POST /v1/logs` (protobuf and JSON, gzip) plus /healthz, /readyz,
 * /metrics, any routes an extension adds behind the same bearer check, and
 * open routes (the console's page) before it.
 */
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import { jsonExport, type DecodedExport } from '../otlp/accepted-export.js';
import { decodeExportRequestJson } from '../otlp/decode-json.js';
import { encodeExportResponse, encodeStatus, type BodyFormat } from '../otlp/encode-response.js';
import { inspectExport } from '../otlp/inspect-export.js';
import { OtlpDecodeError } from '../otlp/otlp-types.js';
import { RETRY_AFTER_SECONDS, type ExportHandler } from './export-handler.js';
import { inflateBody, receiveBody } from './read-body.js';
import type { ReceiveBudget } from './receive-budget.js';
import type { ReceiverMetrics } from './receiver-metrics.js';
import type { RefusalReason, Refusals } from './refusals.js';

export interface HttpExtension {
  /** Called for any request not handled by the receiver's own routes, after auth; return true if it answered. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
}

export interface Readiness {
  check(): Promise<{ ready: boolean; checks: Record<string, string> }>;
}

/** gRPC status codes used in google.rpc.Status bodies. */
const CODE = { INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, RESOURCE_EXHAUSTED: 8, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, UNAUTHENTICATED: 16 };
const HTTP_TO_CODE: Record<number, number> = {
  400: CODE.INVALID_ARGUMENT,
  401: CODE.UNAUTHENTICATED,
  404: CODE.NOT_FOUND,
  405: CODE.UNIMPLEMENTED,
  408: CODE.DEADLINE_EXCEEDED,
  413: CODE.RESOURCE_EXHAUSTED,
  415: CODE.UNIMPLEMENTED,
  500: CODE.INTERNAL,
  503: CODE.UNAVAILABLE,
};
const OPEN_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Node's own limits back up the body timeout (read-body.ts) without pre-empting
 * it: headers must arrive within HEADERS_TIMEOUT_MS (or the request timeout if
 * shorter), and Node's whole-request timeout is the headers' plus the body's
 * plus a margin, so a slow body gets our 408 with a google.rpc.Status body
 * rather than Node's bare one. Node checks both every CHECK_INTERVAL_MS.
 */
const HEADERS_TIMEOUT_MS = 10_000;
const NODE_TIMEOUT_MARGIN_MS = 1_000;
const CHECK_INTERVAL_MS = 1_000;
/**
 * Idle keep-alive connections live longer than a load balancer's usual 60 s
 * idle timeout, so a proxy in front closes them first instead of racing us.
 */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

function formatOf(req: IncomingMessage): BodyFormat | undefined {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return undefined;
}

function contentTypeOf(format: BodyFormat): string {
  return format === 'json' ? 'application/json' : 'application/x-protobuf';
}

export interface HttpReceiver {
  listen(host: string, port: number): Promise<number>;
  /** Stop accepting, let in-flight requests finish; connections forced closed after graceMs. */
  close(graceMs: number): Promise<void>;
}

export function createHttpReceiver(deps: {
  /** Undefined on an ops-only server: /v1/logs then answers 404. */
  handler: ExportHandler | undefined;
  checkAuth: (authorization: string | undefined) => boolean;
  metrics: ReceiverMetrics;
  refusals: Refusals;
  budget: ReceiveBudget;
  registry: Registry;
  logger: Logger;
  maxRequestBytes: number;
  requestTimeoutMs: number;
  /** /metrics needs the bearer token too. */
  metricsAuth: boolean;
  tls: { cert: Buffer; key: Buffer } | undefined;
  extension: HttpExtension | undefined;
  /** Routes that hold no data (the console's page and assets): asked before the bearer check. */
  open: HttpExtension | undefined;
  readiness: Readiness | undefined;
}): HttpReceiver {
  const { handler, checkAuth, metrics, refusals, budget, registry, logger, maxRequestBytes, requestTimeoutMs, metricsAuth, tls, extension, open, readiness } = deps;
  let closing = false;

  function send(res: ServerResponse, statusCode: number, contentType: string, body: Buffer | string, headers: Record<string, string> = {}): void {
    if (closing) headers.connection = 'close';
    res.writeHead(statusCode, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), ...headers });
    res.end(body);
  }

  function sendStatus(res: ServerResponse, statusCode: number, message: string, format: BodyFormat, headers: Record<string, string> = {}): void {
    send(res, statusCode, contentTypeOf(format), encodeStatus(HTTP_TO_CODE[statusCode] ?? CODE.INTERNAL, message, format), headers);
  }

  /** Answer a refused export; `close` when the rest of the upload is not wanted. */
  function refuse(req: IncomingMessage, res: ServerResponse, statusCode: number, reason: RefusalReason, message: string, format: BodyFormat, close = false): number {
    const headers: Record<string, string> = {};
    if (statusCode === 503) headers['retry-after'] = String(RETRY_AFTER_SECONDS);
    if (close) {
      headers.connection = 'close';
      res.once('finish', () => req.destroy());
    }
    sendStatus(res, statusCode, message, format, headers);
    refusals.refuse('http', reason, message);
    return statusCode;
  }

  /** Answers the export; resolves with the status code, or 'aborted' when the client left first. */
  async function exportLogs(req: IncomingMessage, res: ServerResponse, handler: ExportHandler): Promise<number | 'aborted'> {
    const format = formatOf(req);
    if (!format) return refuse(req, res, 415, 'unsupported', 'content type must be application/x-protobuf or application/json', 'json');
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'gzip' && encoding !== 'identity') {
      return refuse(req, res, 415, 'unsupported', `unsupported content encoding "${encoding}" (gzip or none)`, format);
    }
    // The body is received before a slot is taken: slow uploads never hold slots.
    const received = await receiveBody(req, { limit: maxRequestBytes, timeoutMs: requestTimeoutMs, budget });
    switch (received.kind) {
      case 'aborted':
        return 'aborted';
      case 'too_large':
        return refuse(req, res, 413, 'too_large', received.message, format, true);
      case 'timeout':
        return refuse(req, res, 408, 'timeout', received.message, format, true);
      case 'over_budget':
        return refuse(req, res, 503, 'receive_budget', received.message, format, true);
    }
    if (!handler.tryAcquire()) return refuse(req, res, 503, 'inflight', 'too many requests in flight, retry later', format);
    try {
      const body = await inflateBody(received.raw, maxRequestBytes, encoding === 'gzip');
      if (body.kind === 'too_large') return refuse(req, res, 413, 'too_large', body.message, format);
      if (body.kind !== 'ok') return refuse(req, res, 400, 'malformed', body.message, format);
      let decoded: DecodedExport;
      try {
        decoded = format === 'json' ? jsonExport(decodeExportRequestJson(body.body.toString('utf8'))) : inspectExport(body.body);
      } catch (error) {
        if (!(error instanceof OtlpDecodeError)) throw error;
        return refuse(req, res, 400, 'malformed', error.message, format);
      }
      const outcome = await handler.handle(decoded, 'http');
      if (outcome.kind === 'retryable') {
        sendStatus(res, 503, outcome.message, format, { 'retry-after': String(outcome.retryAfterSeconds) });
        return 503;
      }
      send(res, 200, contentTypeOf(format), encodeExportResponse(outcome, format));
      return 200;
    } finally {
      handler.release();
    }
  }

  /** /healthz is always open; /metrics needs the token under ANOMALOG_METRICS_AUTH; /readyz shows its checks only with the token. */
  async function opsRoute(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'application/json', JSON.stringify({ code: CODE.UNIMPLEMENTED, message: 'use GET' }), { allow: 'GET, HEAD' });
    } else if (path === '/healthz') {
      send(res, 200, 'application/json', JSON.stringify({ status: 'ok' }));
    } else if (path === '/readyz') {
      const result = readiness
        ? await readiness.check().catch((error: unknown) => ({ ready: false, checks: { readiness: String(error) } }))
        : { ready: true, checks: {} };
      const ready = result.ready && !closing;
      // The checks name stores and their errors: for operators, not for anyone who can reach the port.
      const body = checkAuth(req.headers.authorization) ? { ...result, ready } : { ready };
      send(res, ready ? 200 : 503, 'application/json', JSON.stringify(body));
    } else if (metricsAuth && !checkAuth(req.headers.authorization)) {
      sendStatus(res, 401, 'missing or invalid bearer token', 'json', { 'www-authenticate': 'Bearer' });
      refusals.refuse('http', 'unauthenticated', path);
    } else {
      send(res, 200, registry.contentType, await registry.metrics());
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://anomalog');
    const path = url.pathname;
    if (OPEN_ROUTES.has(path)) {
      await opsRoute(req, res, path);
      return;
    }
    if (open && (await open.handle(req, res, url))) return;
    const format = formatOf(req) ?? 'json';
    if (!checkAuth(req.headers.authorization)) {
      sendStatus(res, 401, 'missing or invalid bearer token', format, { 'www-authenticate': 'Bearer' });
      refusals.refuse('http', 'unauthenticated', path);
      return;
    }
    if (path === '/v1/logs' && handler) {
      if (req.method !== 'POST') {
        sendStatus(res, 405, 'use POST', format, { allow: 'POST' });
        return;
      }
      const started = process.hrtime.bigint();
      const statusCode = await exportLogs(req, res, handler);
      if (statusCode === 'aborted') logger.debug({ transport: 'http' }, 'client went away before its request body was complete');
      metrics.duration.observe({ transport: 'http', code: String(statusCode) }, Number(process.hrtime.bigint() - started) / 1e9);
      return;
    }
    if (extension && (await extension.handle(req, res, url))) return;
    sendStatus(res, 404, `no route for ${path}`, format);
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    route(req, res).catch((error: unknown) => {
      logger.error({ err: error, url: req.url, method: req.method }, 'HTTP request failed unexpectedly');
      if (!res.headersSent) sendStatus(res, 500, 'internal error', formatOf(req) ?? 'json');
      else res.destroy();
    });
  };
  const headersTimeout = Math.min(HEADERS_TIMEOUT_MS, requestTimeoutMs);
  const limits = {
    headersTimeout,
    requestTimeout: headersTimeout + requestTimeoutMs + NODE_TIMEOUT_MARGIN_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    connectionsCheckingInterval: CHECK_INTERVAL_MS,
  };
  const server: Server = tls ? createHttps({ cert: tls.cert, key: tls.key, ...limits }, onRequest) : createHttp(limits, onRequest);

  return {
    listen(host, port) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address();
          resolve(typeof address === 'object' && address ? address.port : port);
        });
      });
    },
    close(graceMs) {
      closing = true;
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          logger.warn('HTTP requests still running after the grace period; closing their connections');
          server.closeAllConnections();
        }, graceMs);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        // Idle keep-alive connections would hold close() open; busy ones close after their answer.
        server.closeIdleConnections();
      });
    },
  };
}
