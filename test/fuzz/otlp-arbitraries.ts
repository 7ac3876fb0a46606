/** fast-check generators of OTLP logs requests (valid and mutated) for the front-door fuzz tests. */
import fc from 'fast-check';
import { encodeRequest } from '../helpers/otlp-raw.js';

/** Attribute keys, with the ones that trip naive object handling. */
const key = fc.oneof({ weight: 6, arbitrary: fc.string({ maxLength: 12 }) }, { weight: 1, arbitrary: fc.constantFrom('service.name', 'message', 'msg', 'constructor', 'toString') });
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b));
const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String);
const uint64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String);

const anyValue: fc.Arbitrary<Record<string, unknown>> = fc.letrec<{ value: Record<string, unknown> }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ stringValue: fc.string({ maxLength: 40 }) }),
    fc.record({ boolValue: fc.boolean() }),
    fc.record({ intValue: int64 }),
    fc.record({ doubleValue: fc.double() }),
    fc.record({ bytesValue: bytes(16) }),
    fc.constant({}),
    fc.record({ arrayValue: fc.record({ values: fc.array(tie('value'), { maxLength: 3 }) }) }),
    fc.record({ kvlistValue: fc.record({ values: fc.array(fc.record({ key, value: tie('value') }), { maxLength: 3 }) }) }),
  ),
})).value;

const keyValues = fc.array(fc.record({ key, value: anyValue }), { maxLength: 4 });

const logRecord = fc.record(
  {
    timeUnixNano: uint64,
    observedTimeUnixNano: uint64,
    severityNumber: fc.integer({ min: 0, max: 30 }),
    severityText: fc.oneof(fc.constantFrom('', 'INFO', 'Warning', 'ERR', 'crit'), fc.string({ maxLength: 8 })),
    body: anyValue,
    attributes: keyValues,
    // Mostly the valid sizes, sometimes not (the mapper must reject those records, not crash).
    traceId: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(16, 0) }, { weight: 1, arbitrary: fc.nat(20) }).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b))),
    spanId: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(8, 0) }, { weight: 1, arbitrary: fc.nat(12) }).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b))),
    eventName: fc.string({ maxLength: 10 }),
  },
  { requiredKeys: [] },
);

/** A valid request in protobufjs object form (bytes as Buffers). */
export const requestObject: fc.Arbitrary<Record<string, unknown>> = fc.record({
  resourceLogs: fc.array(
    fc.record(
      {
        resource: fc.record({ attributes: fc.oneof(keyValues, fc.string({ maxLength: 10 }).map((s) => [{ key: 'service.name', value: { stringValue: s } }])) }),
        scopeLogs: fc.array(fc.record({ scope: fc.record({ name: fc.string({ maxLength: 10 }), version: fc.string({ maxLength: 5 }), attributes: keyValues }, { requiredKeys: [] }), logRecords: fc.array(logRecord, { maxLength: 4 }) }, { requiredKeys: [] }), { maxLength: 3 }),
      },
      { requiredKeys: [] },
    ),
    { maxLength: 3 },
  ),
});

export const requestBytes = requestObject.map((o) => encodeRequest(o));

/** The OTLP/JSON form of an object-form request: hex ids, base64 bytes. */
export function toOtlpJson(value: unknown, field = ''): unknown {
  if (Buffer.isBuffer(value)) return field === 'traceId' || field === 'spanId' ? value.toString('hex') : value.toString('base64');
  if (Array.isArray(value)) return value.map((v) => toOtlpJson(v));
  // Proto3 JSON writes non-finite doubles as strings; JSON.stringify would write null.
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toOtlpJson(v, k)]));
  return value;
}

type Mutation = (input: Buffer) => Buffer;

/** Byte-level damage of the kinds a fuzzer applies: bit flips, truncation, duplication, insertion, splicing. */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.nat(7)).map(([at, bit]): Mutation => (b) => {
    if (b.length === 0) return b;
    const out = Buffer.from(b);
    out[at % b.length]! ^= 1 << bit;
    return out;
  }),
  fc.nat().map((at): Mutation => (b) => b.subarray(0, b.length === 0 ? 0 : at % b.length)),
  fc.tuple(fc.nat(), fc.nat(), fc.nat()).map(([a, n, at]): Mutation => (b) => {
    if (b.length === 0) return b;
    const start = a % b.length;
    const slice = b.subarray(start, start + 1 + (n % 64));
    const p = at % b.length;
    return Buffer.concat([b.subarray(0, p), slice, b.subarray(p)]);
  }),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([at, junk]): Mutation => (b) => {
    const p = b.length === 0 ? 0 : at % b.length;
    return Buffer.concat([b.subarray(0, p), Buffer.from(junk), b.subarray(p)]);
  }),
  fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([at, n, v]): Mutation => (b) => {
    if (b.length === 0) return b;
    const out = Buffer.from(b);
    out.fill(v, at % b.length, Math.min(b.length, (at % b.length) + 1 + (n % 16)));
    return out;
  }),
);

