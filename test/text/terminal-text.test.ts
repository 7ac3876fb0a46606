import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { terminalJson, terminalText } from '../../src/text/terminal-text.js';

// eslint-disable-next-line no-control-regex -- the characters a terminal would interpret
const INTERPRETED = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('terminalText', () => {
  it('shows ESC, other C0 controls, DEL and C1 controls as \\xHH', () => {
    expect(terminalText('\u001b[31mred\u001b[0m')).toBe('\\x1b[31mred\\x1b[0m');
    expect(terminalText('a\tb\nc\rd\u0000e\u0007')).toBe('a\\x09b\\x0ac\\x0dd\\x00e\\x07');
    expect(terminalText('del\u007f csi\u009b nel\u0085')).toBe('del\\x7f csi\\x9b nel\\x85');
  });

  it('shows bidi overrides and isolates as \\uHHHH', () => {
    expect(terminalText('user \u202eexe.txt')).toBe('user \\u202eexe.txt');
    expect(terminalText('\u2066x\u2069 \u202a\u202b\u202c\u202d \u2067\u2068')).toBe('\\u2066x\\u2069 \\u202a\\u202b\\u202c\\u202d \\u2067\\u2068');
  });

  it('leaves ordinary text, accents, other scripts and emoji as they are (same string)', () => {
    const text = 'payment ÿ failed: 支付失败 — שגיאה 😀 \\x1b literal';
    expect(terminalText(text)).toBe(text);
  });

  it('leaves nothing a terminal would interpret', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(INTERPRETED.test(terminalText(s))).toBe(false);
      }),
    );
  });
});

describe('terminalJson', () => {
  it('escapes what JSON.stringify leaves raw (DEL, C1, bidi) and parses back to the same value', () => {
    const value = { template: 'a\u001b[2Jb\u009b\u202e\u2066c\u007f', n: 1 };
    const text = terminalJson(value, 2);
    expect(text).toContain('\\u001b');
    expect(text).toContain('\\u009b');
    expect(text).toContain('\\u202e');
    expect(text).toContain('\\u007f');
    expect(JSON.parse(text)).toEqual(value);
  });

  it('never prints an interpreted character and always round-trips', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (value, s) => {
        const doc = { value, s };
        const text = terminalJson(doc);
        expect(INTERPRETED.test(text)).toBe(false);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(doc)));
      }),
    );
  });
});
