/** A real OpenTelemetry JS SDK logger provider exporting to a receiver over one of the three encodings. */
import { Metadata } from '@grpc/grpc-js';
import { OTLPLogExporter as GrpcExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as JsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter } from '@opentelemetry/sdk-logs';

export type SdkEncoding = 'grpc' | 'http/protobuf' | 'http/json';

export function createSdkExporter(
  encoding: SdkEncoding,
  target: { grpcUrl: string; httpUrl: string },
  options: { token?: string; gzip?: boolean; timeoutMillis?: number } = {},
): LogRecordExporter {
  const compression = options.gzip ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE;
  const timeoutMillis = options.timeoutMillis ?? 10_000;
  if (encoding === 'grpc') {
    const metadata = new Metadata();
    if (options.token) metadata.set('authorization', `Bearer ${options.token}`);
    return new GrpcExporter({ url: target.grpcUrl, metadata, compression, timeoutMillis });
  }
  const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  const config = { url: `${target.httpUrl}/v1/logs`, headers, compression, timeoutMillis };
  return encoding === 'http/json' ? new JsonExporter(config) : new ProtoExporter(config);
}

/** A provider whose records are exported one by one; call forceFlush() before asserting. */
export function createSdkProvider(exporter: LogRecordExporter, resource: Record<string, string> = { 'service.name': 'checkout' }): LoggerProvider {
  return new LoggerProvider({
    resource: resourceFromAttributes(resource),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
}
