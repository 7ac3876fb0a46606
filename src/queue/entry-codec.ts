/**
 * The data of one stream entry: a batch of one shard's records, in one of two
 * formats told apart by the first byte.
 *
 * Format 2 (what receivers write): byte 2, the export's arrival time (ms,
 * float64 little-endian), then an OTLP/protobuf ExportLogsServiceRequest made
 * of the shard's ResourceLogs exactly as they arrived (see
 * otlp/resource-logs-wire.ts). The worker maps it as an embedded receiver maps
 * an export, so the receiver never encodes records again.
 *
 * Format 1 (written by earlier versions, still read; the embedded dead letters
 * keep their entries in it as text): JSON of tuples, `[1, services, resources,
 * scopes, rows]`, with per-batch tables for the values entries share.
 */
import { LEVELS, isLevel, type Attributes, type LogEntry } from '../log-entry.js';
import { mapWire } from '../otlp/map-wire.js';

const JSON_FORMAT = 1;
const OTLP_FORMAT = 2;
/** The format byte and the arrival time. */
const OTLP_HEADER_BYTES = 9;
/** A format-1 entry is a JSON array. */
const JSON_START = '['.charCodeAt(0);

type Row = [time: number, service: number, level: number, message: string, traceId: string, spanId: string, attributes: Attributes, resource: number, scope: number];
type Encoded = [format: number, services: string[], resources: Attributes[], scopes: string[], rows: Row[]];

/** A stream entry that is not a batch this version can read. */
export class EntryCodecError extends Error {
  readonly code = 'ANOMALOG_ENTRY_CODEC';
}

/** A format-2 entry: the `resource_logs` fields given (each tag, length and message), in order, received at arrivalMs. */
export function encodeOtlpEntry(resourceLogs: readonly Uint8Array[], arrivalMs: number): Buffer {
  let length = OTLP_HEADER_BYTES;
  for (const part of resourceLogs) length += part.length;
  const out = Buffer.allocUnsafe(length);
  out[0] = OTLP_FORMAT;
  out.writeDoubleLE(arrivalMs, 1);
  let at = OTLP_HEADER_BYTES;
  for (const part of resourceLogs) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function indexer<T>(key: (value: T) => unknown = (v) => v): { table: T[]; index(value: T): number } {
  const table: T[] = [];
  const seen = new Map<unknown, number>();
  return {
    table,
    index(value) {
      const k = key(value);
      let i = seen.get(k);
      if (i === undefined) {
        i = table.push(value) - 1;
        seen.set(k, i);
      }
      return i;
    },
  };
}

/** A format-1 entry of these entries. */
export function encodeEntries(entries: readonly LogEntry[]): string {
  const services = indexer<string>();
  const scopes = indexer<string>();
  // The mapper shares one resource object per ResourceLogs: identity is enough to dedupe.
  const resources = indexer<Attributes>();
  const rows = entries.map((e): Row => [
    e.time,
    services.index(e.service),
    LEVELS.indexOf(e.level),
    e.message,
    e.traceId,
    e.spanId,
    e.attributes,
    resources.index(e.resource),
    scopes.index(e.scope),
  ]);
  const encoded: Encoded = [JSON_FORMAT, services.table, resources.table, scopes.table, rows];
  return JSON.stringify(encoded);
}

function fail(message: string, cause?: unknown): never {
  throw new EntryCodecError(`undecodable stream entry: ${message}`, cause === undefined ? undefined : { cause });
}

/** The entries of a stream entry's data, of either format (a string can only be format 1). */
export function decodeEntries(data: string | Buffer): LogEntry[] {
  if (typeof data === 'string') return decodeJsonEntries(data);
  if (data[0] === OTLP_FORMAT) return decodeOtlpEntries(data);
  if (data[0] === JSON_START) return decodeJsonEntries(data.toString('utf8'));
  return fail(data.length === 0 ? 'empty' : `format byte ${data[0]} (this version reads ${JSON_FORMAT} and ${OTLP_FORMAT})`);
}

function decodeOtlpEntries(data: Buffer): LogEntry[] {
  if (data.length < OTLP_HEADER_BYTES) fail('truncated header');
  const arrivalMs = data.readDoubleLE(1);
  if (!Number.isFinite(arrivalMs)) fail('bad arrival time');
  try {
    return mapWire(data.subarray(OTLP_HEADER_BYTES), arrivalMs);
  } catch (error) {
    return fail((error as Error).message, error);
  }
}

function decodeJsonEntries(text: string): LogEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    fail((error as Error).message, error);
  }
  if (!Array.isArray(parsed) || parsed.length !== 5) fail('not a batch');
  const [format, services, resources, scopes, rows] = parsed as Encoded;
  if (format !== JSON_FORMAT) fail(`JSON batch of format ${String(format)} (JSON batches are format ${JSON_FORMAT})`);
  if (!Array.isArray(services) || !Array.isArray(resources) || !Array.isArray(scopes) || !Array.isArray(rows)) fail('bad tables');
  return rows.map((row) => {
    if (!Array.isArray(row) || row.length !== 9) fail('bad row');
    const [time, service, level, message, traceId, spanId, attributes, resource, scope] = row;
    const levelName = LEVELS[level];
    const serviceName = services[service];
    const resourceAttrs = resources[resource];
    const scopeName = scopes[scope];
    if (typeof time !== 'number' || typeof message !== 'string' || typeof traceId !== 'string' || typeof spanId !== 'string') fail('bad field');
    if (levelName === undefined || !isLevel(levelName) || serviceName === undefined || resourceAttrs === undefined || scopeName === undefined) {
      fail('bad table reference');
    }
    if (attributes === null || typeof attributes !== 'object') fail('bad attributes');
    return { time, service: serviceName, level: levelName, message, traceId, spanId, attributes, resource: resourceAttrs, scope: scopeName };
  });
}
