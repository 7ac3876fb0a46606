import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LEVELS, type AttributeValue, type LogEntry } from '../../src/log-entry.js';
import { jsonExport, resourceLogsBytes } from '../../src/otlp/accepted-export.js';
import { decodeExportRequestJson } from '../../src/otlp/decode-json.js';
import { decodeExportRequest } from '../../src/otlp/decode.js';
import { inspectExport } from '../../src/otlp/inspect-export.js';
import { mapExportRequest } from '../../src/otlp/map-log-record.js';
import { EntryCodecError, decodeEntries, encodeEntries, encodeOtlpEntry } from '../../src/queue/entry-codec.js';
import { shardOf } from '../../src/shard-of.js';
import { requestObject } from '../fuzz/otlp-arbitraries.js';
import { encodeRequest } from '../helpers/otlp-raw.js';
import { unstorableStrings } from '../text/unstorable-text.js';

const attribute: fc.Arbitrary<AttributeValue> = fc.letrec<{ value: AttributeValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.string().filter((k) => k !== '__proto__'), tie('value'), { maxKeys: 3 }),
  ),
})).value;

const attributes = fc.dictionary(fc.string().filter((k) => k !== '__proto__'), attribute, { maxKeys: 4 });

const logEntry: fc.Arbitrary<LogEntry> = fc.record({
  time: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  service: fc.constantFrom('checkout', 'payments', 'édition-ü', ''),
  level: fc.constantFrom(...LEVELS),
  message: fc.string({ unit: 'grapheme' }),
  traceId: fc.constantFrom('', '0af7651916cd43dd8448eb211c80319c'),
  spanId: fc.constantFrom('', 'b7ad6b7169203331'),
  attributes,
  resource: attributes,
  scope: fc.constantFrom('', 'io.opentelemetry.test'),
});

const ARRIVAL = 1_700_000_000_123;

/** The parts of an encoded request: its resource_logs fields as inspectExport cuts them. */
function partsOf(bytes: Buffer): Buffer[] {
  const inspected = inspectExport(bytes);
  if (!('parts' in inspected)) throw new Error('a protobuf export has parts');
  return inspected.parts;
}

