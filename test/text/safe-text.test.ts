import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CUT_MARKER, cutText, safeText } from '../../src/text/safe-text.js';
import { unstorable } from './unstorable-text.js';

describe('safeText', () => {
  it('replaces NUL and unpaired surrogates with U+FFFD and keeps pairs', () => {
    expect(safeText('a\u0000b')).toBe('a\ufffdb');
    expect(safeText('x\ud800')).toBe('x\ufffd');
    expect(safeText('\udc00y')).toBe('\ufffdy');
    expect(safeText('\udc00\ud800')).toBe('\ufffd\ufffd');
    expect(safeText('ok 😀')).toBe('ok 😀');
  });

  it('makes any string well-formed and leaves well-formed text unchanged', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const out = safeText(s);
        expect(unstorable(out)).toBe(false);
        expect(out.length).toBe(s.length);
        if (!unstorable(s)) expect(out).toBe(s);
      }),
    );
  });
});

describe('cutText', () => {
  it('keeps short text and cuts long text to the limit with a marker', () => {
    expect(cutText('short', 10)).toBe('short');
    const cut = cutText('x'.repeat(100), 20);
    expect(cut.length).toBe(20);
    expect(cut.endsWith(CUT_MARKER)).toBe(true);
  });

  it('never leaves half a surrogate pair', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.integer({ min: 10, max: 100 }), (s, max) => {
        const out = cutText(s, max);
        expect(out.length).toBeLessThanOrEqual(Math.max(max, s.length <= max ? s.length : 0));
        expect(unstorable(out)).toBe(false);
      }),
    );
  });
});
