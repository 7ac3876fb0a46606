/** OTLP/protobuf bytes → decoded ExportLogsServiceRequest. */
import type protobuf from 'protobufjs';
import { OtlpDecodeError, type ExportLogsRequest, type OtlpKeyValue, type OtlpLogRecord } from './otlp-types.js';
import { loadOtlpRoot } from './proto-root.js';

let requestType: protobuf.Type | undefined;
let resourceType: protobuf.Type | undefined;
let logRecordType: protobuf.Type | undefined;

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

/** A Resource message (as inspectExport found one, so well-formed): its attributes. */
export function decodeResource(bytes: Uint8Array): { attributes: OtlpKeyValue[] } {
  resourceType ??= loadOtlpRoot().lookupType('opentelemetry.proto.resource.v1.Resource');
  return resourceType.decode(bytes) as unknown as { attributes: OtlpKeyValue[] };
}

/** A LogRecord message (as inspectExport found one, so well-formed). */
export function decodeLogRecord(bytes: Uint8Array): OtlpLogRecord {
  logRecordType ??= loadOtlpRoot().lookupType('opentelemetry.proto.logs.v1.LogRecord');
  return logRecordType.decode(bytes) as unknown as OtlpLogRecord;
}
