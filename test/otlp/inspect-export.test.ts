import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { summariseExport } from '../../src/otlp/accepted-export.js';
import { decodeExportRequest } from '../../src/otlp/decode.js';
import { inspectExport } from '../../src/otlp/inspect-export.js';
import { MAX_ATTRIBUTES, mapExportRequest } from '../../src/otlp/map-log-record.js';
import { OtlpDecodeError } from '../../src/otlp/otlp-types.js';
import { encodeRequest, simpleRequest } from '../helpers/otlp-raw.js';
import { hostileFields, hostileLogsRequest, mutated, requestBytes, requestObject } from '../fuzz/otlp-arbitraries.js';

const runs = (n: number): number => n * Number(process.env.ANOMALOG_FUZZ_SCALE ?? 1);

/** inspectExport's summary, or 'refused' for a typed decode error (anything else thrown fails the test). */
function inspected(bytes: Buffer) {
  try {
    return inspectExport(bytes);
  } catch (error) {
    if (error instanceof OtlpDecodeError) return 'refused' as const;
    throw error;
  }
}

/** What the decoder the worker uses makes of the bytes: the summary of the decoded request, or 'refused'. */
function decoded(bytes: Buffer) {
  try {
    return summariseExport(decodeExportRequest(bytes));
  } catch (error) {
    if (error instanceof OtlpDecodeError) return 'refused' as const;
    throw error;
  }
}

function varint(n: number | bigint): Buffer {
  let v = BigInt(n);
  const out: number[] = [];
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}
const field = (number: number, payload: Buffer): Buffer => Buffer.concat([varint(number * 8 + 2), varint(payload.length), payload]);
/** A request of one ResourceLogs of one ScopeLogs of one LogRecord made of `record`'s bytes; resource as given. */
const wrap = (record: Buffer, resource: Buffer = Buffer.alloc(0)): Buffer => field(1, Buffer.concat([resource, field(2, field(2, record))]));
const stringBody = (text: string): Buffer => field(5, field(1, Buffer.from(text)));

