/** One OTLP/gRPC Export call of pre-encoded bytes on an open grpc-js client (the bench load clients'), the answer not decoded. */
import type { Client } from '@grpc/grpc-js';

const EXPORT_PATH = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';
const identity = (b: Buffer): Buffer => b;

export function exportEncoded(client: Client, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(EXPORT_PATH, identity, identity, body, (error) => (error ? reject(error) : resolve()));
  });
}
