import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LEVELS, type LogEntry } from '../../src/log-entry.js';
import { decodeExportRequestJson } from '../../src/otlp/decode-json.js';
import { decodeExportRequest } from '../../src/otlp/decode.js';
import { mapExportRequest } from '../../src/otlp/map-log-record.js';
import { OtlpDecodeError, type ExportLogsRequest } from '../../src/otlp/otlp-types.js';
import { decodeEntries, encodeEntries } from '../../src/queue/entry-codec.js';
import { encodeRequest } from '../helpers/otlp-raw.js';
import { unstorableStrings } from '../text/unstorable-text.js';
import { hostileFields, hostileLogsRequest, mutated, mutatedJsonText, requestBytes, requestObject, toOtlpJson } from './otlp-arbitraries.js';

/** ANOMALOG_FUZZ_SCALE=50 turns the quick suite run into a longer local campaign. */
const runs = (n: number): number => n * Number(process.env.ANOMALOG_FUZZ_SCALE ?? 1);

/** Generous per-input budget: these inputs are a few hundred bytes; a hang or blow-up is far beyond it. */
const BUDGET_MS = 250;

function countRecords(request: Record<string, unknown>): number {
  const rls = (request.resourceLogs ?? []) as { scopeLogs?: { logRecords?: unknown[] }[] }[];
  return rls.reduce((n, rl) => n + (rl.scopeLogs ?? []).reduce((m, sl) => m + (sl.logRecords ?? []).length, 0), 0);
}

function checkEntry(e: LogEntry): void {
  expect(Number.isFinite(e.time)).toBe(true);
  expect(LEVELS).toContain(e.level);
  expect(typeof e.message).toBe('string');
  expect(typeof e.service).toBe('string');
  expect(e.traceId).toMatch(/^([0-9a-f]{32})?$/);
  expect(e.spanId).toMatch(/^([0-9a-f]{16})?$/);
}

/** Decode with `decode`; a typed decode error is a fine answer, anything else thrown fails. Mapped entries must be well-formed and survive the queue codec. */
function decodeAndMap(decode: () => ExportLogsRequest): { entries: LogEntry[]; rejected: number } | 'refused' {
  const started = performance.now();
  let request: ExportLogsRequest;
  try {
    request = decode();
  } catch (error) {
    if (error instanceof OtlpDecodeError) return 'refused';
    throw error;
  }
  const result = mapExportRequest(request, 1_700_000_000_000);
  result.entries.forEach(checkEntry);
  expect(decodeEntries(encodeEntries(result.entries))).toEqual(JSON.parse(JSON.stringify(result.entries)));
  expect(performance.now() - started).toBeLessThan(BUDGET_MS);
  return result;
}