describe('entry codec, format 2: the ResourceLogs as received', () => {
  it('decodes to the entries the receiver would have mapped, for any request and any run of its ResourceLogs', () => {
    fc.assert(fc.property(requestObject, fc.nat(), (object, pick) => {
      const bytes = encodeRequest(object);
      const parts = partsOf(bytes);
      expect(decodeEntries(encodeOtlpEntry(parts, ARRIVAL))).toEqual(mapExportRequest(decodeExportRequest(bytes), ARRIVAL).entries);
      // What a shard gets: some of the ResourceLogs, in order.
      const some = parts.filter((_p, i) => (pick >> i) & 1);
      const request = decodeExportRequest(bytes);
      const expected = mapExportRequest({ resourceLogs: request.resourceLogs.filter((_rl, i) => (pick >> i) & 1) }, ARRIVAL).entries;
      expect(decodeEntries(encodeOtlpEntry(some, ARRIVAL))).toEqual(expected);
    }), { numRuns: 200 });
  });

  it('gives records without a time the arrival time it carries', () => {
    const bytes = encodeRequest({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'no time' } }] }] }] });
    expect(decodeEntries(encodeOtlpEntry(partsOf(bytes), ARRIVAL))).toMatchObject([{ time: ARRIVAL, message: 'no time', service: 'unknown_service' }]);
  });

  it('makes odd bytes safe when it maps them: invalid UTF-8, NUL, lone surrogates from the sender', () => {
    const invalid = Buffer.from([0x6f, 0x6b, 0xed, 0xa0, 0x80, 0x00, 0xff, 0x21]); // "ok", a UTF-8-encoded lone surrogate, NUL, a stray byte, "!"
    const text = (b: Buffer) => ({ stringValue: b.toString('latin1') });
    const bytes = Buffer.from(encodeRequest({
      resourceLogs: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc-PLACEHOLDER' } }] },
        scopeLogs: [{ scope: { name: 'scope' }, logRecords: [{ body: text(Buffer.alloc(8, 0x41)), eventName: 'e', attributes: [{ key: 'k', value: { stringValue: 'PLACEHOLDERVALUE' } }] }] }],
      }],
    }));
    // Put the raw bytes where the strings were, lengths unchanged: what a sender that writes invalid UTF-8 sends.
    for (const placeholder of ['PLACEHOLDER', 'AAAAAAAA', 'PLACEHOLDERVALUE'.slice(0, 8)]) {
      const at = bytes.indexOf(placeholder);
      invalid.copy(bytes, at, 0, Math.min(invalid.length, placeholder.length));
    }
    const entries = decodeEntries(encodeOtlpEntry(partsOf(bytes), ARRIVAL));
    expect(entries).toHaveLength(1);
    expect(entries[0]!.message).toContain('\ufffd');
    expect(entries[0]!.service).toContain('\ufffd');
    expect(unstorableStrings(entries)).toEqual([]);
  });

  it('makes lone surrogates of an OTLP/JSON export safe once its ResourceLogs are encoded for the queue', () => {
    const json = '{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc-\\ud800"}}]},"scopeLogs":[{"logRecords":[' +
      '{"body":{"stringValue":"lone \\udc00 low"},"attributes":[{"key":"k\\ud800","value":{"stringValue":"v\\u0000"}}]},' +
      '{"body":{"stringValue":"a longer body past forty characters, with a lone \\ud83d surrogate"}}]}]}]}';
    const decoded = jsonExport(decodeExportRequestJson(json));
    const parts = decoded.summary.resources.map((_r, i) => resourceLogsBytes(decoded, i));
    const entries = decodeEntries(encodeOtlpEntry(parts, ARRIVAL));
    expect(entries.map((e) => e.message)).toEqual([expect.stringMatching(/^lone \ufffd+ low$/), expect.stringMatching(/lone \ufffd+ surrogate$/)]);
    expect(unstorableStrings(entries)).toEqual([]);
  });

  it('refuses data it cannot read with EntryCodecError', () => {
    const good = encodeOtlpEntry(partsOf(encodeRequest({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' } }] }] }] })), ARRIVAL);
    const bad = [Buffer.alloc(0), Buffer.from([3, 1, 2]), good.subarray(0, 5), Buffer.concat([good, Buffer.from([0x0a, 0x7f])]), Buffer.from('{"not":"a batch"}')];
    for (const data of bad) expect(() => decodeEntries(data), data.toString('hex')).toThrow(EntryCodecError);
  });
});

describe('entry codec, format 1 (earlier versions; the embedded dead letters)', () => {
  it('still reads an entry as an earlier version wrote it, as text or as bytes', () => {
    // Written by the previous release for two records of checkout sharing one resource.
    const stored = '[1,["checkout"],[{"service.name":"checkout","host.name":"node-1"}],["app"],[[1700000000000,0,4,"payment declined","0af7651916cd43dd8448eb211c80319c","b7ad6b7169203331",{"order":7},0,0],[1700000000001,0,2,"retrying","","",{},0,0]]]';
    const resource = { 'service.name': 'checkout', 'host.name': 'node-1' };
    const expected = [
      { time: 1_700_000_000_000, service: 'checkout', level: 'error', message: 'payment declined', traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', attributes: { order: 7 }, resource, scope: 'app' },
      { time: 1_700_000_000_001, service: 'checkout', level: 'info', message: 'retrying', traceId: '', spanId: '', attributes: {}, resource, scope: 'app' },
    ];
    expect(decodeEntries(stored)).toEqual(expected);
    expect(decodeEntries(Buffer.from(stored))).toEqual(expected);
  });

  it('decodes exactly the entries it encoded', () => {
    fc.assert(fc.property(fc.array(logEntry, { maxLength: 20 }), (entries) => {
      expect(decodeEntries(encodeEntries(entries))).toEqual(entries);
    }), { numRuns: 200 });
  });

  it('stores a resource shared by many entries once', () => {
    const resource = { 'service.name': 'checkout', 'host.name': 'node-17.eu-west-1.compute.internal', 'k8s.pod.name': 'checkout-7d9f8-abcde' };
    const entries = Array.from({ length: 100 }, (_v, i): LogEntry => ({
      time: 1_700_000_000_000 + i, service: 'checkout', level: 'info', message: `order ${i} placed`,
      traceId: '', spanId: '', attributes: { 'order.id': i }, resource, scope: 'app',
    }));
    const compact = encodeEntries(entries);
    expect(compact.split('node-17.eu-west-1').length - 1).toBe(1);
    // Half the size of naive JSON of the objects, or better.
    expect(compact.length).toBeLessThan(JSON.stringify(entries).length / 2);
  });

  it('refuses text that is not a batch of this format with EntryCodecError', () => {
    for (const bad of ['', 'nope', '[]', '[2,[],[],[],[]]', '[1,["a"],[{}],[""],[[0,5,2,"m","","",{},0,0]]]', '[1,[],[],[],[[0]]]']) {
      expect(() => decodeEntries(bad), bad).toThrow(EntryCodecError);
    }
  });

  it('sends a service always to the same shard within range', () => {
    fc.assert(fc.property(fc.string(), fc.integer({ min: 1, max: 1024 }), (service, shards) => {
      const shard = shardOf(service, shards);
      expect(shard).toBeGreaterThanOrEqual(0);
      expect(shard).toBeLessThan(shards);
      expect(shardOf(service, shards)).toBe(shard);
    }));
    const used = new Set(Array.from({ length: 200 }, (_v, i) => shardOf(`service-${i}`, 16)));
    expect(used.size).toBe(16);
  });
});
