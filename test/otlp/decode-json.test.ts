import { describe, expect, test } from 'vitest';
import { decodeExportRequestJson } from '../../src/otlp/decode-json.js';
import { mapExportRequest } from '../../src/otlp/map-log-record.js';
import { OtlpDecodeError } from '../../src/otlp/otlp-types.js';

const map = (json: unknown) => mapExportRequest(decodeExportRequestJson(JSON.stringify(json)), 5);

describe('OTLP/JSON', () => {
  test('reads JSON as the Go collector writes it: camelCase, int64 as strings, hex ids', () => {
    const { entries } = map({
      resourceLogs: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'cart' } }] },
        scopeLogs: [{
          scope: { name: 'otelcol' },
          logRecords: [{
            timeUnixNano: '1700000000123456789',
            observedTimeUnixNano: '1700000000200000000',
            severityNumber: 17,
            severityText: 'Error',
            body: { stringValue: 'card declined' },
            attributes: [{ key: 'retries', value: { intValue: '3' } }],
            traceId: '5b8efff798038103d269b633813fc60c',
            spanId: 'eee19b7ec3c1b174',
          }],
        }],
      }],
    });
    expect(entries).toEqual([{
      time: 1700000000123, service: 'cart', level: 'error', message: 'card declined',
      traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174',
      attributes: { retries: 3 }, resource: { 'service.name': 'cart' }, scope: 'otelcol',
    }]);
  });

  test('reads 64-bit integers given as numbers (the JS exporter writes intValue so)', () => {
    const { entries } = map({
      resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: 1700000000123000000, severityNumber: 9, body: { stringValue: 'b' }, attributes: [{ key: 'n', value: { intValue: 12 } }] }] }] }],
    });
    expect(entries[0]).toMatchObject({ time: 1700000000123, level: 'info', attributes: { n: 12 }, service: 'unknown_service' });
  });

  test('reads original snake_case field names', () => {
    const { entries } = map({
      resource_logs: [{
        resource: { attributes: [{ key: 'service.name', value: { string_value: 'inventory' } }] },
        scope_logs: [{ log_records: [{ time_unix_nano: '2000000', severity_number: 13, body: { string_value: 'low stock' }, trace_id: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', span_id: '' }] }],
      }],
    });
    expect(entries[0]).toMatchObject({ service: 'inventory', time: 2, level: 'warn', message: 'low stock', traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', spanId: '' });
  });

  test('ignores unknown fields at every level', () => {
    const { entries } = map({
      futureField: 1,
      resourceLogs: [{ extra: true, scopeLogs: [{ logRecords: [{ body: { stringValue: 'ok' }, brandNew: { a: 1 } }] }] }],
    });
    expect(entries.map((e) => e.message)).toEqual(['ok']);
  });

  test('leaves a wrong-length hex id to the per-record rejection, as for protobuf', () => {
    const result = map({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ traceId: 'abcd', body: { stringValue: 'x' } }, { body: { stringValue: 'y' } }] }] }] });
    expect(result.entries).toHaveLength(1);
    expect(result.rejected).toBe(1);
  });

  test('reads bytes values as base64, unlike ids', () => {
    const { entries } = map({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { bytesValue: 'aGkh' } }] }] }] });
    expect(entries[0]!.message).toBe('aGkh');
  });

  test.each([
    ['not JSON', '{"resourceLogs": ['],
    ['a JSON array', '[]'],
    ['a bad trace id', JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ traceId: 'xyz' }] }] }] })],
    ['an odd-length span id', JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ spanId: 'abc' }] }] }] })],
    ['a non-integer timestamp', JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: 'soon' }] }] }] })],
    ['a wrongly typed field', JSON.stringify({ resourceLogs: [{ scopeLogs: 'nope' }] })],
  ])('refuses %s with a decode error', (_name, text) => {
    expect(() => decodeExportRequestJson(text)).toThrow(OtlpDecodeError);
  });
});
