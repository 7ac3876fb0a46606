/**
 * OTLP/protobuf bytes → LogEntry[], straight from the wire: mapExportRequest
 * (map-log-record.ts) without building the decoded request first, through the
 * same rules and helpers. A worker maps every stream entry so, the embedded
 * receiver every protobuf export: decoding to protobufjs's objects and mapping
 * those cost about twice as much (objects made to be dropped, a oneof getter
 * that lists an object's keys on each read).
 *
 * It reads as protobufjs reads, so the entries are equal (test/otlp/
 * map-wire.test.ts holds the two to it): the last of a singular field wins; of
 * an AnyValue's oneof, the member first set last wins (protobufjs's getter goes
 * over the keys from the last added), with its last value; strings go through
 * Buffer's UTF-8 decoding, as protobufjs's do. Each field read is checked as
 * wire.ts checks; bytes inspectExport accepted map without error.
 */
import type { AttributeValue, Attributes, LogEntry } from '../log-entry.js';
import { safeText } from '../text/safe-text.js';
import { decodeResource } from './decode.js';
import {
  MAX_ATTRIBUTES, attributeToText, bytesToHex, int64BitsToAttribute, keyValuesToAttributes, levelFromSeverityNumber, levelFromSeverityText,
  nanosBitsToMillis, recordProblem, serviceOf, setAttribute,
} from './map-log-record.js';
import {
  ANY_VALUE, ARRAY_VALUE, KEY_VALUE, KEY_VALUE_LIST, LOG_RECORD, REQUEST, RESOURCE_LOGS, SCOPE, SCOPE_LOGS,
  fail, fieldNumber, fixedAt, hasValue, maxDepth, payloadEnd, payloadStart, step, varintHigh, varintLow,
} from './wire.js';

/** Buffer's UTF-8 decoding without toString's argument handling (what protobufjs calls for strings); '' for an empty range without a call. */
const utf8 = (b: Buffer, start: number, end: number): string =>
  end > start ? (b as Buffer & { utf8Slice(start: number, end: number): string }).utf8Slice(start, end) : '';

function depthCheck(depth: number): void {
  if (depth > maxDepth()) fail(`nested deeper than ${maxDepth()}`);
}

/** The entries of an encoded request (records refused by recordProblem left out), as mapExportRequest maps its decoding. */
export function mapWire(bytes: Buffer, arrivalMs: number): LogEntry[] {
  const entries: LogEntry[] = [];
  for (let at = 0; at < bytes.length; ) {
    at = step(bytes, at, bytes.length, REQUEST);
    if (fieldNumber === 1) mapResourceLogs(bytes, payloadStart, payloadEnd, arrivalMs, entries);
  }
  return entries;
}

/** What every record of a ScopeLogs shares. */
interface Shared {
  service: string;
  resource: Attributes;
  scope: string;
  arrivalMs: number;
}

function mapResourceLogs(b: Buffer, start: number, end: number, arrivalMs: number, out: LogEntry[]): void {
  const depth = 1;
  // The last resource field names the service of every record, wherever it is: find it first.
  let resourceStart = -1;
  let resourceEnd = -1;
  for (let at = start; at < end; ) {
    at = step(b, at, end, RESOURCE_LOGS);
    if (fieldNumber === 1) {
      resourceStart = payloadStart;
      resourceEnd = payloadEnd;
    }
  }
  const attributes = resourceStart >= 0 ? decodeResource(b.subarray(resourceStart, resourceEnd)).attributes : [];
  // Capped as the mapper caps it; what the caps drop was counted by the receiver.
  const resource = keyValuesToAttributes(attributes, { count: 0 });
  const service = serviceOf(resource);
  for (let at = start; at < end; ) {
    at = step(b, at, end, RESOURCE_LOGS);
    if (fieldNumber === 2) mapScopeLogs(b, payloadStart, payloadEnd, depth + 1, { service, resource, scope: '', arrivalMs }, out);
  }
}

function mapScopeLogs(b: Buffer, start: number, end: number, depth: number, shared: Shared, out: LogEntry[]): void {
  depthCheck(depth);
  let scopeStart = -1;
  let scopeEnd = -1;
  for (let at = start; at < end; ) {
    at = step(b, at, end, SCOPE_LOGS);
    if (fieldNumber === 1) {
      scopeStart = payloadStart;
      scopeEnd = payloadEnd;
    }
  }
  let scope = '';
  for (let at = scopeStart; at < scopeEnd; ) {
    at = step(b, at, scopeEnd, SCOPE);
    if (fieldNumber === 1) scope = utf8(b, payloadStart, payloadEnd);
  }
  const withScope = { ...shared, scope: safeText(scope) };
  for (let at = start; at < end; ) {
    at = step(b, at, end, SCOPE_LOGS);
    if (fieldNumber === 2) mapLogRecord(b, payloadStart, payloadEnd, depth + 1, withScope, out);
  }
}

