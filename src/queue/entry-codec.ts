/**
 * LogEntry batches ⇄ the text stored in one stream entry. JSON of tuples with
 * per-batch tables for the values entries of one export share (service,
 * resource, scope): the resource attributes are usually the largest part of an
 * entry and are identical for every record of a ResourceLogs.
 */
import { LEVELS, isLevel, type Attributes, type LogEntry } from '../log-entry.js';

/** Bumped when the layout changes; decoders refuse versions they do not know. */
const FORMAT = 1;

type Row = [time: number, service: number, level: number, message: string, traceId: string, spanId: string, attributes: Attributes, resource: number, scope: number];
type Encoded = [format: number, services: string[], resources: Attributes[], scopes: string[], rows: Row[]];

/** A stream entry that is not a batch this version can read. */
export class EntryCodecError extends Error {
  readonly code = 'ANOMALOG_ENTRY_CODEC';
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
  const encoded: Encoded = [FORMAT, services.table, resources.table, scopes.table, rows];
  return JSON.stringify(encoded);
}

function fail(message: string): never {
  throw new EntryCodecError(`undecodable stream entry: ${message}`);
}

export function decodeEntries(text: string): LogEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new EntryCodecError(`undecodable stream entry: ${(error as Error).message}`, { cause: error });
  }
  if (!Array.isArray(parsed) || parsed.length !== 5) fail('not a batch');
  const [format, services, resources, scopes, rows] = parsed as Encoded;
  if (format !== FORMAT) fail(`format ${String(format)} (this version reads ${FORMAT})`);
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