describe('inspectExport: the receiver reads a protobuf export without decoding it', () => {
  it('summarises any valid request exactly as the decoded request is summarised, and cuts it into its ResourceLogs', () => {
    fc.assert(fc.property(requestObject, (object) => {
      const bytes = encodeRequest(object);
      const result = inspectExport(bytes);
      expect(result.summary).toEqual(decoded(bytes));
      if (!('parts' in result)) throw new Error('a protobuf export has parts');
      expect(Buffer.concat(result.parts)).toEqual(bytes);
      // Each part is a request of its one ResourceLogs; any of them together map as the whole does.
      const request = decodeExportRequest(bytes);
      result.parts.forEach((part, i) => expect(decodeExportRequest(part).resourceLogs).toEqual([request.resourceLogs[i]]));
      const odd = Buffer.concat(result.parts.filter((_p, i) => i % 2 === 1));
      const oddRequest = { resourceLogs: request.resourceLogs.filter((_rl, i) => i % 2 === 1) };
      expect(mapExportRequest(decodeExportRequest(odd), 0)).toEqual(mapExportRequest(oddRequest, 0));
    }), { numRuns: runs(300) });
  });

  it('never accepts damaged bytes the decoder refuses, and summarises what it accepts as the decoder reads it', () => {
    let accepted = 0;
    fc.assert(fc.property(mutated(requestBytes), (bytes) => {
      const mine = inspected(bytes);
      if (mine === 'refused') return;
      accepted++;
      expect(decoded(bytes)).toEqual(mine.summary);
    }), { numRuns: runs(2_000) });
    // The property says something only if damaged inputs do get through.
    expect(accepted).toBeGreaterThan(runs(2_000) / 10);
  });

  it('summarises hostile text, nested lists and maps, and counts their capped attributes as the decoder does', () => {
    fc.assert(fc.property(hostileFields, (f) => {
      const bytes = encodeRequest(hostileLogsRequest(f, 'svc-'));
      expect(inspectExport(bytes).summary).toEqual(decoded(bytes));
    }), { numRuns: runs(40) });
    const wide = simpleRequest(1, 'wide');
    const rl = (wide.resourceLogs as Array<{ resource: { attributes: unknown[] }; scopeLogs: Array<{ logRecords: Array<Record<string, unknown>> }> }>)[0]!;
    const list = (n: number) => ({ arrayValue: { values: Array.from({ length: n }, (_v, i) => ({ intValue: i })) } });
    rl.scopeLogs[0]!.logRecords[0]!.attributes = [
      ...Array.from({ length: 200 }, (_v, i) => ({ key: `a${i}`, value: i === 0 ? list(300) : { intValue: i } })),
    ];
    // Few attributes, but a map holding a long list.
    rl.scopeLogs[0]!.logRecords.push({ body: { stringValue: 'narrow' }, attributes: [{ key: 'm', value: { kvlistValue: { values: [{ key: 'l', value: list(129) }] } } }] });
    rl.resource.attributes.push(...Array.from({ length: 150 }, (_v, i) => ({ key: `r${i}`, value: { boolValue: true } })));
    const summary = inspectExport(encodeRequest(wide)).summary;
    // 72 record attributes past the cap, 172 + 1 list entries, and 151 - 128 resource attributes.
    expect(summary.droppedAttributes).toBe(200 - MAX_ATTRIBUTES + (300 - MAX_ATTRIBUTES) + (129 - MAX_ATTRIBUTES) + (151 - MAX_ATTRIBUTES));
    expect(summary.resources).toEqual([{ service: 'wide', records: 2 }]);
  });

  it('takes the last of a repeated field, as the decoder does: resource (so the service), body, ids', () => {
    const service = (name: string) => field(1, field(1, Buffer.concat([field(1, Buffer.from('service.name')), field(2, field(1, Buffer.from(name)))])));
    const traceId = (n: number) => field(9, Buffer.alloc(n, 1));
    const record = Buffer.concat([traceId(3), stringBody('x'), field(5, Buffer.alloc(0)), traceId(16)]);
    const bytes = wrap(record, Buffer.concat([service('first'), service('second')]));
    const { summary } = inspectExport(bytes);
    expect(summary).toEqual(decoded(bytes));
    // The trace id is fine (16 bytes, last); the body is an empty AnyValue (last), so the record says nothing.
    expect(summary).toMatchObject({ resources: [{ service: 'second', records: 0 }], rejected: 1 });
    expect(summary.errorMessage).toMatch(/log record of second: log record has neither body nor event_name/);
  });

  it('counts the records with neither time nor observed time, the last of a repeated time deciding, as the decoder does', () => {
    const fixed64 = (number: number, value: bigint) => {
      const payload = Buffer.alloc(8);
      payload.writeBigUInt64LE(value);
      return Buffer.concat([varint(number * 8 + 1), payload]);
    };
    const cases: Array<[string, Buffer, number]> = [
      ['no time', wrap(stringBody('x')), 1],
      ['a time', wrap(Buffer.concat([fixed64(1, 1n), stringBody('x')])), 0],
      ['an observed time only', wrap(Buffer.concat([fixed64(11, 2n ** 63n), stringBody('x')])), 0],
      ['a time set, then zero', wrap(Buffer.concat([fixed64(1, 5n), fixed64(1, 0n), stringBody('x')])), 1],
      ['a time zero, then set', wrap(Buffer.concat([fixed64(1, 0n), fixed64(1, 5n), stringBody('x')])), 0],
    ];
    for (const [what, bytes, untimed] of cases) {
      expect(inspectExport(bytes).summary.untimed, what).toBe(untimed);
      expect(decoded(bytes), what).toEqual(inspectExport(bytes).summary);
    }
  });

  it('refuses what the decoder would read as garbage, and takes what it reads well', () => {
    const body = stringBody('hello');
    const cases: Array<[string, Buffer, boolean]> = [
      ['a plain record', wrap(body), true],
      ['severity -1 as a 10-byte varint', wrap(Buffer.concat([Buffer.from([0x10]), varint(2n ** 64n - 1n), body])), true],
      ['an unknown field of every wire type', wrap(Buffer.concat([varint(99 * 8), Buffer.from([1]), varint(98 * 8 + 1), Buffer.alloc(8), field(97, Buffer.from('x')), varint(96 * 8 + 5), Buffer.alloc(4), body])), true],
      ['severity as a 7-byte varint', wrap(Buffer.concat([Buffer.from([0x10, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]), body])), false],
      ['the body in wire type 0', wrap(Buffer.concat([Buffer.from([0x28, 0x01]), body])), false],
      ['time_unix_nano as a varint', wrap(Buffer.concat([Buffer.from([0x08, 0x01]), body])), false],
      ['a group', wrap(Buffer.concat([Buffer.from([0x1b, 0x1c]), body])), false],
      ['wire type 7', wrap(Buffer.concat([Buffer.from([0x1f]), body])), false],
      ['a length past the end of its message', Buffer.concat([Buffer.from([0x0a, 0x05]), field(2, Buffer.alloc(10))]), false],
      ['a tag over 32 bits', Buffer.concat([varint(2n ** 35n + 2n), Buffer.from([0])]), false],
      ['a truncated request', wrap(body).subarray(0, 5), false],
    ];
    for (const [what, bytes, ok] of cases) {
      expect(inspected(bytes) === 'refused', what).toBe(!ok);
      if (ok) expect(decoded(bytes), what).toEqual(inspectExport(bytes).summary);
    }
  });

  it('refuses nesting past the decoder’s limit and takes it below', () => {
    for (const [depth, ok] of [[40, true], [200, false]] as const) {
      let value = field(1, Buffer.from('x'));
      for (let i = 0; i < depth; i++) value = field(5, field(1, value));
      const bytes = wrap(Buffer.concat([stringBody('m'), field(6, Buffer.concat([field(1, Buffer.from('k')), field(2, value)]))]));
      expect(inspected(bytes) === 'refused').toBe(!ok);
      expect(decoded(bytes) === 'refused').toBe(!ok);
    }
  });
});
