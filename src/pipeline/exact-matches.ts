/**
 * Masked messages already matched, with what they matched and the stamp of the state
 * it was matched in. Bounded: at most `capacity` messages of at most `maxChars`
 * chars, oldest out first. A message is taken in only when it comes back while its
 * first sighting is still noted (a fixed table of hashes), so a stream of messages
 * that never repeat costs a hash each, not an insertion and an eviction. Keys are
 * fresh copies: no caller's string is pinned.
 */

export interface ExactMatch<T> {
  value: T;
  stamp: number;
  /** The message's tokens, so a repeat need not split it again. */
  words: readonly string[];
}

export interface ExactMatches<T> {
  /** What was remembered for `masked`. */
  get(masked: string): ExactMatch<T> | undefined;
  /**
   * Remember `value` for `masked` (`known`: what get gave for it). `words`: masked
   * split on spaces, joined afresh for the key (`masked` may be a slice of a longer string).
   */
  set(known: ExactMatch<T> | undefined, masked: string, words: readonly string[], value: T, stamp: number): void;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function hashOf(text: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h;
}

export function createExactMatches<T>(capacity: number, maxChars: number): ExactMatches<T> {
  const entries = new Map<string, ExactMatch<T>>();
  /** Keys in the order they came (a ring): eviction without iterating the map. */
  const order = new Array<string | undefined>(capacity);
  let next = 0;
  /** Hashes of messages seen once, direct mapped; 2 × capacity slots. */
  const sightings = new Int32Array(2 ** Math.ceil(Math.log2(2 * capacity)));

  return {
    get: (masked) => entries.get(masked),
    set(known, masked, words, value, stamp) {
      if (known !== undefined) {
        known.value = value;
        known.stamp = stamp;
        return;
      }
      if (masked.length > maxChars) return;
      const hash = hashOf(masked);
      const at = hash & (sightings.length - 1);
      if (sightings[at] !== hash) {
        sightings[at] = hash;
        return;
      }
      const key = words.join(' ');
      // The tokens again, as slices of the fresh key: they pin nothing but it.
      let from = 0;
      const own = words.map((w) => {
        const t = key.slice(from, from + w.length);
        from += w.length + 1;
        return t;
      });
      const oldest = order[next];
      if (oldest !== undefined) entries.delete(oldest);
      entries.set(key, { value, stamp, words: own });
      order[next] = key;
      next = (next + 1) % capacity;
    },
  };
}
