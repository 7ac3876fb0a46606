import { describe, expect, test } from 'vitest';
import { decodeExportRequest } from '../../src/otlp/decode.js';
import { mapExportRequest } from '../../src/otlp/map-log-record.js';
import { encodeRequest } from '../helpers/otlp-raw.js';

/** Round-trip through real protobuf bytes so the mapper sees what the receiver sees. */
function mapRecords(records: Record<string, unknown>[], resource: Record<string, unknown>[] = [], scope = 'lib', arrival = 1_000) {
  const bytes = encodeRequest({
    resourceLogs: [{ resource: { attributes: resource }, scopeLogs: [{ scope: { name: scope }, logRecords: records }] }],
  });
  return mapExportRequest(decodeExportRequest(bytes), arrival);
}

function one(record: Record<string, unknown>, resource?: Record<string, unknown>[]) {
  const { entries } = mapRecords([{ body: { stringValue: 'm' }, ...record }], resource);
  expect(entries).toHaveLength(1);
  return entries[0]!;
}

const kv = (key: string, value: Record<string, unknown>) => ({ key, value });

describe('timestamp', () => {
  test('uses time_unix_nano in milliseconds', () => {
    expect(one({ timeUnixNano: '1700000000123456789', observedTimeUnixNano: '1700000009000000000' }).time).toBe(1700000000123);
  });
  test('falls back to observed_time_unix_nano when time is unset', () => {
    expect(one({ observedTimeUnixNano: '1700000009000000000' }).time).toBe(1700000009000);
  });
  test('falls back to arrival time when both are unset', () => {
    expect(one({}).time).toBe(1_000);
  });
});

describe('service', () => {
  test('comes from the resource service.name', () => {
    expect(one({}, [kv('service.name', { stringValue: 'payments' })]).service).toBe('payments');
  });
  test('is unknown_service without service.name', () => {
    expect(one({}, [kv('host.name', { stringValue: 'h1' })]).service).toBe('unknown_service');
  });
  test('is unknown_service when service.name is empty', () => {
    expect(one({}, [kv('service.name', { stringValue: '' })]).service).toBe('unknown_service');
  });
});

describe('level', () => {
  test.each([
    [1, 'trace'], [4, 'trace'], [5, 'debug'], [8, 'debug'], [9, 'info'], [12, 'info'],
    [13, 'warn'], [16, 'warn'], [17, 'error'], [20, 'error'], [21, 'fatal'], [24, 'fatal'],
  ])('severity_number %i is %s', (severityNumber, level) => {
    expect(one({ severityNumber, severityText: 'ERROR' }).level).toBe(level);
  });
  test.each([
    ['WARNING', 'warn'], ['warn', 'warn'], ['Error', 'error'], ['ERR', 'error'], ['CRITICAL', 'fatal'],
    ['fatal', 'fatal'], ['DEBUG', 'debug'], ['trace', 'trace'], ['Information', 'info'], ['notice', 'info'],
  ])('severity_text %s is %s when severity_number is unset', (severityText, level) => {
    expect(one({ severityText }).level).toBe(level);
  });
  test('is info when neither number nor text says anything', () => {
    expect(one({}).level).toBe('info');
    expect(one({ severityText: 'loud' }).level).toBe('info');
  });
});

describe('message', () => {
  test('is the string body', () => {
    expect(one({ body: { stringValue: 'payment declined' } }).message).toBe('payment declined');
  });
  test('is the message field of a kvlist body', () => {
    const body = { kvlistValue: { values: [kv('level', { stringValue: 'x' }), kv('message', { stringValue: 'disk full' })] } };
    expect(one({ body }).message).toBe('disk full');
  });
  test('is the msg field of a kvlist body without message', () => {
    const body = { kvlistValue: { values: [kv('msg', { stringValue: 'conn reset' }), kv('a', { intValue: 1 })] } };
    expect(one({ body }).message).toBe('conn reset');
  });
  test('is stable JSON with sorted keys for any other kvlist body', () => {
    const a = { kvlistValue: { values: [kv('b', { intValue: 2 }), kv('a', { stringValue: 'x' })] } };
    const b = { kvlistValue: { values: [kv('a', { stringValue: 'x' }), kv('b', { intValue: 2 })] } };
    expect(one({ body: a }).message).toBe('{"a":"x","b":2}');
    expect(one({ body: b }).message).toBe('{"a":"x","b":2}');
  });
  test('renders an array body as JSON', () => {
    const body = { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 3 }, { boolValue: true }] } };
    expect(one({ body }).message).toBe('["a",3,true]');
  });
  test('renders a bytes body as base64', () => {
    expect(one({ body: { bytesValue: Buffer.from('hi!') } }).message).toBe('aGkh');
  });
  test('renders scalar bodies as text', () => {
    expect(one({ body: { intValue: 42 } }).message).toBe('42');
    expect(one({ body: { doubleValue: 1.5 } }).message).toBe('1.5');
    expect(one({ body: { boolValue: false } }).message).toBe('false');
  });
  test('is the event name for an event without body', () => {
    const { entries } = mapRecords([{ eventName: 'session.start' }]);
    expect(entries[0]!.message).toBe('session.start');
  });
});

