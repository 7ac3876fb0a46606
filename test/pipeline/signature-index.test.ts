import { describe, expect, it } from 'vitest';
import { SignatureIndex } from '../../src/pipeline/signature-index.js';

describe('signature index', () => {
  const a = { order: 1 };
  const b = { order: 2 };
  const c = { order: 3 };

  it('gives the oldest holder of a signature, whatever order they were added in', () => {
    const index = new SignatureIndex<{ order: number }>();
    index.add('s', c);
    index.add('s', a);
    index.add('s', b);
    expect(index.get('s')).toBe(a);
  });

  it('hands a signature to the next oldest holder when the oldest leaves, and forgets it with the last', () => {
    const index = new SignatureIndex<{ order: number }>();
    index.add('s', a);
    index.add('s', c);
    index.add('s', b);
    index.remove('s', a);
    expect(index.get('s')).toBe(b);
    index.remove('s', b);
    expect(index.get('s')).toBe(c);
    index.remove('s', c);
    expect(index.get('s')).toBeUndefined();
  });

  it('keeps the holder when another template leaves or one that never held the signature is removed', () => {
    const index = new SignatureIndex<{ order: number }>();
    index.add('s', a);
    index.add('t', b);
    index.remove('s', b);
    expect(index.get('s')).toBe(a);
    index.add('s', c);
    index.remove('s', c);
    expect(index.get('s')).toBe(a);
  });
});
