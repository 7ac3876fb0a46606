/**
 * The decoded OTLP logs request as protobufjs presents it (camelCase fields;
 * unset scalars read their defaults, unset messages read null, 64-bit integers
 * are Long or number). Both decoders produce this shape and the mapper reads it.
 */
import type protobuf from 'protobufjs';

export type Int64 = number | protobuf.Long;

export interface OtlpAnyValue {
  /** protobufjs's oneof getter: the name of the field that is set. */
  value?: string;
  stringValue?: string;
  boolValue?: boolean;
  intValue?: Int64;
  doubleValue?: number;
  arrayValue?: { values: OtlpAnyValue[] } | null;
  kvlistValue?: { values: OtlpKeyValue[] } | null;
  bytesValue?: Uint8Array;
}

export interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue | null;
}

export interface OtlpLogRecord {
  timeUnixNano: Int64;
  observedTimeUnixNano: Int64;
  severityNumber: number;
  severityText: string;
  body?: OtlpAnyValue | null;
  attributes: OtlpKeyValue[];
  traceId: Uint8Array;
  spanId: Uint8Array;
  eventName: string;
}

export interface OtlpScopeLogs {
  scope?: { name: string } | null;
  logRecords: OtlpLogRecord[];
}

export interface OtlpResourceLogs {
  resource?: { attributes: OtlpKeyValue[] } | null;
  scopeLogs: OtlpScopeLogs[];
}

export interface ExportLogsRequest {
  resourceLogs: OtlpResourceLogs[];
}

/** A request body that is not a valid OTLP message: INVALID_ARGUMENT / 400. */
export class OtlpDecodeError extends Error {
  readonly code = 'OTLP_DECODE';
}
