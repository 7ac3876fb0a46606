/**
 * Reading OTLP logs requests on the wire, as protobufjs reads them (see
 * inspect-export.ts, map-wire.ts): the schema as far as the wire is concerned, and one
 * checked step over a field. Stricter than protobufjs where
 * protobufjs would read garbage on: a known field in another wire type, a tag
 * or length over 32 bits, a 32-bit varint of 6 to 9 bytes, groups — refused
 * with OtlpDecodeError.
 */
import protobuf from 'protobufjs';
import { OtlpDecodeError } from './otlp-types.js';

/** How protobufjs reads a field, which sets the wire type and the varint length it takes. */
export const Kind = {
  /** uint32, int32, enum, bool: read as a 32-bit varint (1–5 bytes, or 10 for a negative int32). */
  Varint32: 0,
  /** int64: a varint of up to 10 bytes. */
  Varint64: 1,
  Fixed64: 2,
  Fixed32: 3,
  /** string or bytes. */
  Bytes: 4,
  Message: 5,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

const WIRE_TYPE: Record<Kind, number> = { [Kind.Varint32]: 0, [Kind.Varint64]: 0, [Kind.Fixed64]: 1, [Kind.Fixed32]: 5, [Kind.Bytes]: 2, [Kind.Message]: 2 };

interface Field {
  kind: Kind;
  type?: MessageType;
}
export interface MessageType {
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
export const REQUEST = messageType('ExportLogsServiceRequest');
export const RESOURCE_LOGS = messageType('ResourceLogs');
export const RESOURCE = messageType('Resource');
const ENTITY_REF = messageType('EntityRef');
export const SCOPE_LOGS = messageType('ScopeLogs');
export const SCOPE = messageType('InstrumentationScope');
export const LOG_RECORD = messageType('LogRecord');
export const KEY_VALUE = messageType('KeyValue');
export const ANY_VALUE = messageType('AnyValue');
export const ARRAY_VALUE = messageType('ArrayValue');
export const KEY_VALUE_LIST = messageType('KeyValueList');
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

export const ARRAY_FIELD = 5;
export const KVLIST_FIELD = 6;

export function fail(message: string): never {
  throw new OtlpDecodeError(`malformed ExportLogsServiceRequest: ${message}`);
}

// What step() read last; module state rather than a returned object, so walking allocates nothing.
export let fieldNumber = 0;
/** A length-delimited field's payload. */
export let payloadStart = 0;
export let payloadEnd = 0;
/** Where a fixed-size field's value starts. */
export let fixedAt = 0;
/** A varint field's low and high 32 bits (unsigned), as protobufjs reads them: uint32() gives the low ones. */
export let varintLow = 0;
export let varintHigh = 0;
let u32 = 0;

/** A tag or a length, as protobufjs's uint32() takes it: at most 5 bytes and under 2^32 (longer or larger is refused). */
function readUint32(b: Uint8Array, at: number, end: number): number {
  if (at < end && b[at]! < 0x80) {
    u32 = b[at]!;
    return at + 1;
  }
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

/** Reads a varint of at most 10 bytes into varintLow/varintHigh (as protobufjs's LongBits); returns the position after it, its byte count in u32. */
function readVarint(b: Uint8Array, at: number, end: number): number {
  let low = 0;
  let high = 0;
  for (let i = 0; i < 10; i++) {
    if (at + i >= end) fail('truncated varint');
    const byte = b[at + i]!;
    const bits = byte & 0x7f;
    if (i < 4) low |= bits << (7 * i);
    else if (i === 4) {
      low |= bits << 28;
      high |= bits >> 4;
    } else high |= bits << (7 * (i - 5) + 3);
    if (byte < 0x80) {
      varintLow = low >>> 0;
      varintHigh = high >>> 0;
      u32 = i + 1;
      return at + i + 1;
    }
  }
  return fail('varint over 10 bytes');
}

/**
 * Reads one field of `type` at `at` (message ending at `end`): checks its tag,
 * its wire type against the schema and its bounds, sets fieldNumber and where
 * its value is (payloadStart/payloadEnd, fixedAt, varintLow/varintHigh), and
 * returns the position after it.
 */
export function step(b: Uint8Array, at: number, end: number, type: MessageType): number {
  at = readUint32(b, at, end);
  const tag = u32;
  const wireType = tag & 7;
  fieldNumber = tag >>> 3;
  const field = type.fields[fieldNumber];
  if (field !== undefined && wireType !== WIRE_TYPE[field.kind]) fail(`field ${fieldNumber} of ${type.name} in wire type ${wireType}`);
  switch (wireType) {
    case 0:
      at = readVarint(b, at, end);
      // protobufjs reads a 32-bit varint's first 5 bytes, then steps over 5 more without looking.
      if (field?.kind === Kind.Varint32 && u32 > 5 && u32 !== 10) fail(`field ${fieldNumber} of ${type.name}: a 32-bit varint of ${u32} bytes`);
      return at;
    case 1:
      if (at + 8 > end) fail(`field ${fieldNumber} of ${type.name} runs past its message`);
      fixedAt = at;
      return at + 8;
    case 2:
      at = readUint32(b, at, end);
      if (at + u32 > end) fail(`field ${fieldNumber} of ${type.name} runs past its message`);
      payloadStart = at;
      payloadEnd = at + u32;
      return payloadEnd;
    case 5:
      if (at + 4 > end) fail(`field ${fieldNumber} of ${type.name} runs past its message`);
      fixedAt = at;
      return at + 4;
    default:
      return fail(`wire type ${wireType} (field ${fieldNumber} of ${type.name})`);
  }
}

/** Whether an AnyValue (already checked) has a value set: any field of its oneof present. */
export function hasValue(b: Buffer, start: number, end: number): boolean {
  for (let at = start; at < end; ) {
    at = step(b, at, end, ANY_VALUE);
    if (fieldNumber >= 1 && fieldNumber <= 7) return true;
  }
  return false;
}

/** protobufjs refuses messages nested deeper than this (Reader.recursionLimit; the request is depth 0). */
export const maxDepth = (): number => protobuf.Reader.recursionLimit;

