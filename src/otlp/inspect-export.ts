/**
 * An OTLP/protobuf ExportLogsServiceRequest read on the wire, without
 * decoding it: what the receiver in production needs to answer for an export
 * whose bytes it passes on (see accepted-export.ts).
 *
 * It checks that the request is well-formed all the way down, by the OTLP
 * schema, so that whatever it accepts the worker's decoder (protobufjs) reads:
 * every length and fixed-size value inside its message, every known field in
 * its own wire type, nesting within protobufjs's recursion limit. It is
 * stricter than protobufjs where protobufjs would read garbage on: a known
 * field in another wire type, a tag or length over 32 bits, a 32-bit varint of
 * 6 to 9 bytes, groups. Those are refused as malformed.
 *
 * It learns what summariseExport learns from a decoded request: each
 * ResourceLogs's bytes and service, each record usable or why not (ids'
 * lengths, body, event name: the last occurrence of a field wins, as in
 * protobufjs), and the attributes the caps drop. Only the resource, and a
 * record with more attributes than the cap or with lists or maps among them,
 * are decoded to learn that; everything else is only walked.
 */
import protobuf from 'protobufjs';
import type { DecodedExport, ExportSummary, ResourceShare } from './accepted-export.js';
import { MAX_ATTRIBUTES, countDroppedAttributes, keyValuesToAttributes, recordProblem, rejectedMessage, rejectionOf, serviceOf, type DropCount } from './map-log-record.js';
import { OtlpDecodeError, type OtlpKeyValue, type OtlpLogRecord } from './otlp-types.js';
import { loadOtlpRoot } from './proto-root.js';

/** How protobufjs reads a field, which sets the wire type and the varint length it takes. */
const enum Kind {
  /** uint32, int32, enum, bool: read as a 32-bit varint (1–5 bytes, or 10 for a negative int32). */
  Varint32,
  /** int64: a varint of up to 10 bytes. */
  Varint64,
  Fixed64,
  Fixed32,
  /** string or bytes. */
  Bytes,
  Message,
}

const WIRE_TYPE: Record<Kind, number> = { [Kind.Varint32]: 0, [Kind.Varint64]: 0, [Kind.Fixed64]: 1, [Kind.Fixed32]: 5, [Kind.Bytes]: 2, [Kind.Message]: 2 };

interface Field {
  kind: Kind;
  type?: MessageType;
}
interface MessageType {
  name: string;
  /** By field number. */
  fields: Array<Field | undefined>;
}

function messageType(name: string): MessageType {
  return { name, fields: [] };
}
function define(type: MessageType, fields: Array<[number, Kind, MessageType?]>): void {
  for (const [number, kind, of] of fields) type.fields[number] = of ? { kind, type: of } : { kind };
}

// The OTLP logs schema (proto/opentelemetry/proto/...), as far as the wire is concerned.
const REQUEST = messageType('ExportLogsServiceRequest');
const RESOURCE_LOGS = messageType('ResourceLogs');
const RESOURCE = messageType('Resource');
const ENTITY_REF = messageType('EntityRef');
const SCOPE_LOGS = messageType('ScopeLogs');
const SCOPE = messageType('InstrumentationScope');
const LOG_RECORD = messageType('LogRecord');
const KEY_VALUE = messageType('KeyValue');
const ANY_VALUE = messageType('AnyValue');
const ARRAY_VALUE = messageType('ArrayValue');
const KEY_VALUE_LIST = messageType('KeyValueList');
define(REQUEST, [[1, Kind.Message, RESOURCE_LOGS]]);
define(RESOURCE_LOGS, [[1, Kind.Message, RESOURCE], [2, Kind.Message, SCOPE_LOGS], [3, Kind.Bytes]]);
define(RESOURCE, [[1, Kind.Message, KEY_VALUE], [2, Kind.Varint32], [3, Kind.Message, ENTITY_REF]]);
define(ENTITY_REF, [[1, Kind.Bytes], [2, Kind.Bytes], [3, Kind.Bytes], [4, Kind.Bytes]]);
define(SCOPE_LOGS, [[1, Kind.Message, SCOPE], [2, Kind.Message, LOG_RECORD], [3, Kind.Bytes]]);
define(SCOPE, [[1, Kind.Bytes], [2, Kind.Bytes], [3, Kind.Message, KEY_VALUE], [4, Kind.Varint32]]);
define(LOG_RECORD, [
  [1, Kind.Fixed64], [11, Kind.Fixed64], [2, Kind.Varint32], [3, Kind.Bytes], [5, Kind.Message, ANY_VALUE], [6, Kind.Message, KEY_VALUE],
  [7, Kind.Varint32], [8, Kind.Fixed32], [9, Kind.Bytes], [10, Kind.Bytes], [12, Kind.Bytes],
]);
define(KEY_VALUE, [[1, Kind.Bytes], [2, Kind.Message, ANY_VALUE]]);
define(ANY_VALUE, [
  [1, Kind.Bytes], [2, Kind.Varint32], [3, Kind.Varint64], [4, Kind.Fixed64], [5, Kind.Message, ARRAY_VALUE], [6, Kind.Message, KEY_VALUE_LIST], [7, Kind.Bytes],
]);
define(ARRAY_VALUE, [[1, Kind.Message, ANY_VALUE]]);
define(KEY_VALUE_LIST, [[1, Kind.Message, KEY_VALUE]]);

