import fc from 'fast-check';
import { expect, test } from 'vitest';
import { decodeExportRequest } from '../../src/otlp/decode.js';
import { anyValueToAttribute, bodyToMessage, stableJson } from '../../src/otlp/map-log-record.js';
import type { OtlpAnyValue } from '../../src/otlp/otlp-types.js';
import { encodeRequest } from '../helpers/otlp-raw.js';

type Plain = Record<string, unknown>;
const anyValue: fc.Arbitrary<Plain> = fc.letrec<{ value: Plain }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string().map((s) => ({ stringValue: s })),
    fc.boolean().map((b) => ({ boolValue: b })),
    fc.integer().map((i) => ({ intValue: i })),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => ({ doubleValue: d })),
    fc.uint8Array({ maxLength: 8 }).map((b) => ({ bytesValue: Buffer.from(b) })),
    fc.array(tie('value'), { maxLength: 3 }).map((values) => ({ arrayValue: { values } })),
    fc.array(fc.record({ key: fc.string(), value: tie('value') }), { maxLength: 3 }).map((values) => ({ kvlistValue: { values } })),
  ),
})).value;

/** Decode a body through real protobuf bytes. */
function decodedBody(body: Plain): OtlpAnyValue {
  const request = decodeExportRequest(encodeRequest({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body }] }] }] }));
  return request.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.body!;
}

test('any body renders to a message without throwing, and structured values as JSON of the same value', () => {
  fc.assert(
    fc.property(anyValue, (body) => {
      const decoded = decodedBody(body);
      const message = bodyToMessage(decoded);
      expect(typeof message).toBe('string');
      const value = anyValueToAttribute(decoded);
      if (value !== null && typeof value === 'object') {
        // JSON has no -0: compared with what JSON.stringify keeps of the value.
        expect(JSON.parse(stableJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }
    }),
    { numRuns: 300 },
  );
});

test('stable JSON does not depend on key order', () => {
  fc.assert(
    fc.property(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean())), (object) => {
      const reversed = Object.fromEntries(Object.entries(object).reverse());
      expect(stableJson(reversed)).toBe(stableJson(object));
    }),
  );
});