describe('front-door fuzzing: decoders and mapping', () => {
  it('maps every record of a valid protobuf request, or rejects it for its ids', () => {
    fc.assert(fc.property(requestObject, (request) => {
      const result = decodeAndMap(() => decodeExportRequest(encodeRequest(request)));
      expect(result).not.toBe('refused');
      if (result === 'refused') return;
      expect(result.entries.length + result.rejected).toBe(countRecords(request));
    }), { numRuns: runs(300) });
  });

  it('gives the same entries for a valid request over JSON as over protobuf', () => {
    fc.assert(fc.property(requestObject, (request) => {
      const viaProto = decodeAndMap(() => decodeExportRequest(encodeRequest(request)));
      const viaJson = decodeAndMap(() => decodeExportRequestJson(JSON.stringify(toOtlpJson(request))));
      expect(JSON.parse(JSON.stringify(viaJson))).toEqual(JSON.parse(JSON.stringify(viaProto)));
    }), {
      numRuns: runs(200),
      // Found by this property: a non-finite double body, which proto3 JSON writes as a string.
      examples: [[{ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { doubleValue: Number.POSITIVE_INFINITY } }] }] }] }], [{ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { doubleValue: Number.NaN } }] }] }] }]],
    });
  });

  it('answers random bytes with entries or OtlpDecodeError, never another exception', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (b) => void decodeAndMap(() => decodeExportRequest(b))), { numRuns: runs(1000) });
  });

  it('answers mutated protobuf requests (bit flips, truncation, duplication, insertion) with entries or OtlpDecodeError', () => {
    fc.assert(fc.property(mutated(requestBytes), (b) => void decodeAndMap(() => decodeExportRequest(b))), { numRuns: runs(1000) });
  });

  it('answers random JSON values and text with entries or OtlpDecodeError', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => void decodeAndMap(() => decodeExportRequestJson(JSON.stringify(v)))), { numRuns: runs(500) });
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => void decodeAndMap(() => decodeExportRequestJson(s))), { numRuns: runs(500) });
  });

  it('answers structurally and byte-mutated OTLP/JSON with entries or OtlpDecodeError', () => {
    fc.assert(fc.property(mutatedJsonText, (text) => void decodeAndMap(() => decodeExportRequestJson(text))), {
      numRuns: runs(1000),
      // Found by this property: ids that are JSON arrays or objects, not hex strings.
      examples: [['{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"x"},"spanId":[300,-1,"a",null,1.5,{},[],true]}]}]}]}'], ['{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"x"},"traceId":{"length":16}}]}]}]}']],
    });
  });

  it('maps hostile text in every field (NUL, unpaired surrogates, controls, bidi, 1 MB) to entries Postgres can store, over protobuf and JSON', () => {
    fc.assert(fc.property(hostileFields, (fields) => {
      const request = hostileLogsRequest(fields, '');
      for (const decoded of [decodeExportRequest(encodeRequest(request)), decodeExportRequestJson(JSON.stringify(toOtlpJson(request)))]) {
        const { entries, rejected } = mapExportRequest(decoded, 1);
        expect(rejected).toBe(0);
        expect(entries).toHaveLength(1);
        expect(entries[0]!.level).toBe('error');
        expect(unstorableStrings(entries)).toEqual([]);
      }
    }), { numRuns: runs(60) });
  });

  it('maps moderately nested values and refuses absurdly nested ones with OtlpDecodeError, without overflowing the stack', () => {
    for (const [depth, accepted] of [[10, true], [5_000, false], [20_000, false]] as const) {
      // AnyValue{array_value: ArrayValue{values: [AnyValue{...}]}}, built inside out.
      let inner = Buffer.from([0x0a, 0x01, 0x78]); // string_value "x"
      for (let i = 0; i < depth; i++) {
        const array = Buffer.concat([Buffer.from([0x0a]), varint(inner.length), inner]);
        inner = Buffer.concat([Buffer.from([0x2a]), varint(array.length), array]);
      }
      const body = Buffer.concat([Buffer.from([0x2a]), varint(inner.length), inner]); // LogRecord.body (5)
      const scopeLogs = Buffer.concat([Buffer.from([0x12]), varint(body.length), body]); // ScopeLogs.log_records (2)
      const resourceLogs = Buffer.concat([Buffer.from([0x12]), varint(scopeLogs.length), scopeLogs]); // ResourceLogs.scope_logs (2)
      const request = Buffer.concat([Buffer.from([0x0a]), varint(resourceLogs.length), resourceLogs]); // resource_logs (1)
      const json = `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":${'{"arrayValue":{"values":['.repeat(depth)}{"stringValue":"x"}${']}}'.repeat(depth)}}]}]}]}`;
      for (const result of [decodeAndMap(() => decodeExportRequest(request)), decodeAndMap(() => decodeExportRequestJson(json))]) {
        if (accepted) expect(result !== 'refused' && result.entries[0]?.message).toBe(`${'['.repeat(depth)}"x"${']'.repeat(depth)}`);
        else expect(result).toBe('refused');
      }
    }
  });
});

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}
