import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeExportRequest } from '../../src/otlp/decode.js';
import { inspectExport } from '../../src/otlp/inspect-export.js';
import { mapExportRequest } from '../../src/otlp/map-log-record.js';
import { mapWire } from '../../src/otlp/map-wire.js';
import { OtlpDecodeError } from '../../src/otlp/otlp-types.js';
import { encodeRequest } from '../helpers/otlp-raw.js';
import { hostileFields, hostileLogsRequest, mutated, requestBytes, requestObject } from '../fuzz/otlp-arbitraries.js';

const runs = (n: number): number => n * Number(process.env.ANOMALOG_FUZZ_SCALE ?? 1);
const ARRIVAL = 1_700_000_000_000;

/** The entries mapped from the wire, next to those mapped from protobufjs's decoding of the same bytes. */
function both(bytes: Buffer) {
  return { wire: mapWire(bytes, ARRIVAL), decoded: mapExportRequest(decodeExportRequest(bytes), ARRIVAL).entries };
}

function varint(n: number): Buffer {
  const out: number[] = [];
  for (; n > 0x7f; n >>>= 7) out.push((n & 0x7f) | 0x80);
  out.push(n);
  return Buffer.from(out);
}
function field(number: number, wireType: number, payload: Buffer): Buffer {
  const tag = varint(number * 8 + wireType);
  return wireType === 2 ? Buffer.concat([tag, varint(payload.length), payload]) : Buffer.concat([tag, payload]);
}
const text = (s: string) => Buffer.from(s);
const double = (d: number) => Buffer.from(new Float64Array([d]).buffer);
/** A request of one record made of these LogRecord fields. */
const withRecord = (...record: Buffer[]) => field(1, 2, field(2, 2, field(2, 2, Buffer.concat(record))));
const body = (...anyValue: Buffer[]) => field(5, 2, Buffer.concat(anyValue));
const keyValue = (key: string, ...anyValue: Buffer[]) => Buffer.concat([field(1, 2, text(key)), field(2, 2, Buffer.concat(anyValue))]);

describe('mapWire: entries straight from the wire, equal to mapping protobufjs’s decoding', () => {
  it('maps any valid request to the same entries', () => {
    fc.assert(fc.property(requestObject, (object) => {
      const { wire, decoded } = both(encodeRequest(object));
      expect(wire).toEqual(decoded);
    }), { numRuns: runs(300) });
  });

  it('maps damaged bytes the receiver accepts to the same entries', () => {
    let accepted = 0;
    fc.assert(fc.property(mutated(requestBytes), (bytes) => {
      try {
        inspectExport(bytes);
      } catch (error) {
        if (error instanceof OtlpDecodeError) return;
        throw error;
      }
      accepted++;
      const { wire, decoded } = both(bytes);
      expect(wire).toEqual(decoded);
    }), { numRuns: runs(2_000) });
    expect(accepted).toBeGreaterThan(runs(2_000) / 10);
  });

  it('maps hostile text, nested lists and maps, kvlist bodies to the same entries', () => {
    fc.assert(fc.property(hostileFields, (f) => {
      const { wire, decoded } = both(encodeRequest(hostileLogsRequest(f, 'svc-')));
      expect(wire).toEqual(decoded);
    }), { numRuns: runs(40) });
  });

  it('reads repeated fields and oneofs as protobufjs does', () => {
    const list = (n: number, item: (i: number) => Buffer) => field(5, 2, Buffer.concat(Array.from({ length: n }, (_v, i) => field(1, 2, item(i)))));
    const map = (n: number) => field(6, 2, Buffer.concat(Array.from({ length: n }, (_v, i) => field(1, 2, keyValue(`m${i}`, field(2, 0, varint(1)))))));
    const kvBody = field(6, 2, Buffer.concat([field(1, 2, keyValue('msg', field(1, 2, text('from msg')))), field(1, 2, keyValue('message', list(130, (i) => field(3, 0, varint(i)))))]));
    const wide = withRecord(
      body(kvBody),
      field(6, 2, keyValue('map', map(130))),
      ...Array.from({ length: 129 }, (_v, i) => field(6, 2, keyValue(`k${i}`, list(i === 0 ? 130 : 1, () => field(1, 2, text('v')))))),
    );
    const cases: Array<[string, Buffer, Partial<{ message: string; attributes: object; level: string; time: number }>]> = [
      ['body: string, int, string again: the int was set first latest', withRecord(body(field(1, 2, text('a')), field(3, 0, varint(5)), field(1, 2, text('b')))), { message: '5' }],
      ['body: int, string, int again: the string', withRecord(body(field(3, 0, varint(5)), field(1, 2, text('a')), field(3, 0, varint(7)))), { message: 'a' }],
      ['body: int, string, string again: the last string', withRecord(body(field(3, 0, varint(5)), field(1, 2, text('a')), field(1, 2, text('b')))), { message: 'b' }],
      ['an event name, and an event.name attribute that stays', withRecord(field(6, 2, keyValue('event.name', field(1, 2, text('attr')))), field(12, 2, text('field'))), { message: 'field', attributes: { 'event.name': 'attr' } }],
      ['body twice: the last', withRecord(body(field(1, 2, text('first'))), body(field(1, 2, text('second')))), { message: 'second' }],
      ['bool then double', withRecord(body(field(2, 0, varint(1)), field(4, 1, double(0.5)))), { message: '0.5' }],
      ['a kvlist body: msg when there is no message, the first of two', withRecord(body(field(6, 2, Buffer.concat([field(1, 2, keyValue('msg', field(1, 2, text('one')))), field(1, 2, keyValue('msg', field(1, 2, text('two'))))])))), { message: 'one' }],
      ['an attribute named twice keeps its first place and last value', withRecord(body(field(1, 2, text('m'))), field(6, 2, keyValue('a', field(3, 0, varint(1)))), field(6, 2, keyValue('b', field(2, 0, varint(0)))), field(6, 2, keyValue('a', field(1, 2, text('x'))))), { attributes: { a: 'x', b: false } }],
      ['severity number 30, then text', withRecord(body(field(1, 2, text('m'))), field(2, 0, varint(30)), field(3, 2, text('Warning'))), { level: 'warn' }],
      ['more attributes than the cap, a list and a map longer than it: the first ones kept', wide, { message: `[${Array.from({ length: 130 }, (_v, i) => i).join(',')}]` }],
      ['no time: the observed time', withRecord(body(field(1, 2, text('m'))), field(11, 1, Buffer.from([0x40, 0x42, 0x0f, 0, 0, 0, 0, 0]))), { time: 1 }],
    ];
    for (const [what, bytes, expected] of cases) {
      const { wire, decoded } = both(bytes);
      expect(decoded, what).toEqual([expect.objectContaining(expected)]);
      expect(wire, what).toEqual(decoded);
    }
  });
});
