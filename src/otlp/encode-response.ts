/** Encoders for what the receiver answers: ExportLogsServiceResponse and google.rpc.Status. */
import type protobuf from 'protobufjs';
import { loadOtlpRoot } from './proto-root.js';

export type BodyFormat = 'protobuf' | 'json';

export interface PartialSuccess {
  rejected: number;
  errorMessage?: string;
}

let types: { response: protobuf.Type; status: protobuf.Type; retryInfo: protobuf.Type } | undefined;

function schema(): NonNullable<typeof types> {
  if (!types) {
    const root = loadOtlpRoot();
    types = {
      response: root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse'),
      status: root.lookupType('google.rpc.Status'),
      retryInfo: root.lookupType('google.rpc.RetryInfo'),
    };
  }
  return types;
}

/** Empty (protobuf) or `{}` (JSON) on full success; partial_success set otherwise. */
export function encodeExportResponse(result: PartialSuccess, format: BodyFormat): Buffer {
  const partial =
    result.rejected > 0 ? { rejectedLogRecords: result.rejected, errorMessage: result.errorMessage ?? '' } : undefined;
  if (format === 'json') {
    const body = partial ? { partialSuccess: { ...partial, rejectedLogRecords: String(partial.rejectedLogRecords) } } : {};
    return Buffer.from(JSON.stringify(body));
  }
  if (!partial) return Buffer.alloc(0);
  const { response } = schema();
  return Buffer.from(response.encode(response.fromObject({ partialSuccess: partial })).finish());
}

function statusObject(code: number, message: string, retryAfterSeconds?: number): Record<string, unknown> {
  if (retryAfterSeconds === undefined) return { code, message };
  const { retryInfo } = schema();
  const value = retryInfo.encode(retryInfo.fromObject({ retryDelay: { seconds: retryAfterSeconds, nanos: 0 } })).finish();
  return { code, message, details: [{ type_url: 'type.googleapis.com/google.rpc.RetryInfo', value }] };
}

/** google.rpc.Status bytes (code is a gRPC status code), optionally carrying RetryInfo. */
export function encodeStatusProto(code: number, message: string, retryAfterSeconds?: number): Buffer {
  const { status } = schema();
  return Buffer.from(status.encode(status.fromObject(statusObject(code, message, retryAfterSeconds))).finish());
}

export function encodeStatus(code: number, message: string, format: BodyFormat): Buffer {
  return format === 'json' ? Buffer.from(JSON.stringify({ code, message })) : encodeStatusProto(code, message);
}
