/** The port every embedding provider implements. */
export interface Embedder {
  /** Part of the cache key: vectors of two models are never mixed. */
  readonly model: string;
  readonly dimensions: number;
  /** True when embedding again is cheaper than a cache lookup (same text, same vector): not cached. */
  readonly deterministic?: boolean;
  /** One L2-normalised vector per text, in order. */
  embed(texts: string[]): Promise<Float32Array[]>;
  /** Whether the provider answers now (for /readyz); absent for an embedder that cannot fail. */
  status?(): EmbedderStatus;
}

export interface EmbedderStatus {
  ok: boolean;
  detail: string;
}

/** Scales in place to unit length (a zero vector stays zero); returns its argument. */
export function normalise(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i]! * vector[i]!;
  if (sum === 0) return vector;
  const scale = 1 / Math.sqrt(sum);
  for (let i = 0; i < vector.length; i++) vector[i]! *= scale;
  return vector;
}
