import { describe, expect, it } from 'vitest';
import { createTokenMemo } from '../../src/pipeline/token-memo.js';

/** A masker that counts its calls: upper-cases tokens holding a digit, keeps the others. */
function countingMasker(): { maskOf: (token: string) => string; calls: () => number } {
  let calls = 0;
  return {
    maskOf: (token) => {
      calls++;
      return /\d/.test(token) ? token.toUpperCase() : token;
    },
    calls: () => calls,
  };
}

describe('token memo', () => {
  it('masks a token once and answers its repeats, wherever they sit in a message, from the memo', () => {
    const memo = createTokenMemo(64, 16);
    const masker = countingMasker();
    expect(memo.masked('see id7x here', 4, 8, masker.maskOf)).toBe('ID7X');
    expect(memo.masked('id7x', 0, 4, masker.maskOf)).toBe('ID7X');
    expect(masker.calls()).toBe(1);
  });

  it('gives null for a token that masks to itself', () => {
    const memo = createTokenMemo(64, 16);
    const masker = countingMasker();
    expect(memo.masked('plain', 0, 5, masker.maskOf)).toBeNull();
    expect(memo.masked('plain', 0, 5, masker.maskOf)).toBeNull();
    expect(masker.calls()).toBe(1);
  });

  it('stays right when tokens share a slot: the newest holds it, the others are masked again', () => {
    // One slot: every token collides.
    const memo = createTokenMemo(1, 16);
    const masker = countingMasker();
    const tokens = ['a1', 'b2', 'a1', 'a1', 'b2', 'ab', 'a1'];
    expect(tokens.map((t) => memo.masked(t, 0, t.length, masker.maskOf))).toEqual(['A1', 'B2', 'A1', 'A1', 'B2', null, 'A1']);
    expect(masker.calls()).toBe(6);
  });

  it('does not take a token for another of the same length and slot', () => {
    const memo = createTokenMemo(1, 16);
    const masker = countingMasker();
    expect(memo.masked('x12', 0, 3, masker.maskOf)).toBe('X12');
    expect(memo.masked('y12', 0, 3, masker.maskOf)).toBe('Y12');
    expect(memo.masked('x1', 0, 2, masker.maskOf)).toBe('X1');
  });

  it('masks tokens longer than its key length every time, and keeps none of them', () => {
    const memo = createTokenMemo(64, 4);
    const masker = countingMasker();
    expect(memo.masked('abc123', 0, 6, masker.maskOf)).toBe('ABC123');
    expect(memo.masked('abc123', 0, 6, masker.maskOf)).toBe('ABC123');
    expect(masker.calls()).toBe(2);
  });

  it('handles tokens outside the Basic Latin range', () => {
    const memo = createTokenMemo(64, 16);
    const masker = countingMasker();
    expect(memo.masked('é1😀', 0, 4, masker.maskOf)).toBe('É1😀');
    expect(memo.masked('é1😀', 0, 4, masker.maskOf)).toBe('É1😀');
    expect(masker.calls()).toBe(1);
  });

  it('rejects a slot count that is not a power of two', () => {
    expect(() => createTokenMemo(1000, 16)).toThrow(RangeError);
  });
});
