/**
 * Text nobody wrote, in every string field of a request, through both decoders:
 * what comes out of the mapping holds no NUL and no unpaired surrogate (the two
 * things Postgres text and jsonb refuse); attribute collections and service.name
 * are capped.
 */
import { describe, expect, test } from 'vitest';
import type { LogEntry } from '../../src/log-entry.js';
import { decodeExportRequestJson } from '../../src/otlp/decode-json.js';
import { decodeExportRequest } from '../../src/otlp/decode.js';
import { MAX_ATTRIBUTES, MAX_SERVICE_NAME, mapExportRequest, type MapResult } from '../../src/otlp/map-log-record.js';
import { CUT_MARKER } from '../../src/text/safe-text.js';
import { encodeRequest } from '../helpers/otlp-raw.js';
import { unstorableStrings } from '../text/unstorable-text.js';

type Plain = Record<string, unknown>;
const str = (s: string): Plain => ({ stringValue: s });
const kv = (key: string, value: Plain): Plain => ({ key, value });

/** `s` as service.name, resource and record attribute keys and values at depth, scope, severity text, event name and body. */
function hostileRequest(s: string): Plain {
  const deep = { kvlistValue: { values: [kv(s, { arrayValue: { values: [str(s), { kvlistValue: { values: [kv(s, str(s))] } }] } })] } };
  return {
    resourceLogs: [{
      resource: { attributes: [kv('service.name', str(s)), kv(s, str(s)), kv('deep', deep)] },
      scopeLogs: [{
        scope: { name: s },
        logRecords: [
          { severityNumber: 17, severityText: s, eventName: s, body: str(s), attributes: [kv(s, str(s)), kv('deep', deep)] },
          { severityText: s, body: { kvlistValue: { values: [kv('message', str(s))] } } },
          { body: { kvlistValue: { values: [kv(s, str(s)), kv('list', { arrayValue: { values: [str(s), deep] } })] } } },
          { eventName: s },
        ],
      }],
    }],
  };
}

function expectSafe(result: MapResult, records: number): LogEntry[] {
  expect(result.rejected).toBe(0);
  expect(result.entries).toHaveLength(records);
  expect(unstorableStrings(result.entries)).toEqual([]);
  // What a jsonb column is given: neither escape it refuses.
  expect(JSON.stringify(result.entries)).not.toMatch(/\\u0000|\\ud[89a-f]/i);
  return result.entries;
}

/** Protobuf bytes with each occurrence of `marker` (UTF-8) replaced by `raw`, which may be invalid UTF-8 of the same length. */
function withRawBytes(request: Plain, marker: string, raw: Buffer): Buffer {
  const bytes = encodeRequest(request);
  const needle = Buffer.from(marker);
  expect(raw.length).toBe(needle.length);
  for (let at = bytes.indexOf(needle); at !== -1; at = bytes.indexOf(needle, at + needle.length)) raw.copy(bytes, at);
  return bytes;
}

const viaProtobuf = (request: Plain) => mapExportRequest(decodeExportRequest(encodeRequest(request)), 1);
const viaJson = (request: Plain) => mapExportRequest(decodeExportRequestJson(JSON.stringify(request)), 1);

describe.each([
  ['protobuf', viaProtobuf],
  ['OTLP/JSON', viaJson],
] as const)('hostile text over %s', (_name, map) => {
  test('NUL becomes U+FFFD in the message, service, scope, event name and every attribute key and value', () => {
    const entries = expectSafe(map(hostileRequest('a\u0000b')), 4);
    const first = entries[0]!;
    expect(first.message).toBe('a\ufffdb');
    expect(first.service).toBe('a\ufffdb');
    expect(first.scope).toBe('a\ufffdb');
    expect(first.level).toBe('error');
    expect(first.attributes).toMatchObject({ 'a\ufffdb': 'a\ufffdb', 'event.name': 'a\ufffdb', deep: { 'a\ufffdb': ['a\ufffdb', { 'a\ufffdb': 'a\ufffdb' }] } });
    expect(first.resource).toMatchObject({ 'service.name': 'a\ufffdb', 'a\ufffdb': 'a\ufffdb' });
    expect(entries.map((e) => e.message)).toEqual([
      'a\ufffdb',
      'a\ufffdb',
      '{"a\ufffdb":"a\ufffdb","list":["a\ufffdb",{"a\ufffdb":["a\ufffdb",{"a\ufffdb":"a\ufffdb"}]}]}',
      'a\ufffdb',
    ]);
  });

  test('keeps control and bidirectional characters as they are (Postgres stores them)', () => {
    const text = 'x\u0001\u001b[31m\u007f\u202etxt.exe\u2066\u200b\u2028y';
    const entries = expectSafe(map(hostileRequest(text)), 4);
    expect(entries[0]!.message).toBe(text);
    expect(entries[0]!.service).toBe(text);
    expect(entries[0]!.attributes[text]).toBe(text);
  });

  test('keeps a 1 MB string whole in the message and attributes, and cuts service.name', () => {
    const big = 'ab\u0000'.repeat(350_000);
    const entries = expectSafe(map(hostileRequest(big)), 4);
    const first = entries[0]!;
    expect(first.message).toHaveLength(big.length);
    expect(first.attributes['event.name']).toHaveLength(big.length);
    expect(first.service).toHaveLength(MAX_SERVICE_NAME);
    expect(first.service.endsWith(CUT_MARKER)).toBe(true);
    expect(first.service.startsWith('ab\ufffdab')).toBe(true);
    // One name everywhere: the resource the events exporter reads says the same.
    expect(first.resource['service.name']).toBe(first.service);
  });
});

