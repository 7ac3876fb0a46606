/**
 * A fixed-size memo of token → masked token, looked up by a range of the message so
 * that a token seen before costs neither a substring nor a classification. Direct
 * mapped: a slot holds the last token hashing to it, so memory is fixed whatever
 * the traffic (slots × maxLength chars of keys, plus one short value per slot). Keys
 * are copied into one char buffer and values are made from a copy of the token, so
 * no message is kept alive by the memo.
 */

export interface TokenMemo {
  /**
   * The masked form of text[start, end), or null when the token masks to itself.
   * `maskOf` computes it on a miss; it must be a pure function of the token.
   */
  masked(text: string, start: number, end: number, maskOf: (token: string) => string): string | null;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

export function createTokenMemo(slots: number, maxLength: number): TokenMemo {
  if (!Number.isInteger(Math.log2(slots))) throw new RangeError('slots must be a power of two');
  const keys = new Uint16Array(slots * maxLength);
  /** Key length per slot; 0 marks an empty slot (empty tokens are never looked up). */
  const lengths = new Uint16Array(slots);
  const hashes = new Int32Array(slots);
  const values: Array<string | null> = new Array<string | null>(slots).fill(null);

  function hashOf(text: string, start: number, end: number): number {
    let h = FNV_OFFSET;
    for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
    return h;
  }

  function holds(slot: number, text: string, start: number, end: number): boolean {
    const base = slot * maxLength;
    for (let i = start; i < end; i++) if (keys[base + i - start] !== text.charCodeAt(i)) return false;
    return true;
  }

  return {
    masked(text, start, end, maskOf) {
      const length = end - start;
      if (length > maxLength) {
        const token = text.slice(start, end);
        const masked = maskOf(token);
        return masked === token ? null : masked;
      }
      const hash = hashOf(text, start, end);
      const slot = hash & (slots - 1);
      if (lengths[slot] === length && hashes[slot] === hash && holds(slot, text, start, end)) return values[slot] ?? null;
      const base = slot * maxLength;
      for (let i = 0; i < length; i++) keys[base + i] = text.charCodeAt(start + i);
      // A string of the memo's own chars (apply reads any array-like): what maskOf slices from it cannot pin the message.
      const token = String.fromCharCode.apply(null, keys.subarray(base, base + length) as unknown as number[]);
      const masked = maskOf(token);
      const value = masked === token ? null : masked;
      lengths[slot] = length;
      hashes[slot] = hash;
      values[slot] = value;
      return value;
    },
  };
}
