/**
 * The benchmarks' OTLP requests: 1,000 records over 20 services, 5 attributes
 * per record, trace and span ids. bench:scale sends synthetic ~150-byte bodies
 * (buildBenchRequest); bench:ingest sends Loghub lines (buildLoghubRequests).
 */
import { loadOtlpRoot } from '../src/otlp/proto-root.js';
import type { LoghubRecord, LoghubSource } from './ingest-corpus.js';

export const RECORDS_PER_REQUEST = 1_000;
const SERVICES = 20;
const PER_SERVICE = RECORDS_PER_REQUEST / SERVICES;

/** What a record's body holds: the raw line with its header, the header-less message, or a kvlist with `message` and a few fields. */
export type BodyKind = 'raw' | 'message' | 'kvlist';
export const BODY_KINDS: readonly BodyKind[] = ['raw', 'message', 'kvlist'];

interface BenchRecord {
  severityNumber: number;
  severityText: string;
  body: Record<string, unknown>;
}

const TEMPLATES = [
  (i: number) => `GET /api/v1/orders/${i} completed with status 200 in ${i % 997} ms for customer c-${(i * 7919) % 100000} via gateway edge-${i % 12} region eu-west-1`,
  (i: number) => `payment authorization for order ${i} declined by issuer: insufficient funds (code 51) after ${i % 5} retries, card ending ${1000 + (i % 9000)}`,
  (i: number) => `cache miss for key session:${(i * 104729).toString(16)} in shard ${i % 64}; loading from postgres primary took ${i % 250} ms, pool size 20`,
];

/**
 * Each request's first resource carries `bench.export`, 16 digits a client
 * numbers every export by (stampExport): a collector never sends the same bytes
 * twice but to retry, and the production queue stores a retry of a stored export only once.
 */
const STAMP = Buffer.from('export-0000000000000000');
const DIGITS_AT = 'export-'.length;

/** A copy of a request from this module, numbered `n`; its retries send the same copy. */
export function stampExport(body: Buffer, n: number): Buffer {
  const at = body.indexOf(STAMP);
  if (at < 0) throw new Error('not a bench request: no export stamp');
  const copy = Buffer.from(body);
  copy.write(String(n % 1e16).padStart(16, '0'), at + DIGITS_AT, 'latin1');
  return copy;
}

/** `record(s, r)` gives the r-th record of service s; `i` numbers records over the whole run (timestamps, ids, attributes). */
function encodeRequest(seed: number, timeNs: bigint, record: (service: number, r: number, i: number) => BenchRecord): Buffer {
  const type = loadOtlpRoot().lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
  const resourceLogs = Array.from({ length: SERVICES }, (_s, s) => ({
    resource: {
      attributes: [
        { key: 'service.name', value: { stringValue: `service-${s}` } },
        { key: 'host.name', value: { stringValue: `node-${s % 4}` } },
        ...(s === 0 ? [{ key: 'bench.export', value: { stringValue: STAMP.toString('latin1') } }] : []),
      ],
    },
    scopeLogs: [
      {
        scope: { name: 'bench.logger', version: '1.0.0' },
        logRecords: Array.from({ length: PER_SERVICE }, (_r, r) => {
          const i = seed * RECORDS_PER_REQUEST + s * PER_SERVICE + r;
          return {
            timeUnixNano: String(timeNs + BigInt(i)),
            observedTimeUnixNano: String(timeNs + BigInt(i)),
            ...record(s, r, i),
            attributes: [
              { key: 'http.method', value: { stringValue: 'GET' } },
              { key: 'http.status_code', value: { intValue: 200 + (i % 3) } },
              { key: 'thread.id', value: { intValue: i % 32 } },
              { key: 'user.id', value: { stringValue: `u-${i % 5000}` } },
              { key: 'retry', value: { boolValue: i % 7 === 0 } },
            ],
            traceId: Buffer.from(`${(i + 1).toString(16).padStart(32, '0')}`, 'hex'),
            spanId: Buffer.from(`${(i + 1).toString(16).padStart(16, '0')}`, 'hex'),
          };
        }),
      },
    ],
  }));
  return Buffer.from(type.encode(type.fromObject({ resourceLogs })).finish());
}

/** Encoded ExportLogsServiceRequest with synthetic bodies; `seed` varies the contents between requests. */
export function buildBenchRequest(seed: number): Buffer {
  return encodeRequest(seed, BigInt(Date.now()) * 1_000_000n, (_s, _r, i) => ({
    severityNumber: i % 10 === 0 ? 17 : 9,
    severityText: i % 10 === 0 ? 'ERROR' : 'INFO',
    body: { stringValue: TEMPLATES[i % TEMPLATES.length]!(i) },
  }));
}

/** The line's own level where its system has one (Loghub's `Level` column), INFO otherwise. */
function severityOf(level: string | undefined): { severityNumber: number; severityText: string } {
  const l = (level ?? '').toUpperCase();
  if (/FATAL|SEVERE|ERR|FAIL/.test(l)) return { severityNumber: 17, severityText: 'ERROR' };
  if (l.startsWith('WARN')) return { severityNumber: 13, severityText: 'WARN' };
  return { severityNumber: 9, severityText: 'INFO' };
}

function bodyOf(kind: BodyKind, record: LoghubRecord, system: string): Record<string, unknown> {
  switch (kind) {
    case 'raw':
      return { stringValue: record.raw };
    case 'message':
      return { stringValue: record.content };
    case 'kvlist':
      return {
        kvlistValue: {
          values: [
            { key: 'message', value: { stringValue: record.content } },
            { key: 'level', value: { stringValue: record.fields.Level ?? 'info' } },
            { key: 'logger', value: { stringValue: record.fields.Component ?? system } },
            { key: 'system', value: { stringValue: system } },
            { key: 'line', value: { intValue: Number(record.fields.LineId ?? 0) } },
          ],
        },
      };
  }
}

/**
 * `count` requests whose bodies are `kind`. Service s logs the lines of system
 * s mod (systems), the two services of one system starting half-way apart, and
 * each request takes the next 50 lines of each service's system, so a pool of 40
 * walks through every line once per service. Deterministic for one `timeNs`.
 */
export function buildLoghubRequests(kind: BodyKind, sources: readonly LoghubSource[], count: number, timeNs: bigint): Buffer[] {
  return Array.from({ length: count }, (_v, seed) =>
    encodeRequest(seed, timeNs, (s, r) => {
      const source = sources[s % sources.length]!;
      const start = Math.floor(s / sources.length) * Math.floor(source.records.length / 2);
      const record = source.records[(start + seed * PER_SERVICE + r) % source.records.length]!;
      return { ...severityOf(record.fields.Level), body: bodyOf(kind, record, source.system) };
    }),
  );
}
