import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../../src/log-entry.js';
import { batchSources, joinParts } from '../../src/pipeline/batch-sources.js';

const entry = (service: string, message = 'm'): LogEntry => ({ time: 0, service, level: 'info', message, traceId: '', spanId: '', attributes: {}, resource: {}, scope: '' });

describe('batch sources', () => {
  const parts = [
    { source: '1/1700000000000-5', entries: [entry('a'), entry('a'), entry('b')] },
    { source: '2/1700000000001-0', entries: [entry('c')] },
    { source: '1/1700000000000-12', entries: [entry('a'), entry('d')] },
    // A replay stands for an older batch of the same shard.
    { source: '1/1600000000000-0', entries: [entry('b')] },
  ];
  const sources = batchSources(parts);

  it('names the stored batch of every batch position', () => {
    const joined = joinParts(parts);
    expect(joined).toHaveLength(7);
    expect(joined.map((_e, i) => sources.of(i))).toEqual([
      '1/1700000000000-5', '1/1700000000000-5', '1/1700000000000-5', '2/1700000000001-0', '1/1700000000000-12', '1/1700000000000-12', '1/1600000000000-0',
    ]);
  });

  it('gives each service its newest stream id, comparing ids as numbers, not text or position', () => {
    expect(sources.newestOf('a')).toBe('1/1700000000000-12');
    expect(sources.newestOf('b')).toBe('1/1700000000000-5');
    expect(sources.newestOf('c')).toBe('2/1700000000001-0');
    expect(sources.newestOf('d')).toBe('1/1700000000000-12');
    expect(sources.newestOf('e')).toBeUndefined();
  });

  it('knows its batches and labels them all', () => {
    expect(sources.has('2/1700000000001-0')).toBe(true);
    expect(sources.has('2/1700000000001-1')).toBe(false);
    expect(sources.label).toBe('1/1700000000000-5,2/1700000000001-0,1/1700000000000-12,1/1600000000000-0');
  });

  it('passes a single part through without copying', () => {
    expect(joinParts([parts[0]!])).toBe(parts[0]!.entries);
  });
});
