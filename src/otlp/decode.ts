/** OTLP/protobuf bytes → decoded ExportLogsServiceRequest. */
import type protobuf from 'protobufjs';
import { OtlpDecodeError, type ExportLogsRequest } from './otlp-types.js';
import { loadOtlpRoot } from './proto-root.js';

let requestType: protobuf.Type | undefined;

export function exportRequestType(): protobuf.Type {
  requestType ??= loadOtlpRoot().lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
  return requestType;
}

export function decodeExportRequest(bytes: Uint8Array): ExportLogsRequest {
  try {
    return exportRequestType().decode(bytes) as unknown as ExportLogsRequest;
  } catch (error) {
    throw new OtlpDecodeError(`malformed ExportLogsServiceRequest: ${(error as Error).message}`, { cause: error });
  }
}