function mapLogRecord(b: Buffer, start: number, end: number, depth: number, shared: Shared, out: LogEntry[]): void {
  depthCheck(depth);
  let timeLow = 0;
  let timeHigh = 0;
  let observedLow = 0;
  let observedHigh = 0;
  let severityNumber = 0;
  let severityStart = 0;
  let severityEnd = 0;
  let bodyStart = -1;
  let bodyEnd = -1;
  let traceStart = 0;
  let traceEnd = 0;
  let spanStart = 0;
  let spanEnd = 0;
  let eventStart = 0;
  let eventEnd = 0;
  const attributes: Attributes = {};
  let attributeCount = 0;
  for (let at = start; at < end; ) {
    at = step(b, at, end, LOG_RECORD);
    switch (fieldNumber) {
      case 1:
        timeLow = b.readUInt32LE(fixedAt);
        timeHigh = b.readUInt32LE(fixedAt + 4);
        break;
      case 11:
        observedLow = b.readUInt32LE(fixedAt);
        observedHigh = b.readUInt32LE(fixedAt + 4);
        break;
      case 2:
        severityNumber = varintLow | 0;
        break;
      case 3:
        severityStart = payloadStart;
        severityEnd = payloadEnd;
        break;
      case 5:
        bodyStart = payloadStart;
        bodyEnd = payloadEnd;
        break;
      case 6:
        if (attributeCount++ < MAX_ATTRIBUTES) addAttribute(attributes, b, payloadStart, payloadEnd, depth + 1, true);
        break;
      case 9:
        traceStart = payloadStart;
        traceEnd = payloadEnd;
        break;
      case 10:
        spanStart = payloadStart;
        spanEnd = payloadEnd;
        break;
      case 12:
        eventStart = payloadStart;
        eventEnd = payloadEnd;
        break;
    }
  }
  const hasBody = bodyStart >= 0 && hasValue(b, bodyStart, bodyEnd);
  if (recordProblem(traceEnd - traceStart, spanEnd - spanStart, hasBody, eventEnd > eventStart) !== undefined) return;
  const eventName = safeText(utf8(b, eventStart, eventEnd));
  if (eventName && !('event.name' in attributes)) attributes['event.name'] = eventName;
  out.push({
    time: nanosBitsToMillis(timeLow, timeHigh) || nanosBitsToMillis(observedLow, observedHigh) || shared.arrivalMs,
    service: shared.service,
    level: levelFromSeverityNumber(severityNumber) ?? levelFromSeverityText(utf8(b, severityStart, severityEnd)) ?? 'info',
    message: hasBody ? bodyMessage(b, bodyStart, bodyEnd, depth + 1) : eventName,
    traceId: bytesToHex(b, traceStart, traceEnd),
    spanId: bytesToHex(b, spanStart, spanEnd),
    attributes,
    resource: shared.resource,
    scope: shared.scope,
  });
}

// The member of the AnyValue oneOf() read last, and where its value is.
let member = 0;
let memberStart = 0;
let memberEnd = 0;
let memberLow = 0;
let memberHigh = 0;
let memberFixedAt = 0;

/** Finds an AnyValue's member as protobufjs's getter does: the one first set last, with its last value. */
function oneOf(b: Buffer, start: number, end: number): void {
  let seen = 0;
  member = 0;
  for (let at = start; at < end; ) {
    at = step(b, at, end, ANY_VALUE);
    const f = fieldNumber;
    if (f < 1 || f > 7) continue;
    if ((seen & (1 << f)) === 0) {
      seen |= 1 << f;
      member = f;
    } else if (f !== member) continue;
    memberStart = payloadStart;
    memberEnd = payloadEnd;
    memberLow = varintLow;
    memberHigh = varintHigh;
    memberFixedAt = fixedAt;
  }
}

