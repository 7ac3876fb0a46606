/** The console's read models: sparkline windows and learning state. */
import { describe, expect, it } from 'vitest';
import { learningOf, windowStarts } from '../../src/service/console-views.js';

describe('console views', () => {
  it('asks for the windows ending with the current one, oldest first, on window boundaries', () => {
    expect(windowStarts(125_000, 60_000, 3)).toEqual([0, 60_000, 120_000]);
    expect(windowStarts(120_000, 60_000, 1)).toEqual([120_000]);
  });

  it('says a service is learning until its first record plus the learning period, then learned', () => {
    const period = 600_000;
    expect(learningOf({ firstSeen: 1_000, learned: false }, period, 2_000)).toEqual({ learned: false, learningUntil: 601_000 });
    expect(learningOf({ firstSeen: 1_000, learned: false }, period, 601_000)).toEqual({ learned: true, learningUntil: null });
    expect(learningOf({ firstSeen: 1_000, learned: true }, period, 2_000)).toEqual({ learned: true, learningUntil: null });
    expect(learningOf({ firstSeen: null, learned: false }, period, 2_000)).toEqual({ learned: false, learningUntil: null });
  });
});
