import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalise } from '../../src/embeddings/embedder.js';
import { createPatternIndex } from '../../src/pipeline/pattern-index.js';

function unit(values: number[]): Float32Array {
  return normalise(Float32Array.from(values));
}

describe('pattern index', () => {
  it('finds the centroid with the highest cosine similarity', () => {
    const index = createPatternIndex(3);
    index.set('x', unit([1, 0, 0]));
    index.set('y', unit([0, 1, 0]));
    index.set('z', unit([0, 0, 1]));
    const nearest = index.nearest(unit([0.2, 0.9, 0.1]))!;
    expect(nearest.id).toBe('y');
    expect(nearest.similarity).toBeCloseTo(0.9 / Math.hypot(0.2, 0.9, 0.1), 5);
  });

  it('replaces a centroid in place and has nothing to return when empty', () => {
    const index = createPatternIndex(2);
    expect(index.nearest(unit([1, 0]))).toBeUndefined();
    index.set('a', unit([1, 0]));
    index.set('a', unit([0, 1]));
    expect(index.size).toBe(1);
    expect(index.nearest(unit([0, 1]))).toEqual({ id: 'a', similarity: 1 });
  });

  it('agrees with a brute-force scan as it grows', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 60 }), (rows) => {
        const index = createPatternIndex(4);
        const vectors = rows.map((r) => unit([...r.slice(0, 3), 1e-3 + Math.abs(r[3]!)]));
        vectors.forEach((v, i) => index.set(`p${i}`, v));
        const query = vectors[0]!;
        let best = -Infinity;
        for (const v of vectors) best = Math.max(best, v.reduce((s, x, d) => s + x * query[d]!, 0));
        expect(index.nearest(query)!.similarity).toBeCloseTo(best, 5);
      }),
    );
  });
});
