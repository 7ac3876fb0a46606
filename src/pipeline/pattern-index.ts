/**
 * Per-service nearest-neighbour search over pattern centroids (unit vectors, so
 * cosine similarity is a dot product). Rows live in one growing Float32Array so
 * a scan walks contiguous memory.
 */
export interface Nearest {
  id: string;
  similarity: number;
}

export interface PatternIndex {
  readonly size: number;
  /** Adds the pattern, or replaces its centroid. */
  set(id: string, centroid: Float32Array): void;
  centroid(id: string): Float32Array | undefined;
  nearest(vector: Float32Array): Nearest | undefined;
}

export function createPatternIndex(dimensions: number): PatternIndex {
  // Start with one row: most services of a large fleet have a handful of patterns.
  let matrix = new Float32Array(dimensions);
  const ids: string[] = [];
  const rows = new Map<string, number>();

  function row(i: number): Float32Array {
    return matrix.subarray(i * dimensions, (i + 1) * dimensions);
  }

  return {
    get size() {
      return ids.length;
    },
    set(id, centroid) {
      if (centroid.length !== dimensions) {
        throw new Error(`pattern ${id}: centroid has ${centroid.length} dimensions, index has ${dimensions}`);
      }
      let i = rows.get(id);
      if (i === undefined) {
        i = ids.length;
        if ((i + 1) * dimensions > matrix.length) {
          const grown = new Float32Array(matrix.length * 2);
          grown.set(matrix);
          matrix = grown;
        }
        ids.push(id);
        rows.set(id, i);
      }
      matrix.set(centroid, i * dimensions);
    },
    centroid(id) {
      const i = rows.get(id);
      return i === undefined ? undefined : row(i).slice();
    },
    nearest(vector) {
      if (vector.length !== dimensions) throw new Error(`query has ${vector.length} dimensions, index has ${dimensions}`);
      let best = -1;
      let bestSimilarity = -Infinity;
      // Four accumulators: the scan is the whole cost of a new template, and this runs ~2x faster.
      const tail = dimensions - (dimensions % 4);
      for (let i = 0, base = 0; i < ids.length; i++, base += dimensions) {
        let a = 0;
        let b = 0;
        let c = 0;
        let e = 0;
        let d = 0;
        for (; d < tail; d += 4) {
          a += matrix[base + d]! * vector[d]!;
          b += matrix[base + d + 1]! * vector[d + 1]!;
          c += matrix[base + d + 2]! * vector[d + 2]!;
          e += matrix[base + d + 3]! * vector[d + 3]!;
        }
        for (; d < dimensions; d++) a += matrix[base + d]! * vector[d]!;
        const dot = a + b + c + e;
        if (dot > bestSimilarity) {
          bestSimilarity = dot;
          best = i;
        }
      }
      return best < 0 ? undefined : { id: ids[best]!, similarity: bestSimilarity };
    },
  };
}
