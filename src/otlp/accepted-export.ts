/**
 * An export between the receiver and whoever takes its records. The receiver
 * accounts for an export without mapping it — each ResourceLogs's service and
 * usable records, the records refused, the attributes the caps drop: an
 * ExportSummary, from the wire for protobuf (inspect-export.ts), from the
 * decoded request for OTLP/JSON (summariseExport) — admits its services, and
 * hands it on. The embedded pipeline maps it at once (mapAccepted); the
 * production queue passes its ResourceLogs on as the bytes they came in, and a
 * worker maps them later. Mapping is deterministic, so both find the records
 * the summary counted.
 */
import type { LogEntry, Pipeline } from '../log-entry.js';
import { exportRequestType } from './decode.js';
import { countDroppedAttributes, keyValuesToAttributes, mapExportRequest, problemOf, rejectedMessage, rejectionOf, serviceOf, type DropCount } from './map-log-record.js';
import { mapWire } from './map-wire.js';
import type { ExportLogsRequest, Int64 } from './otlp-types.js';

export interface ResourceShare {
  service: string;
  /** Records of this ResourceLogs to take: its usable ones, or 0 when none go on (its service refused). */
  records: number;
}

export interface ExportSummary {
  /** resources[i] is of the request's ResourceLogs i. */
  resources: ResourceShare[];
  /** Records refused as unusable (mapping skips them), and why the first was. */
  rejected: number;
  errorMessage?: string;
  droppedAttributes: number;
  /** Usable records with neither time nor observed time: an export holding one cannot be told from a retry of itself. */
  untimed: number;
}

/** A protobuf export (its bytes, and each ResourceLogs's own `resource_logs` field in them), or an OTLP/JSON one decoded. */
export type DecodedExport = { summary: ExportSummary } & ({ bytes: Buffer; parts: Buffer[] } | { request: ExportLogsRequest });

/** Taken by the receiver: the records of each ResourceLogs whose share has records go on. */
export type AcceptedExport = DecodedExport & {
  resources: ResourceShare[];
  /** Stands for the time of records with neither time nor observed time. */
  arrivalMs: number;
};

/** Where the receiver hands accepted exports; the export is acknowledged once the promise resolves. */
export type ExportSink = (accepted: AcceptedExport) => Promise<void>;

const isZero = (value: Int64): boolean => (typeof value === 'number' ? value === 0 : value.low === 0 && value.high === 0);

/** What mapExportRequest would report for a decoded request, without building a single entry. */
export function summariseExport(request: ExportLogsRequest): ExportSummary {
  const drops: DropCount = { count: 0 };
  let rejected = 0;
  let untimed = 0;
  let firstError: string | undefined;
  const resources = request.resourceLogs.map((rl): ResourceShare => {
    const service = serviceOf(keyValuesToAttributes(rl.resource?.attributes ?? [], drops));
    let records = 0;
    for (const sl of rl.scopeLogs) {
      for (const record of sl.logRecords) {
        const problem = problemOf(record);
        if (problem) {
          rejected++;
          firstError ??= rejectionOf(service, problem);
          continue;
        }
        records++;
        if (isZero(record.timeUnixNano) && isZero(record.observedTimeUnixNano)) untimed++;
        drops.count += countDroppedAttributes(record.attributes);
      }
    }
    return { service, records };
  });
  const summary: ExportSummary = { resources, rejected, droppedAttributes: drops.count, untimed };
  if (rejected > 0) summary.errorMessage = rejectedMessage(rejected, firstError);
  return summary;
}

/** An OTLP/JSON export, decoded (see decode-json.ts) and summarised. */
export function jsonExport(request: ExportLogsRequest): DecodedExport {
  return { request, summary: summariseExport(request) };
}

/** The accepted records as entries, for a pipeline in this process. */
export function mapAccepted(accepted: AcceptedExport): LogEntry[] {
  const taken = (_value: unknown, i: number) => accepted.resources[i]!.records > 0;
  if ('request' in accepted) return mapExportRequest({ resourceLogs: accepted.request.resourceLogs.filter(taken) }, accepted.arrivalMs).entries;
  if (accepted.resources.every((r) => r.records > 0)) return mapWire(accepted.bytes, accepted.arrivalMs);
  return mapWire(Buffer.concat(accepted.parts.filter(taken)), accepted.arrivalMs);
}

/** A sink that maps accepted exports and hands the entries to `pipeline`. */
export function mappedInto(pipeline: Pipeline): ExportSink {
  return (accepted) => pipeline(mapAccepted(accepted));
}

/** ResourceLogs i as a `resource_logs` field: the bytes it came in, or (OTLP/JSON) encoded once here. */
export function resourceLogsBytes(decoded: DecodedExport, i: number): Uint8Array {
  if ('parts' in decoded) return decoded.parts[i]!;
  return exportRequestType().encode({ resourceLogs: [decoded.request.resourceLogs[i]] }).finish();
}