/** An AnyValue as anyValueToAttribute gives it: `capped` as its `drops` (lists and maps keep MAX_ATTRIBUTES entries). */
function attributeAt(b: Buffer, start: number, end: number, depth: number, capped: boolean): AttributeValue {
  depthCheck(depth);
  oneOf(b, start, end);
  switch (member) {
    case 1:
      return safeText(utf8(b, memberStart, memberEnd));
    case 2:
      return memberLow !== 0;
    case 3:
      return int64BitsToAttribute(memberLow, memberHigh);
    case 4: {
      const d = b.readDoubleLE(memberFixedAt);
      return Number.isFinite(d) ? d : String(d);
    }
    case 5: {
      const listStart = memberStart;
      const listEnd = memberEnd;
      depthCheck(depth + 1);
      const values: AttributeValue[] = [];
      for (let at = listStart; at < listEnd; ) {
        at = step(b, at, listEnd, ARRAY_VALUE);
        if (fieldNumber === 1 && (!capped || values.length < MAX_ATTRIBUTES)) values.push(attributeAt(b, payloadStart, payloadEnd, depth + 2, capped));
      }
      return values;
    }
    case 6: {
      const listStart = memberStart;
      const listEnd = memberEnd;
      depthCheck(depth + 1);
      const out: Attributes = {};
      let count = 0;
      for (let at = listStart; at < listEnd; ) {
        at = step(b, at, listEnd, KEY_VALUE_LIST);
        if (fieldNumber === 1 && (!capped || count++ < MAX_ATTRIBUTES)) addAttribute(out, b, payloadStart, payloadEnd, depth + 2, capped);
      }
      return out;
    }
    case 7:
      return b.toString('base64', memberStart, memberEnd);
    default:
      return null;
  }
}

/** Where a KeyValue's last key and last value are (-1: none). */
let keyStart = 0;
let keyEnd = 0;
let valueStart = -1;
let valueEnd = -1;

function keyValueAt(b: Buffer, start: number, end: number, depth: number): void {
  depthCheck(depth);
  keyStart = keyEnd = 0;
  valueStart = valueEnd = -1;
  for (let at = start; at < end; ) {
    at = step(b, at, end, KEY_VALUE);
    if (fieldNumber === 1) {
      keyStart = payloadStart;
      keyEnd = payloadEnd;
    } else if (fieldNumber === 2) {
      valueStart = payloadStart;
      valueEnd = payloadEnd;
    }
  }
}

/**
 * Attribute keys met before, by a hash of their bytes. The same few keys come
 * with every record: a key taken from here is neither decoded again nor looked
 * up in V8's string table again when stored under. Only plain ASCII keys
 * (which safeText leaves as they are), and a bounded number of them.
 */
const knownKeys = new Map<number, string>();
const MAX_KNOWN_KEYS = 4_096;
const MAX_KNOWN_KEY_BYTES = 64;

function keyAt(b: Buffer, start: number, end: number): string {
  const length = end - start;
  if (length > MAX_KNOWN_KEY_BYTES) return safeText(utf8(b, start, end));
  let hash = length;
  let plain = true;
  for (let i = start; i < end; i++) {
    const byte = b[i]!;
    if (byte === 0 || byte >= 0x80) plain = false;
    hash = Math.imul(hash ^ byte, 0x01000193);
  }
  const known = knownKeys.get(hash);
  if (known !== undefined && known.length === length) {
    let same = true;
    for (let i = 0; i < length && same; i++) same = known.charCodeAt(i) === b[start + i];
    if (same) return known;
  }
  const key = safeText(utf8(b, start, end));
  if (plain && knownKeys.size < MAX_KNOWN_KEYS) knownKeys.set(hash, key);
  return key;
}

/** A KeyValue into `out`, as keyValuesToAttributes adds it. */
function addAttribute(out: Attributes, b: Buffer, start: number, end: number, depth: number, capped: boolean): void {
  keyValueAt(b, start, end, depth);
  const key = keyAt(b, keyStart, keyEnd);
  setAttribute(out, key, valueStart < 0 ? null : attributeAt(b, valueStart, valueEnd, depth + 1, capped));
}

/** The text a body (an AnyValue with a value) stands for, as bodyToMessage says: a map's `message` or `msg`, else the whole value. */
function bodyMessage(b: Buffer, start: number, end: number, depth: number): string {
  oneOf(b, start, end);
  if (member === 6) {
    const listStart = memberStart;
    const listEnd = memberEnd;
    for (const name of ['message', 'msg']) {
      for (let at = listStart; at < listEnd; ) {
        at = step(b, at, listEnd, KEY_VALUE_LIST);
        if (fieldNumber !== 1) continue;
        keyValueAt(b, payloadStart, payloadEnd, depth + 2);
        if (utf8(b, keyStart, keyEnd) === name) return attributeToText(valueStart < 0 ? null : attributeAt(b, valueStart, valueEnd, depth + 3, false));
      }
    }
  }
  return attributeToText(attributeAt(b, start, end, depth, false));
}
