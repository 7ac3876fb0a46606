import { describe, expect, it } from 'vitest';
import { createLocalEmbedder } from '../../src/embeddings/local-embedder.js';

function cosine(a: Float32Array, b: Float32Array): number {
  return a.reduce((s, x, i) => s + x * b[i]!, 0);
}

describe('local embedder', () => {
  const embedder = createLocalEmbedder();

  it('returns deterministic unit vectors of its stated size', async () => {
    const [a, b] = await embedder.embed(['Disk <*> is full', 'Disk <*> is full']);
    expect(a!.length).toBe(embedder.dimensions);
    expect(Math.hypot(...a!)).toBeCloseTo(1, 5);
    expect(Array.from(a!)).toEqual(Array.from(b!));
  });

  it('places templates that differ by a word closer than unrelated ones', async () => {
    const [base, near, far] = await embedder.embed([
      'Card processor <*> timed out after <DURATION>',
      'Card processor <*> timed out again after <DURATION>',
      'User <*> changed their password',
    ]);
    expect(cosine(base!, near!)).toBeGreaterThan(0.85);
    expect(cosine(base!, far!)).toBeLessThan(0.5);
  });
});