const ARRAY_FIELD = 5;
const KVLIST_FIELD = 6;

function fail(message: string): never {
  throw new OtlpDecodeError(`malformed ExportLogsServiceRequest: ${message}`);
}

// What step() read last; module state rather than a returned object, so walking allocates nothing.
let fieldNumber = 0;
let payloadStart = 0;
let payloadEnd = 0;
let u32 = 0;

/** A tag or a length, as protobufjs's uint32() takes it: at most 5 bytes and under 2^32 (longer or larger is refused). */
function readUint32(b: Uint8Array, at: number, end: number): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 5; i++, at++) {
    if (at >= end) fail('truncated varint');
    const byte = b[at]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      if (value > 0xffffffff) fail('tag or length over 32 bits');
      u32 = value;
      return at + 1;
    }
    scale *= 128;
  }
  return fail('tag or length varint over 5 bytes');
}

/** Skips a varint of at most 10 bytes; returns the position after it and its byte count in u32. */
function skipVarint(b: Uint8Array, at: number, end: number): number {
  for (let i = 0; i < 10; i++) {
    if (at + i >= end) fail('truncated varint');
    if (b[at + i]! < 0x80) {
      u32 = i + 1;
      return at + i + 1;
    }
  }
  return fail('varint over 10 bytes');
}

/**
 * Reads one field of `type` at `at` (message ending at `end`): checks its tag,
 * its wire type against the schema and its bounds, sets fieldNumber (and, when
 * length-delimited, payloadStart/payloadEnd), and returns the position after it.
 */
function step(b: Uint8Array, at: number, end: number, type: MessageType): number {
  at = readUint32(b, at, end);
  const tag = u32;
  const wireType = tag % 8;
  fieldNumber = Math.floor(tag / 8);
  const field = type.fields[fieldNumber];
  if (field !== undefined && wireType !== WIRE_TYPE[field.kind]) fail(`field ${fieldNumber} of ${type.name} in wire type ${wireType}`);
  switch (wireType) {
    case 0:
      at = skipVarint(b, at, end);
      // protobufjs reads a 32-bit varint's first 5 bytes, then steps over 5 more without looking.
      if (field?.kind === Kind.Varint32 && u32 > 5 && u32 !== 10) fail(`field ${fieldNumber} of ${type.name}: a 32-bit varint of ${u32} bytes`);
      return at;
    case 1:
      if (at + 8 > end) fail(`field ${fieldNumber} of ${type.name} runs past its message`);
      return at + 8;
    case 2:
      at = readUint32(b, at, end);
      if (at + u32 > end) fail(`field ${fieldNumber} of ${type.name} runs past its message`);
      payloadStart = at;
      payloadEnd = at + u32;
      return payloadEnd;
    case 5:
      if (at + 4 > end) fail(`field ${fieldNumber} of ${type.name} runs past its message`);
      return at + 4;
    default:
      return fail(`wire type ${wireType} (field ${fieldNumber} of ${type.name})`);
  }
}

/** protobufjs refuses messages nested deeper than this (Reader.recursionLimit; the request is depth 0). */
const maxDepth = (): number => protobuf.Reader.recursionLimit;

/** Checks b[start, end) as a `type` message at `depth`; true when a list or map AnyValue occurs in it. */
function check(b: Uint8Array, start: number, end: number, type: MessageType, depth: number): boolean {
  if (depth > maxDepth()) fail(`nested deeper than ${maxDepth()}`);
  let nested = false;
  for (let at = start; at < end; ) {
    at = step(b, at, end, type);
    const field = type.fields[fieldNumber];
    if (field?.kind !== Kind.Message) continue;
    if (type === ANY_VALUE && (fieldNumber === ARRAY_FIELD || fieldNumber === KVLIST_FIELD)) nested = true;
    if (check(b, payloadStart, payloadEnd, field.type!, depth + 1)) nested = true;
  }
  return nested;
}

/** Whether an AnyValue (already checked) has a value set: any field of its oneof present. */
function hasValue(b: Uint8Array, start: number, end: number): boolean {
  for (let at = start; at < end; ) {
    at = step(b, at, end, ANY_VALUE);
    if (fieldNumber >= 1 && fieldNumber <= 7) return true;
  }
  return false;
}

/** What a record's walk found that decides whether it is usable and what its attributes lose. */
const record = { problem: undefined as string | undefined, dropped: 0 };

let logRecordType: protobuf.Type | undefined;
let resourceType: protobuf.Type | undefined;

