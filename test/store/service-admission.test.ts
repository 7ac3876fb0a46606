import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createMemoryPatternStore } from '../../src/store/memory-pattern-store.js';
import { createMemoryServiceAdmission } from '../../src/store/service-admission.js';

const HOUR = 3_600_000;
const logger = pino({ level: 'silent' });

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

  it('keeps its slots in the memory store snapshot, so a restart neither forgets them nor admits past the cap', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'anomalog-admission-'));
    const limits = { maxServices: 2, serviceIdleTtlMs: HOUR };
    const first = await createMemoryPatternStore({ dataDir: dir, snapshotIntervalSeconds: 3600, logger });
    const before = createMemoryServiceAdmission({ limits, attachState: (name, provide) => first.attachState(name, provide) });
    expect(await before.admit(['a', 'b'])).toEqual({ refused: [], known: 2 });
    await first.close();
    const second = await createMemoryPatternStore({ dataDir: dir, snapshotIntervalSeconds: 3600, logger });
    const after = createMemoryServiceAdmission({ limits, attachState: (name, provide) => second.attachState(name, provide) });
    expect(await after.admit(['c', 'a'])).toEqual({ refused: ['c'], known: 2 });
    await second.close();
    await rm(dir, { recursive: true, force: true });
  });
});
