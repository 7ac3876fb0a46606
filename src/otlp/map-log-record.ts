/**
 * Decoded OTLP request → LogEntry[]. Reads the protobufjs message directly (no
 * toObject: that doubles the decode cost). Resource-level values are computed
 * once per ResourceLogs and shared, read-only, by its entries.
 *
 * Every string taken from the request is made safe here (safeText: no NUL, no
 * unpaired surrogate), so no later stage — Postgres text and jsonb above all —
 * meets text it cannot hold. Attribute collections are capped.
 */
import { LEVELS, type AttributeValue, type Attributes, type Level, type LogEntry } from '../log-entry.js';
import { cutText, safeText } from '../text/safe-text.js';
import type { ExportLogsRequest, Int64, OtlpAnyValue, OtlpKeyValue, OtlpLogRecord } from './otlp-types.js';

export interface MapResult {
  entries: LogEntry[];
  rejected: number;
  errorMessage?: string;
  /** Attributes (record, resource, and entries of nested lists and maps in them) dropped by MAX_ATTRIBUTES. */
  droppedAttributes: number;
}

export const UNKNOWN_SERVICE = 'unknown_service';

/**
 * Attributes kept per record and per resource, and entries kept per list or map
 * nested in an attribute: the first ones, as OTel SDKs apply their attribute
 * count limit. The rest are skipped, never converted.
 */
export const MAX_ATTRIBUTES = 128;

/** service.name names a pattern library, a table column and a label: longer names are cut. */
export const MAX_SERVICE_NAME = 256;

/** What the caps dropped while one request was mapped. */
export interface DropCount {
  count: number;
}