export function mutated(valid: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  return fc.tuple(valid, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([b, ms]) => ms.reduce((acc, m) => m(acc), b));
}

/** Valid OTLP/JSON text with one subtree replaced by an arbitrary JSON value, then maybe byte-damaged. */
export const mutatedJsonText: fc.Arbitrary<string> = fc
  .tuple(requestObject, fc.nat(), fc.jsonValue({ maxDepth: 3 }), fc.option(mutation, { nil: undefined }))
  .map(([request, pick, replacement, damage]) => {
    const json = toOtlpJson(request) as Record<string, unknown>;
    const slots: Array<[Record<string, unknown> | unknown[], string | number]> = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach((child, i) => (slots.push([node, i]), walk(child)));
      else if (node && typeof node === 'object') {
        for (const [k, child] of Object.entries(node)) {
          slots.push([node as Record<string, unknown>, k]);
          walk(child);
        }
      }
    };
    walk(json);
    if (slots.length > 0) {
      const [parent, slot] = slots[pick % slots.length]!;
      (parent as Record<string | number, unknown>)[slot] = replacement;
    }
    const text = JSON.stringify(json);
    return damage ? damage(Buffer.from(text)).toString('utf8') : text;
  });

/** Code units that trip text handling: NUL, unpaired surrogates, C0/C1 controls, bidi controls, separators, BOM, non-characters. */
const hostileUnit = fc.constantFrom(
  '\u0000', '\ud800', '\udbff', '\udc00', '\udfff', '\u0001', '\u0008', '\u001b', '\u007f', '\u0085', '\u009b',
  '\u200b', '\u200e', '\u200f', '\u202a', '\u202e', '\u2066', '\u2069', '\u2028', '\u2029', '\ufeff', '\ufffe', '\uffff',
);
const hostilePiece = fc.oneof(hostileUnit, fc.string({ unit: 'binary', maxLength: 3 }), fc.constantFrom('a', ' ', 'é', '😀', '"', '\\'));

/** Short text mixing hostile code units with ordinary ones. */
export const hostileText: fc.Arbitrary<string> = fc.array(hostilePiece, { maxLength: 24 }).map((pieces) => pieces.join(''));

/** About a million code units: a hostile seed repeated, cut anywhere (maybe inside a surrogate pair). */
export const hugeHostileText: fc.Arbitrary<string> = fc
  .array(hostilePiece, { minLength: 1, maxLength: 8 })
  .map((pieces) => {
    const seed = `x${pieces.join('')}`;
    return seed.repeat(Math.ceil(1_048_576 / seed.length)).slice(0, 1_048_576);
  });

export const HOSTILE_FIELDS = [
  'service', 'resourceKey', 'resourceValue', 'scope', 'severityText', 'eventName', 'body', 'bodyKey', 'attributeKey', 'attributeValue',
] as const;
export type HostileFields = Record<(typeof HOSTILE_FIELDS)[number], string>;

/** Hostile text in every OTLP string field, and now and then one field of about 1 MB. */
export const hostileFields: fc.Arbitrary<HostileFields & { kvlistBody: boolean }> = fc
  .tuple(
    fc.record(Object.fromEntries(HOSTILE_FIELDS.map((f) => [f, hostileText])) as Record<keyof HostileFields, fc.Arbitrary<string>>),
    fc.boolean(),
    fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...HOSTILE_FIELDS), hugeHostileText) }),
  )
  .map(([fields, kvlistBody, huge]) => (huge ? { ...fields, [huge[0]]: huge[1], kvlistBody } : { ...fields, kvlistBody }));

/**
 * One ERROR record (object form, as encodeRequest takes) carrying the fields
 * everywhere a string goes: service.name (after `servicePrefix`), resource and
 * record attributes nested in maps and lists, scope, severity text, event name,
 * and the body as a string or as a map with a message.
 */
export function hostileLogsRequest(f: HostileFields & { kvlistBody: boolean }, servicePrefix: string): Record<string, unknown> {
  const str = (s: string) => ({ stringValue: s });
  const nested = (key: string, value: string) => ({ kvlistValue: { values: [{ key, value: { arrayValue: { values: [str(value), { kvlistValue: { values: [{ key, value: str(value) }] } }] } } }] } });
  const body = f.kvlistBody ? { kvlistValue: { values: [{ key: 'message', value: str(f.body) }, { key: f.bodyKey, value: nested(f.bodyKey, f.body) }] } } : str(f.body);
  return {
    resourceLogs: [{
      resource: { attributes: [{ key: 'service.name', value: str(servicePrefix + f.service) }, { key: f.resourceKey, value: str(f.resourceValue) }, { key: 'deep', value: nested(f.resourceKey, f.resourceValue) }] },
      scopeLogs: [{
        scope: { name: f.scope },
        logRecords: [{
          severityNumber: 17,
          severityText: f.severityText,
          eventName: f.eventName,
          body,
          attributes: [{ key: f.attributeKey, value: str(f.attributeValue) }, { key: 'deep', value: nested(f.attributeKey, f.attributeValue) }],
        }],
      }],
    }],
  };
}
