/** Raw OTLP clients for tests that need exact bytes, statuses and trailers. */
import { gzipSync } from 'node:zlib';
import { Client, Metadata, credentials, type ServiceError } from '@grpc/grpc-js';
import { loadOtlpRoot } from '../../src/otlp/proto-root.js';

const EXPORT_PATH = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';
const identity = (b: Buffer): Buffer => b;

/** Encode an ExportLogsServiceRequest given in protobufjs's object form (camelCase; bytes as Buffers). */
export function encodeRequest(request: Record<string, unknown>): Buffer {
  const type = loadOtlpRoot().lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
  return Buffer.from(type.encode(type.fromObject(request)).finish());
}

/** A request with `count` simple records from one service. */
export function simpleRequest(count: number, service = 'checkout', message = 'order placed'): Record<string, unknown> {
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeLogs: [{ scope: { name: 'test' }, logRecords: Array.from({ length: count }, (_v, i) => ({ severityNumber: 9, body: { stringValue: `${message} ${i}` } })) }],
      },
    ],
  };
}

export interface GrpcAnswer {
  error: ServiceError | undefined;
  response: Buffer | undefined;
}

export function grpcExport(port: number, body: Buffer, options: { token?: string; gzip?: boolean; ca?: Buffer } = {}): Promise<GrpcAnswer> {
  return grpcUnary(port, EXPORT_PATH, body, options);
}

/** One unary call with raw bytes in and out (any method path). */
export function grpcUnary(port: number, path: string, body: Buffer, options: { token?: string; gzip?: boolean; ca?: Buffer } = {}): Promise<GrpcAnswer> {
  const channelCredentials = options.ca ? credentials.createSsl(options.ca) : credentials.createInsecure();
  const client = new Client(`127.0.0.1:${port}`, channelCredentials, {
    'grpc.max_send_message_length': -1,
    // Test certificates name localhost; naming the IP in SNI is deprecated.
    ...(options.ca ? { 'grpc.ssl_target_name_override': 'localhost' } : {}),
    ...(options.gzip ? { 'grpc.default_compression_algorithm': 2 } : {}),
  });
  const metadata = new Metadata();
  if (options.token) metadata.set('authorization', `Bearer ${options.token}`);
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, identity, identity, body, metadata, (error, response) => {
      client.close();
      resolve({ error: error ?? undefined, response: response ?? undefined });
    });
  });
}

export function decodeExportResponse(bytes: Buffer): { partialSuccess?: { rejectedLogRecords: number; errorMessage: string } } {
  const type = loadOtlpRoot().lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse');
  return type.toObject(type.decode(bytes), { longs: Number });
}

export function decodeStatus(bytes: Buffer): { code: number; message: string; details?: { type_url: string; value: Buffer }[] } {
  const type = loadOtlpRoot().lookupType('google.rpc.Status');
  return type.toObject(type.decode(bytes)) as never;
}

export function postLogs(
  httpUrl: string,
  body: Buffer | string,
  headers: Record<string, string> = { 'content-type': 'application/x-protobuf' },
  options: { gzip?: boolean; method?: string; path?: string } = {},
): Promise<Response> {
  const payload = options.gzip ? gzipSync(body) : Buffer.from(body);
  const allHeaders = options.gzip ? { ...headers, 'content-encoding': 'gzip' } : headers;
  const method = options.method ?? 'POST';
  return fetch(`${httpUrl}${options.path ?? '/v1/logs'}`, { method, headers: allHeaders, ...(method === 'GET' ? {} : { body: payload }) });
}