describe('unpaired surrogates', () => {
  test('OTLP/JSON "\\ud800" and "\\udc00" escapes become U+FFFD; a valid pair stays', () => {
    const text = '{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc\\ud800"}}]},' +
      '"scopeLogs":[{"scope":{"name":"\\udc00"},"logRecords":[{"severityNumber":17,"eventName":"e\\ud800",' +
      '"body":{"stringValue":"boom \\ud800 \\udc00\\ud800 \\ud83d\\ude00"},' +
      '"attributes":[{"key":"k\\udfff","value":{"kvlistValue":{"values":[{"key":"\\ud800","value":{"arrayValue":{"values":[{"stringValue":"\\udbff"}]}}}]}}}]}]}]}]}';
    const [entry] = expectSafe(mapExportRequest(decodeExportRequestJson(text), 1), 1);
    expect(entry).toMatchObject({
      service: 'svc\ufffd',
      scope: '\ufffd',
      message: 'boom \ufffd \ufffd\ufffd \u{1f600}',
      attributes: { 'k\ufffd': { '\ufffd': ['\ufffd'] }, 'event.name': 'e\ufffd' },
    });
  });

  test.each([
    ['an encoded surrogate (CESU-8)', Buffer.from([0xed, 0xa0, 0x80])],
    ['an overlong NUL', Buffer.from([0xc0, 0x80, 0x41])],
    ['a stray continuation byte and 0xFF', Buffer.from([0x80, 0xff, 0x41])],
  ])('invalid UTF-8 over protobuf (%s) decodes to safe text from a Buffer and from a plain Uint8Array', (_what, raw) => {
    const bytes = withRawBytes(hostileRequest('\u00a7Z'), '\u00a7Z', raw);
    for (const input of [bytes, new Uint8Array(bytes)]) {
      const entries = expectSafe(mapExportRequest(decodeExportRequest(input), 1), 4);
      expect(entries[0]!.message).toBe(entries[0]!.service);
    }
  });
});

describe('attribute caps', () => {
  const many = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => kv(`${prefix}${i}`, str(`v${i}`)));

  function cappedRequest(): Plain {
    const nested = { kvlistValue: { values: many(300, 'n') } };
    const list = { arrayValue: { values: Array.from({ length: 200 }, (_, i) => ({ intValue: i })) } };
    return {
      resourceLogs: [{
        resource: { attributes: [kv('service.name', str('api')), ...many(199, 'r')] },
        scopeLogs: [{
          logRecords: [
            { body: str('m'), attributes: [kv('nested', nested), kv('list', list), ...many(398, 'a')] },
            { body: { kvlistValue: { values: many(300, 'b') } }, attributes: many(5, 'a') },
          ],
        }],
      }],
    };
  }

  test.each([
    ['protobuf', viaProtobuf],
    ['OTLP/JSON', viaJson],
  ] as const)('keeps the first %s… attributes per record, resource and nested list or map, and counts the rest', (_name, map) => {
    const result = map(cappedRequest());
    const [first, second] = result.entries;
    expect(Object.keys(first!.attributes)).toHaveLength(MAX_ATTRIBUTES);
    expect(Object.keys(first!.attributes).slice(0, 3)).toEqual(['nested', 'list', 'a0']);
    expect(first!.attributes.a125).toBe('v125');
    expect(first!.attributes.a126).toBeUndefined();
    expect(Object.keys(first!.attributes.nested as object)).toHaveLength(MAX_ATTRIBUTES);
    expect(first!.attributes.list).toEqual(Array.from({ length: MAX_ATTRIBUTES }, (_, i) => i));
    expect(Object.keys(first!.resource)).toHaveLength(MAX_ATTRIBUTES);
    expect(first!.service).toBe('api');
    expect(Object.keys(second!.attributes)).toHaveLength(5);
    // The body is the message, not an attribute: it is kept whole.
    expect(Object.keys(JSON.parse(second!.message) as object)).toHaveLength(300);
    // Record: 400 - 128; nested map: 300 - 128; nested list: 200 - 128; resource: 200 - 128.
    expect(result.droppedAttributes).toBe(272 + 172 + 72 + 72);
  });

  test('reports no dropped attributes for a request within the caps', () => {
    expect(viaProtobuf(hostileRequest('ok')).droppedAttributes).toBe(0);
  });

  test('maps a record with 400,000 attributes without converting the ones it drops', () => {
    const bytes = encodeRequest({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: str('m'), attributes: many(400_000, 'k') }] }] }] });
    const decoded = decodeExportRequest(bytes);
    const started = performance.now();
    const result = mapExportRequest(decoded, 1);
    // Converting all of them took 200-500 ms on the development machine; skipping them takes about 1 ms.
    expect(performance.now() - started).toBeLessThan(100);
    expect(result.droppedAttributes).toBe(400_000 - MAX_ATTRIBUTES);
  });
});