/** Checks one LogRecord at depth and fills `record`. */
function checkLogRecord(b: Uint8Array, start: number, end: number, depth: number): void {
  if (depth > maxDepth()) fail(`nested deeper than ${maxDepth()}`);
  let traceId = 0;
  let spanId = 0;
  let bodyStart = -1;
  let bodyEnd = -1;
  let eventName = false;
  let attributes = 0;
  let nested = false;
  for (let at = start; at < end; ) {
    at = step(b, at, end, LOG_RECORD);
    const s = payloadStart;
    const e = payloadEnd;
    switch (fieldNumber) {
      case 5:
        check(b, s, e, ANY_VALUE, depth + 1);
        bodyStart = s;
        bodyEnd = e;
        break;
      case 6:
        attributes++;
        if (check(b, s, e, KEY_VALUE, depth + 1)) nested = true;
        break;
      case 9:
        traceId = e - s;
        break;
      case 10:
        spanId = e - s;
        break;
      case 12:
        eventName = e > s;
        break;
    }
  }
  record.problem = recordProblem(traceId, spanId, bodyStart >= 0 && hasValue(b, bodyStart, bodyEnd), eventName);
  record.dropped = 0;
  if (record.problem === undefined && (attributes > MAX_ATTRIBUTES || nested)) {
    logRecordType ??= loadOtlpRoot().lookupType('opentelemetry.proto.logs.v1.LogRecord');
    record.dropped = countDroppedAttributes((logRecordType.decode(b.subarray(start, end)) as unknown as OtlpLogRecord).attributes);
  }
}

/** What one ResourceLogs's walk adds up. */
interface Tally {
  records: number;
  rejected: number;
  firstProblem: string | undefined;
  dropped: number;
}

function checkScopeLogs(b: Uint8Array, start: number, end: number, depth: number, tally: Tally): void {
  if (depth > maxDepth()) fail(`nested deeper than ${maxDepth()}`);
  for (let at = start; at < end; ) {
    at = step(b, at, end, SCOPE_LOGS);
    // Checking a nested message moves step()'s state: read it first.
    const field = fieldNumber;
    if (field === 1) check(b, payloadStart, payloadEnd, SCOPE, depth + 1);
    if (field !== 2) continue;
    checkLogRecord(b, payloadStart, payloadEnd, depth + 1);
    if (record.problem === undefined) {
      tally.records++;
      tally.dropped += record.dropped;
    } else {
      tally.rejected++;
      tally.firstProblem ??= record.problem;
    }
  }
}

/** Checks one ResourceLogs; its service comes from the last `resource` field, as protobufjs keeps the last. */
function checkResourceLogs(b: Uint8Array, start: number, end: number, drops: DropCount, tally: Tally): string {
  const depth = 1;
  let resourceStart = -1;
  let resourceEnd = -1;
  for (let at = start; at < end; ) {
    at = step(b, at, end, RESOURCE_LOGS);
    const s = payloadStart;
    const e = payloadEnd;
    if (fieldNumber === 1) {
      check(b, s, e, RESOURCE, depth + 1);
      resourceStart = s;
      resourceEnd = e;
    } else if (fieldNumber === 2) {
      checkScopeLogs(b, s, e, depth + 1, tally);
    }
  }
  let attributes: OtlpKeyValue[] = [];
  if (resourceStart >= 0) {
    resourceType ??= loadOtlpRoot().lookupType('opentelemetry.proto.resource.v1.Resource');
    attributes = (resourceType.decode(b.subarray(resourceStart, resourceEnd)) as unknown as { attributes: OtlpKeyValue[] }).attributes;
  }
  return serviceOf(keyValuesToAttributes(attributes, drops));
}

/**
 * A protobuf request, checked and summarised, with each ResourceLogs's own
 * bytes (its `resource_logs` field: tag, length, message) as views into
 * `bytes`. Throws OtlpDecodeError for a malformed request.
 */
export function inspectExport(bytes: Uint8Array): DecodedExport {
  const parts: Uint8Array[] = [];
  const resources: ResourceShare[] = [];
  const drops: DropCount = { count: 0 };
  let rejected = 0;
  let firstError: string | undefined;
  for (let at = 0; at < bytes.length; ) {
    const start = at;
    at = step(bytes, at, bytes.length, REQUEST);
    if (fieldNumber !== 1) continue;
    const tally: Tally = { records: 0, rejected: 0, firstProblem: undefined, dropped: 0 };
    const service = checkResourceLogs(bytes, payloadStart, payloadEnd, drops, tally);
    parts.push(bytes.subarray(start, at));
    resources.push({ service, records: tally.records });
    drops.count += tally.dropped;
    rejected += tally.rejected;
    if (tally.firstProblem !== undefined) firstError ??= rejectionOf(service, tally.firstProblem);
  }
  const summary: ExportSummary = { resources, rejected, droppedAttributes: drops.count };
  if (rejected > 0) summary.errorMessage = rejectedMessage(rejected, firstError);
  return { bytes, parts, summary };
}