/** Lower-case hex of bytes[start, end); '' for an empty or all-zero id (the spec's "no id"). */
export function bytesToHex(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let zero = true;
  for (let i = start; i < end && zero; i++) zero = bytes[i] === 0;
  if (zero) return '';
  // One native call and one string, rather than a string per byte.
  return (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('hex', start, end);
}

/** A signed 64-bit integer given as its low and high 32 bits, as an attribute: a number when exact, else its decimal text. */
export function int64BitsToAttribute(low: number, high: number): number | string {
  const n = (high | 0) * 4294967296 + (low >>> 0);
  return Number.isSafeInteger(n) ? n : String(BigInt.asIntN(64, (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0)));
}

function int64ToAttribute(value: Int64): number | string {
  if (typeof value !== 'number') return int64BitsToAttribute(value.low, value.high);
  return Number.isSafeInteger(value) ? value : String(value);
}

/** Nanoseconds (fixed64, given as its low and high 32 bits) → whole milliseconds; 0 stays 0 (unset). */
export function nanosBitsToMillis(low: number, high: number): number {
  return Math.floor((high >>> 0) * 4294.967296 + (low >>> 0) / 1e6);
}

/** Nanoseconds (fixed64) → whole milliseconds; 0 stays 0 (unset). */
export function nanosToMillis(value: Int64): number {
  if (typeof value === 'number') return Math.floor(value / 1e6);
  return nanosBitsToMillis(value.low, value.high);
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

/**
 * An AnyValue as an attribute value, its text made safe. With `drops`, lists
 * and maps keep MAX_ATTRIBUTES entries and count the rest there; without
 * (a body, which is the message), they are whole.
 */
export function anyValueToAttribute(v: OtlpAnyValue | null | undefined, drops?: DropCount): AttributeValue {
  if (!v) return null;
  switch (v.value) {
    case 'stringValue':
      return safeText(v.stringValue!);
    case 'boolValue':
      return v.boolValue!;
    case 'intValue':
      return int64ToAttribute(v.intValue!);
    case 'doubleValue':
      return Number.isFinite(v.doubleValue) ? v.doubleValue! : String(v.doubleValue);
    case 'arrayValue': {
      const values = v.arrayValue?.values ?? [];
      const kept = drops ? Math.min(values.length, MAX_ATTRIBUTES) : values.length;
      if (drops) drops.count += values.length - kept;
      const out: AttributeValue[] = new Array<AttributeValue>(kept);
      for (let i = 0; i < kept; i++) out[i] = anyValueToAttribute(values[i], drops);
      return out;
    }
    case 'kvlistValue':
      return keyValuesToAttributes(v.kvlistValue?.values ?? [], drops);
    case 'bytesValue':
      return Buffer.from(v.bytesValue!).toString('base64');
    default:
      return null;
  }
}

/** Key-value pairs as attributes, keys and text made safe; with `drops`, capped as anyValueToAttribute says. */
export function keyValuesToAttributes(list: OtlpKeyValue[], drops?: DropCount): Attributes {
  const out: Attributes = {};
  const kept = drops ? Math.min(list.length, MAX_ATTRIBUTES) : list.length;
  if (drops) drops.count += list.length - kept;
  for (let i = 0; i < kept; i++) {
    const kv = list[i]!;
    setAttribute(out, safeText(kv.key), anyValueToAttribute(kv.value, drops));
  }
  return out;
}

export function setAttribute(out: Attributes, key: string, value: AttributeValue): void {
  // A plain assignment to "__proto__" would replace the prototype instead of adding a key.
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

/** What keyValuesToAttributes(list, drops) adds to drops, counted without converting anything. */
export function countDroppedAttributes(list: OtlpKeyValue[]): number {
  const kept = Math.min(list.length, MAX_ATTRIBUTES);
  let dropped = list.length - kept;
  for (let i = 0; i < kept; i++) dropped += droppedWithin(list[i]!.value);
  return dropped;
}

function droppedWithin(v: OtlpAnyValue | null | undefined): number {
  if (v?.value === 'kvlistValue') return countDroppedAttributes(v.kvlistValue?.values ?? []);
  if (v?.value !== 'arrayValue') return 0;
  const values = v.arrayValue?.values ?? [];
  const kept = Math.min(values.length, MAX_ATTRIBUTES);
  let dropped = values.length - kept;
  for (let i = 0; i < kept; i++) dropped += droppedWithin(values[i]);
  return dropped;
}

/** JSON with object keys sorted, so equal values always render the same text. */
export function stableJson(value: AttributeValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(value[k]!)}`).join(',')}}`;
}

/** An attribute value as message text: a string as it is, anything else as stable JSON. */
export function attributeToText(value: AttributeValue): string {
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

/** The resource's service.name, cut to MAX_SERVICE_NAME (in the resource too, so every sink shows one name). */
export function serviceOf(resource: Attributes): string {
  const name = resource['service.name'];
  if (name === undefined || name === null || name === '') return UNKNOWN_SERVICE;
  const text = attributeToText(name);
  if (text.length <= MAX_SERVICE_NAME) return text;
  const cut = cutText(text, MAX_SERVICE_NAME);
  resource['service.name'] = cut;
  return cut;
}

/** Why a record with ids of these byte lengths, and with or without a body and an event name, cannot be used; undefined when it can. */
export function recordProblem(traceIdBytes: number, spanIdBytes: number, hasBody: boolean, hasEventName: boolean): string | undefined {
  if (traceIdBytes !== 0 && traceIdBytes !== 16) return `trace_id must be 16 bytes, got ${traceIdBytes}`;
  if (spanIdBytes !== 0 && spanIdBytes !== 8) return `span_id must be 8 bytes, got ${spanIdBytes}`;
  // Detection works on the message: a record with nothing to say is refused, not stored as ''.
  if (!hasBody && !hasEventName) return 'log record has neither body nor event_name';
  return undefined;
}

/** Why a record cannot be used, or undefined when it can. */
export function problemOf(record: OtlpLogRecord): string | undefined {
  return recordProblem(record.traceId.length, record.spanId.length, record.body?.value !== undefined, Boolean(record.eventName));
}

export function mapExportRequest(request: ExportLogsRequest, arrivalMs: number = Date.now()): MapResult {
  const entries: LogEntry[] = [];
  const drops: DropCount = { count: 0 };
  let rejected = 0;
  let firstError: string | undefined;
  for (const rl of request.resourceLogs) {
    const resource = keyValuesToAttributes(rl.resource?.attributes ?? [], drops);
    const service = serviceOf(resource);
    for (const sl of rl.scopeLogs) {
      const scope = safeText(sl.scope?.name ?? '');
      for (const record of sl.logRecords) {
        const problem = problemOf(record);
        if (problem) {
          rejected++;
          firstError ??= rejectionOf(service, problem);
          continue;
        }
        const attributes = keyValuesToAttributes(record.attributes, drops);
        const eventName = safeText(record.eventName);
        if (eventName && !('event.name' in attributes)) attributes['event.name'] = eventName;
        entries.push({
          time: nanosToMillis(record.timeUnixNano) || nanosToMillis(record.observedTimeUnixNano) || arrivalMs,
          service,
          level: levelFromSeverityNumber(record.severityNumber) ?? levelFromSeverityText(record.severityText) ?? 'info',
          message: record.body?.value === undefined ? eventName : bodyToMessage(record.body),
          traceId: bytesToHex(record.traceId),
          spanId: bytesToHex(record.spanId),
          attributes,
          resource,
          scope,
        });
      }
    }
  }
  const result: MapResult = { entries, rejected, droppedAttributes: drops.count };
  if (rejected > 0) result.errorMessage = rejectedMessage(rejected, firstError);
  return result;
}

/** How the first refused record is named in the partial_success message. */
export function rejectionOf(service: string, problem: string): string {
  return `log record of ${service}: ${problem}`;
}

/** The partial_success message for records refused as unusable. */
export function rejectedMessage(rejected: number, firstError: string | undefined): string {
  return `${rejected} log record(s) rejected; first: ${firstError}`;
}