describe('attributes, resource, scope and ids', () => {
  test('converts every AnyValue kind', () => {
    const entry = one({
      attributes: [
        kv('s', { stringValue: 'v' }),
        kv('i', { intValue: '-7' }),
        kv('big', { intValue: '9223372036854775807' }),
        kv('d', { doubleValue: 0.25 }),
        kv('b', { boolValue: true }),
        kv('arr', { arrayValue: { values: [{ intValue: 1 }, { stringValue: 'two' }] } }),
        kv('map', { kvlistValue: { values: [kv('k', { stringValue: 'v' })] } }),
        kv('bytes', { bytesValue: Buffer.from([1, 2, 3]) }),
        { key: 'empty' },
      ],
    });
    expect(entry.attributes).toEqual({
      s: 'v', i: -7, big: '9223372036854775807', d: 0.25, b: true, arr: [1, 'two'], map: { k: 'v' }, bytes: 'AQID', empty: null,
    });
  });
  test('keeps an attribute named __proto__ as an ordinary key', () => {
    const entry = one({ attributes: [kv('__proto__', { kvlistValue: { values: [kv('polluted', { boolValue: true })] } })] });
    expect(Object.keys(entry.attributes)).toEqual(['__proto__']);
    expect((entry.attributes as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.parse(JSON.stringify(entry.attributes))).toEqual(JSON.parse('{"__proto__":{"polluted":true}}'));
  });

  test('adds event_name as the event.name attribute', () => {
    expect(one({ eventName: 'e1', body: { stringValue: 'm' } }).attributes).toEqual({ 'event.name': 'e1' });
  });
  test('keeps resource attributes and the scope name', () => {
    const { entries } = mapRecords([{ body: { stringValue: 'm' } }], [kv('service.name', { stringValue: 'api' }), kv('k8s.pod.name', { stringValue: 'p-1' })], 'io.app.db');
    expect(entries[0]!.resource).toEqual({ 'service.name': 'api', 'k8s.pod.name': 'p-1' });
    expect(entries[0]!.scope).toBe('io.app.db');
  });
  test('renders trace and span ids as lower-case hex', () => {
    const entry = one({ traceId: Buffer.from('0AF7651916CD43DD8448EB211C80319C', 'hex'), spanId: Buffer.from('B7AD6B7169203331', 'hex') });
    expect(entry.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(entry.spanId).toBe('b7ad6b7169203331');
  });
  test('leaves absent and all-zero ids empty', () => {
    expect(one({}).traceId).toBe('');
    expect(one({ traceId: Buffer.alloc(16), spanId: Buffer.alloc(8) })).toMatchObject({ traceId: '', spanId: '' });
  });
});

describe('rejections', () => {
  test('rejects records with a malformed trace or span id and keeps the rest', () => {
    const result = mapRecords([
      { body: { stringValue: 'good' } },
      { traceId: Buffer.alloc(5, 1), body: { stringValue: 'bad trace' } },
      { spanId: Buffer.alloc(3, 1), body: { stringValue: 'bad span' } },
    ], [kv('service.name', { stringValue: 'api' })]);
    expect(result.entries.map((e) => e.message)).toEqual(['good']);
    expect(result.rejected).toBe(2);
    expect(result.errorMessage).toBe('2 log record(s) rejected; first: log record of api: trace_id must be 16 bytes, got 5');
  });
  test('rejects a record with neither body nor event name', () => {
    const result = mapRecords([{ body: { stringValue: 'kept' } }, { severityNumber: 17, attributes: [kv('a', { intValue: 1 })] }]);
    expect(result.entries.map((e) => e.message)).toEqual(['kept']);
    expect(result.rejected).toBe(1);
    expect(result.errorMessage).toMatch(/neither body nor event_name/);
  });

  test('reports no error message when nothing was rejected', () => {
    const result = mapRecords([{ body: { stringValue: '' } }]);
    expect(result.rejected).toBe(0);
    expect(result.errorMessage).toBeUndefined();
  });
});
