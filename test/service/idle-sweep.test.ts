import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { startIdleSweep, sweepIntervalMs } from '../../src/service/idle-sweep.js';

const logger = pino({ level: 'silent' });

describe('idle service sweep', () => {
  it('asks every part to forget what was idle since now − TTL, counts it per part, and goes on past a failing part', async () => {
    const registry = new Registry();
    const asked: Array<[string, number]> = [];
    const sweep = startIdleSweep({
      ttlMs: 1_000,
      now: () => 50_000,
      logger,
      registry,
      intervalMs: 3_600_000,
      parts: [
        { name: 'admission', forgetIdle: async (before) => (asked.push(['admission', before]), Promise.reject(new Error('redis down'))) },
        { name: 'detector', forgetIdle: async (before) => (asked.push(['detector', before]), 2) },
      ],
    });
    try {
      await sweep.sweep();
      expect(asked).toEqual([['admission', 49_000], ['detector', 49_000]]);
      const text = await registry.getSingleMetricAsString('anomalog_idle_services_forgotten_total');
      expect(text).toContain('anomalog_idle_services_forgotten_total{part="detector"} 2');
      expect(text).not.toContain('part="admission"');
    } finally {
      sweep.stop();
    }
  });

  it('sweeps on a timer, a tenth of the TTL apart within 1 s … 1 min', async () => {
    expect(sweepIntervalMs(7 * 86_400_000)).toBe(60_000);
    expect(sweepIntervalMs(2_000)).toBe(1_000);
    let passes = 0;
    const sweep = startIdleSweep({ ttlMs: 1_000, logger, registry: new Registry(), intervalMs: 20, parts: [{ name: 'detector', forgetIdle: async () => (passes++, 0) }] });
    try {
      await new Promise((r) => setTimeout(r, 200));
      expect(passes).toBeGreaterThanOrEqual(2);
    } finally {
      sweep.stop();
    }
  });
});
