/**
 * An OTLP/protobuf ExportLogsServiceRequest read on the wire, without
 * decoding it: what the receiver in production needs to answer for an export
 * whose bytes it passes on (see accepted-export.ts).
 *
 * It checks that the request is well-formed all the way down, by the OTLP
 * schema (wire.ts), so that whatever it accepts the worker's decoder
 * (protobufjs) reads: every length and fixed-size value inside its message,
 * every known field in its own wire type, nesting within protobufjs's
 * recursion limit.
 *
 * It learns what summariseExport learns from a decoded request: each
 * ResourceLogs's bytes and service, each record usable or why not (ids'
 * lengths, body, event name: the last occurrence of a field wins, as in
 * protobufjs), and the attributes the caps drop. Only the resource, and a
 * record with more attributes than the cap or with lists or maps among them,
 * are decoded to learn that; everything else is only walked.
 */
import type { DecodedExport, ExportSummary, ResourceShare } from './accepted-export.js';
import { MAX_ATTRIBUTES, countDroppedAttributes, keyValuesToAttributes, recordProblem, rejectedMessage, rejectionOf, serviceOf, type DropCount } from './map-log-record.js';
import { decodeLogRecord, decodeResource } from './decode.js';
import {
  ANY_VALUE, ARRAY_FIELD, KEY_VALUE, KVLIST_FIELD, Kind, LOG_RECORD, REQUEST, RESOURCE, RESOURCE_LOGS, SCOPE, SCOPE_LOGS,
  fail, fieldNumber, fixedAt, hasValue, maxDepth, payloadEnd, payloadStart, step, type MessageType,
} from './wire.js';

/** Checks b[start, end) as a `type` message at `depth`; true when a list or map AnyValue occurs in it. */
function check(b: Buffer, start: number, end: number, type: MessageType, depth: number): boolean {
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

/** What a record's walk found that decides whether it is usable and what its attributes lose. */
const record = { problem: undefined as string | undefined, dropped: 0, timed: false };


/** Whether the fixed64 step() just passed (time_unix_nano, observed_time_unix_nano) is set. */
function nonZero64(b: Buffer): boolean {
  for (let i = fixedAt; i < fixedAt + 8; i++) if (b[i] !== 0) return true;
  return false;
}

/** Checks one LogRecord at depth and fills `record`. */
function checkLogRecord(b: Buffer, start: number, end: number, depth: number): void {
  if (depth > maxDepth()) fail(`nested deeper than ${maxDepth()}`);
  let traceId = 0;
  let spanId = 0;
  let bodyStart = -1;
  let bodyEnd = -1;
  let eventName = false;
  let attributes = 0;
  let nested = false;
  let time = false;
  let observed = false;
  for (let at = start; at < end; ) {
    at = step(b, at, end, LOG_RECORD);
    const s = payloadStart;
    const e = payloadEnd;
    switch (fieldNumber) {
      case 1:
        time = nonZero64(b);
        break;
      case 11:
        observed = nonZero64(b);
        break;
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
  record.timed = time || observed;
  if (record.problem === undefined && (attributes > MAX_ATTRIBUTES || nested)) {
    record.dropped = countDroppedAttributes(decodeLogRecord(b.subarray(start, end)).attributes);
  }
}

/** What one ResourceLogs's walk adds up. */
interface Tally {
  records: number;
  untimed: number;
  rejected: number;
  firstProblem: string | undefined;
  dropped: number;
}

function checkScopeLogs(b: Buffer, start: number, end: number, depth: number, tally: Tally): void {
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
      if (!record.timed) tally.untimed++;
      tally.dropped += record.dropped;
    } else {
      tally.rejected++;
      tally.firstProblem ??= record.problem;
    }
  }
}

/** Checks one ResourceLogs; its service comes from the last `resource` field, as protobufjs keeps the last. */
function checkResourceLogs(b: Buffer, start: number, end: number, drops: DropCount, tally: Tally): string {
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
  const attributes = resourceStart >= 0 ? decodeResource(b.subarray(resourceStart, resourceEnd)).attributes : [];
  return serviceOf(keyValuesToAttributes(attributes, drops));
}

/**
 * A protobuf request, checked and summarised, with each ResourceLogs's own
 * bytes (its `resource_logs` field: tag, length, message) as views into
 * `bytes`. Throws OtlpDecodeError for a malformed request.
 */
export function inspectExport(bytes: Buffer): DecodedExport {
  const parts: Buffer[] = [];
  const resources: ResourceShare[] = [];
  const drops: DropCount = { count: 0 };
  let rejected = 0;
  let untimed = 0;
  let firstError: string | undefined;
  for (let at = 0; at < bytes.length; ) {
    const start = at;
    at = step(bytes, at, bytes.length, REQUEST);
    if (fieldNumber !== 1) continue;
    const tally: Tally = { records: 0, untimed: 0, rejected: 0, firstProblem: undefined, dropped: 0 };
    const service = checkResourceLogs(bytes, payloadStart, payloadEnd, drops, tally);
    parts.push(bytes.subarray(start, at));
    resources.push({ service, records: tally.records });
    drops.count += tally.dropped;
    rejected += tally.rejected;
    untimed += tally.untimed;
    if (tally.firstProblem !== undefined) firstError ??= rejectionOf(service, tally.firstProblem);
  }
  const summary: ExportSummary = { resources, rejected, droppedAttributes: drops.count, untimed };
  if (rejected > 0) summary.errorMessage = rejectedMessage(rejected, firstError);
  return { bytes, parts, summary };
}
