import { describe, expect, it } from 'vitest';
import { createMemoryServiceAdmission } from '../../src/store/service-admission.js';

const HOUR = 3_600_000;

describe('memory service admission', () => {
  it('admits new services up to the cap, refuses the rest, and always admits known ones', async () => {
    let clock = 0;
    const admission = createMemoryServiceAdmission({ limits: { maxServices: 2, serviceIdleTtlMs: HOUR }, now: () => clock });
    expect(await admission.admit(['a', 'b', 'c'])).toEqual({ refused: ['c'], known: 2 });
    clock += 1000;
    expect(await admission.admit(['d', 'a', 'b'])).toEqual({ refused: ['d'], known: 2 });
  });

  it('frees the slots of idle services: by the sweep, or at once when a new service finds the cap reached', async () => {
    let clock = 0;
    const admission = createMemoryServiceAdmission({ limits: { maxServices: 2, serviceIdleTtlMs: HOUR }, now: () => clock });
    await admission.admit(['a', 'b']);
    clock = HOUR / 2;
    await admission.admit(['a']);
    clock = HOUR + 1;
    // b is idle, a is not: the new service takes b's slot.
    expect(await admission.admit(['c'])).toEqual({ refused: [], known: 2 });
    expect(await admission.admit(['d'])).toEqual({ refused: ['d'], known: 2 });
    clock = 3 * HOUR;
    expect(await admission.forgetIdle(clock - HOUR)).toBe(2);
    expect(await admission.admit(['d'])).toEqual({ refused: [], known: 1 });
  });
});
