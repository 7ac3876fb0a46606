/** The benchmark's OTLP request: 1,000 records, ~150-byte bodies, 5 attributes, 20 services. */
import { loadOtlpRoot } from '../src/otlp/proto-root.js';

export const RECORDS_PER_REQUEST = 1_000;
const SERVICES = 20;
const PER_SERVICE = RECORDS_PER_REQUEST / SERVICES;

const TEMPLATES = [
  (i: number) => `GET /api/v1/orders/${i} completed with status 200 in ${i % 997} ms for customer c-${(i * 7919) % 100000} via gateway edge-${i % 12} region eu-west-1`,
  (i: number) => `payment authorization for order ${i} declined by issuer: insufficient funds (code 51) after ${i % 5} retries, card ending ${1000 + (i % 9000)}`,
  (i: number) => `cache miss for key session:${(i * 104729).toString(16)} in shard ${i % 64}; loading from postgres primary took ${i % 250} ms, pool size 20`,
];

/** Encoded ExportLogsServiceRequest; `seed` varies the contents between requests. */
export function buildBenchRequest(seed: number): Buffer {
  const type = loadOtlpRoot().lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
  const now = BigInt(Date.now()) * 1_000_000n;
  const resourceLogs = Array.from({ length: SERVICES }, (_s, s) => ({
    resource: {
      attributes: [
        { key: 'service.name', value: { stringValue: `service-${s}` } },
        { key: 'host.name', value: { stringValue: `node-${s % 4}` } },
      ],
    },
    scopeLogs: [
      {
        scope: { name: 'bench.logger', version: '1.0.0' },
        logRecords: Array.from({ length: PER_SERVICE }, (_r, r) => {
          const i = seed * RECORDS_PER_REQUEST + s * PER_SERVICE + r;
          return {
            timeUnixNano: String(now + BigInt(i)),
            observedTimeUnixNano: String(now + BigInt(i)),
            severityNumber: i % 10 === 0 ? 17 : 9,
            severityText: i % 10 === 0 ? 'ERROR' : 'INFO',
            body: { stringValue: TEMPLATES[i % TEMPLATES.length]!(i) },
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
