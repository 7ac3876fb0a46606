import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LEVELS, type AttributeValue, type LogEntry } from '../../src/log-entry.js';
import { EntryCodecError, decodeEntries, encodeEntries } from '../../src/queue/entry-codec.js';
import { shardOf } from '../../src/queue/queue-keys.js';

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

describe('entry codec', () => {
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
