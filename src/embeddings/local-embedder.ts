/**
 * The default embedder: no network, no model file. A template becomes hashed
 * features (words, word pairs and character trigrams) with IDF-like weights —
 * rare-looking, long words weigh more than placeholders and short function
 * words — projected into a fixed number of dimensions with a sign hash.
 */
import type { Embedder } from './embedder.js';
import { normalise } from './embedder.js';

const DIMENSIONS = 256;
const PLACEHOLDER = /^<[^<>]*>$/;
const TOKEN = /<[^<>\s]*>|[A-Za-z]+|\d+|[^\sA-Za-z\d]/g;

/** FNV-1a, 32 bits: fast, stable across runs and platforms. */
function hash(text: string, seed: number): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function add(vector: Float32Array, feature: string, weight: number): void {
  const h = hash(feature, 0);
  vector[h % DIMENSIONS]! += h & 0x80000000 ? -weight : weight;
}

/** Stand-in for IDF without a corpus: punctuation and placeholders carry little meaning. */
function weightOf(token: string): number {
  if (PLACEHOLDER.test(token)) return 0.4;
  if (!/[A-Za-z]/.test(token)) return /\d/.test(token) ? 0.3 : 0.15;
  return Math.min(1.6, 0.5 + Math.log1p(token.length) / 2);
}

function embedText(text: string): Float32Array {
  const vector = new Float32Array(DIMENSIONS);
  const tokens = text.match(TOKEN) ?? [];
  const words = tokens.map((t) => (PLACEHOLDER.test(t) ? t : t.toLowerCase()));
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const weight = weightOf(word);
    add(vector, `w:${word}`, weight);
    if (i > 0) add(vector, `b:${words[i - 1]}|${word}`, 0.5 * Math.min(weight, weightOf(words[i - 1]!)));
    if (word.length > 3 && !PLACEHOLDER.test(word)) {
      // Trigrams let "connect" and "connection" overlap.
      const padded = `^${word}$`;
      const share = (0.6 * weight) / (padded.length - 2);
      for (let j = 0; j + 3 <= padded.length; j++) add(vector, `c:${padded.slice(j, j + 3)}`, share);
    }
  }
  return normalise(vector);
}

export function createLocalEmbedder(): Embedder {
  return {
    model: `local-hash-v1-${DIMENSIONS}`,
    dimensions: DIMENSIONS,
    deterministic: true,
    embed: (texts) => Promise.resolve(texts.map(embedText)),
  };
}
