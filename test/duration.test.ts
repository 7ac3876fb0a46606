import { describe, expect, it } from 'vitest';
import { parseDuration } from '../src/duration.js';

describe('parseDuration', () => {
  it('reads seconds, minutes, hours, days and weeks', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('2w')).toBe(1_209_600_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
  });
  it('rejects anything else with a message naming the input', () => {
    expect(() => parseDuration('7')).toThrow(/"7" is not a duration/);
    expect(() => parseDuration('1y')).toThrow(RangeError);
    expect(() => parseDuration('')).toThrow(RangeError);
  });
});
