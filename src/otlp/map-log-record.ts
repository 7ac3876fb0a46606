/**
 * Decoded OTLP request → LogEntry[]. Reads the protobufjs message directly (no
 * toObject: that doubles the decode cost). Resource-level values are computed
 * once per ResourceLogs and shared, read-only, by its entries.
 */
import { LEVELS, type AttributeValue, type Attributes, type Level, type LogEntry } from '../log-entry.js';
import type { ExportLogsRequest, Int64, OtlpAnyValue, OtlpKeyValue, OtlpLogRecord } from './otlp-types.js';

export interface MapResult {
  entries: LogEntry[];
  rejected: number;
  errorMessage?: string;
}

export const UNKNOWN_SERVICE = 'unknown_service';

const HEX = Array.from({ length: 256 }, (_v, i) => i.toString(16).padStart(2, '0'));

/** Lower-case hex; '' for an empty or all-zero id (the spec's "no id"). */
export function bytesToHex(bytes: Uint8Array): string {
  let hex = '';
  let zero = true;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b !== 0) zero = false;
    hex += HEX[b];
  }
  return zero ? '' : hex;
}

function int64ToNumber(value: Int64): number {
  if (typeof value === 'number') return value;
  const high = value.unsigned ? value.high >>> 0 : value.high | 0;
  return high * 4294967296 + (value.low >>> 0);
}

/** Exact decimal text of a 64-bit integer too large for a double. */
function int64ToText(value: Int64): string {
  if (typeof value === 'number') return String(value);
  const bits = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  return String(value.unsigned ? bits : BigInt.asIntN(64, bits));
}

/** Nanoseconds (fixed64) → whole milliseconds; 0 stays 0 (unset). */
export function nanosToMillis(value: Int64): number {
  if (typeof value === 'number') return Math.floor(value / 1e6);
  return Math.floor((value.high >>> 0) * 4294.967296 + (value.low >>> 0) / 1e6);
}

export function levelFromSeverityNumber(n: number): Level | undefined {
  return n >= 1 && n <= 24 ? LEVELS[(n - 1) >> 2] : undefined;
}

const TEXT_LEVELS: [string, Level][] = [
  ['trace', 'trace'],
  ['debug', 'debug'],
  ['dbg', 'debug'],
  ['info', 'info'],
  ['notice', 'info'],
  ['warn', 'warn'],
  ['err', 'error'],
  ['fatal', 'fatal'],
  ['crit', 'fatal'],
  ['alert', 'fatal'],
  ['emerg', 'fatal'],
  ['panic', 'fatal'],
];

/** Common severity words and their prefixes ("WARNING", "Err", "CRITICAL"). */
export function levelFromSeverityText(text: string): Level | undefined {
  const t = text.trim().toLowerCase();
  if (t === '') return undefined;
  for (const [prefix, level] of TEXT_LEVELS) if (t.startsWith(prefix)) return level;
  return undefined;
}

export function anyValueToAttribute(v: OtlpAnyValue | null | undefined): AttributeValue {
  if (!v) return null;
  switch (v.value) {
    case 'stringValue':
      return v.stringValue!;
    case 'boolValue':
      return v.boolValue!;
    case 'intValue': {
      const n = int64ToNumber(v.intValue!);
      return Number.isSafeInteger(n) ? n : int64ToText(v.intValue!);
    }
    case 'doubleValue':
      return Number.isFinite(v.doubleValue) ? v.doubleValue! : String(v.doubleValue);
    case 'arrayValue':
      return (v.arrayValue?.values ?? []).map(anyValueToAttribute);
    case 'kvlistValue':
      return keyValuesToAttributes(v.kvlistValue?.values ?? []);
    case 'bytesValue':
      return Buffer.from(v.bytesValue!).toString('base64');
    default:
      return null;
  }
}

export function keyValuesToAttributes(list: OtlpKeyValue[]): Attributes {
  const out: Attributes = {};
  for (const kv of list) {
    const value = anyValueToAttribute(kv.value);
    // A plain assignment to "__proto__" would replace the prototype instead of adding a key.
    if (kv.key === '__proto__') Object.defineProperty(out, kv.key, { value, enumerable: true, writable: true, configurable: true });
    else out[kv.key] = value;
  }
  return out;
}

/** JSON with object keys sorted, so equal values always render the same text. */
export function stableJson(value: AttributeValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(value[k]!)}`).join(',')}}`;
}

function attributeToText(value: AttributeValue): string {
  return typeof value === 'string' ? value : stableJson(value);
}

/** The text a record's body stands for: see the mapping rules in the receiver's docs. */
export function bodyToMessage(body: OtlpAnyValue | null | undefined): string {
  if (!body || body.value === undefined) return '';
  if (body.value === 'kvlistValue') {
    const values = body.kvlistValue?.values ?? [];
    const field = values.find((kv) => kv.key === 'message') ?? values.find((kv) => kv.key === 'msg');
    if (field) return attributeToText(anyValueToAttribute(field.value));
  }
  return attributeToText(anyValueToAttribute(body));
}

/** Why a record cannot be used, or undefined when it can. */
function problemOf(record: OtlpLogRecord): string | undefined {
  const t = record.traceId.length;
  const s = record.spanId.length;
  if (t !== 0 && t !== 16) return `trace_id must be 16 bytes, got ${t}`;
  if (s !== 0 && s !== 8) return `span_id must be 8 bytes, got ${s}`;
  // Detection works on the message: a record with nothing to say is refused, not stored as ''.
  if (record.body?.value === undefined && !record.eventName) return 'log record has neither body nor event_name';
  return undefined;
}

export function mapExportRequest(request: ExportLogsRequest, arrivalMs: number = Date.now()): MapResult {
  const entries: LogEntry[] = [];
  let rejected = 0;
  let firstError: string | undefined;
  for (const rl of request.resourceLogs) {
    const resource = keyValuesToAttributes(rl.resource?.attributes ?? []);
    const name = resource['service.name'];
    const service = name === undefined || name === null || name === '' ? UNKNOWN_SERVICE : attributeToText(name);
    for (const sl of rl.scopeLogs) {
      const scope = sl.scope?.name ?? '';
      for (const record of sl.logRecords) {
        const problem = problemOf(record);
        if (problem) {
          rejected++;
          firstError ??= `log record of ${service}: ${problem}`;
          continue;
        }
        const attributes = keyValuesToAttributes(record.attributes);
        if (record.eventName && !('event.name' in attributes)) attributes['event.name'] = record.eventName;
        entries.push({
          time: nanosToMillis(record.timeUnixNano) || nanosToMillis(record.observedTimeUnixNano) || arrivalMs,
          service,
          level: levelFromSeverityNumber(record.severityNumber) ?? levelFromSeverityText(record.severityText) ?? 'info',
          message: record.body?.value === undefined ? record.eventName : bodyToMessage(record.body),
          traceId: bytesToHex(record.traceId),
          spanId: bytesToHex(record.spanId),
          attributes,
          resource,
          scope,
        });
      }
    }
  }
  const result: MapResult = { entries, rejected };
  if (rejected > 0) result.errorMessage = `${rejected} log record(s) rejected; first: ${firstError}`;
  return result;
}
