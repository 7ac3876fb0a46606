/** Deterministic pseudo-random data for the benches: the same on every machine. */

/** One step of a 32-bit linear congruential generator. */
function step(x: number): number {
  return (Math.imul(x, 1103515245) + 12345) >>> 0;
}

/** Deterministic letters-only words (values with digits would be masked or treated as variables). */
export function syntheticWord(seed: number): string {
  let x = seed;
  let word = '';
  for (let i = 0; i < 7; i++) {
    x = step(x);
    word += String.fromCharCode(97 + (x >>> 16) % 26);
  }
  return word;
}

/** `n` distinct messages of 4 to 12 such words: each a new template, most in one overflow bucket per length (a worst case). */
export function syntheticMessages(n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const length = 4 + (i % 9);
    return Array.from({ length }, (_, j) => syntheticWord(i * 131 + j * 7919 + 1)).join(' ');
  });
}

/** A seeded Fisher–Yates shuffle of 0..n-1. */
export function shuffled(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  let x = seed;
  for (let i = n - 1; i > 0; i--) {
    x = step(x);
    const j = Math.floor((x / 2 ** 32) * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}
