import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLocalEmbedder } from '../../src/embeddings/local-embedder.js';
import type { LogEntry } from '../../src/log-entry.js';
import { createDetector } from '../../src/pipeline/detector.js';
import { createMemoryPatternStore } from '../../src/store/memory-pattern-store.js';

const logger = pino({ level: 'silent' });
const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
/** The documented defaults. */
const config = loadConfig({}).detection;
const limits = loadConfig({}).limits;

function entry(message: string, time: number, level: LogEntry['level'] = 'info'): LogEntry {
  return { time, service: 'orders', level, message, traceId: '', spanId: '', attributes: {}, resource: {}, scope: '' };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'anomalog-memstore-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function open() {
  return createMemoryPatternStore({ dataDir: dir, snapshotIntervalSeconds: 3600, logger });
}

describe('memory pattern store', () => {
  it('keeps patterns, counts, learning state and miners across a restart', async () => {
    const first = await open();
    const d1 = createDetector({ config, limits, store: first, embedder: createLocalEmbedder(), now: () => T0, logger });
    await d1.learn([entry('Order 1 shipped to 10.0.0.1', T0, 'warn'), entry('Order 2 shipped to 10.0.0.2', T0)]);
    expect(await d1.process([entry('Order 3 shipped to 10.0.0.3', T0)])).toEqual([]);
    const before = await first.list('orders');
    expect(before).toHaveLength(1);
    expect(await first.mute(before[0]!.id, T0 + 1000)).toBe(true);
    await first.snapshot();
    await first.close();
    // The second snapshot replaced the first one's vectors file.
    expect((await readdir(dir)).sort()).toEqual([expect.stringMatching(/^patterns-[\w-]+\.vectors$/), 'patterns.json']);

    const second = await open();
    const after = await second.list('orders');
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ id: before[0]!.id, count: 3, level: 'warn', muted: true, mutedUntil: T0 + 1000 });
    expect(Array.from(after[0]!.centroid)).toEqual(Array.from(before[0]!.centroid));
    const loaded = await second.loadService('orders');
    expect(loaded.state).toEqual({ firstSeen: T0, learned: true });
    expect((await second.windowCounts([{ service: 'orders', id: before[0]!.id, windows: [Math.floor(T0 / 60_000) * 60_000] }]))[0]).toEqual([1]);

    // The restarted detector knows the template: no new pattern, no anomaly.
    const d2 = createDetector({ config, limits, store: second, embedder: createLocalEmbedder(), now: () => T0 + 5000, logger });
    expect(await d2.process([entry('Order 3 shipped to 10.0.0.3', T0 + 5000, 'error')])).toEqual([]);
    expect(await d2.process([entry('Warehouse robot arm jammed', T0 + 5000, 'error')])).toHaveLength(1);
    await second.close();
  });

  it('hands the saved miner state back to the detector after a restart', async () => {
    const first = await open();
    const d1 = createDetector({ config, limits, store: first, embedder: createLocalEmbedder(), now: () => T0, logger });
    await d1.learn([entry('Order 1 shipped', T0)]);
    await first.close();
    const second = await open();
    const saved = second.attachState('miners', () => ({})) as Record<string, { templates: Array<{ template: string }> }>;
    expect(saved.orders!.templates.map((t) => t.template)).toEqual(['Order <NUM> shipped']);
    await second.close();
  });

  it('writes the snapshot periodically, not only at close', async () => {
    const store = await createMemoryPatternStore({ dataDir: dir, snapshotIntervalSeconds: 0.05, logger });
    const d = createDetector({ config, limits, store, embedder: createLocalEmbedder(), now: () => T0, logger });
    await d.learn([entry('Order 1 shipped', T0)]);
    await new Promise((r) => setTimeout(r, 200));
    const copy = await open();
    expect(await copy.list('orders')).toHaveLength(1);
    await copy.close();
    await store.close();
  });

  it('refuses to start from a corrupt snapshot rather than forget every pattern', async () => {
    await writeFile(join(dir, 'patterns.json'), '{"version":1,"services":[');
    await expect(open()).rejects.toThrow(/unreadable pattern snapshot/);
  });

  it('starts empty when there is no snapshot, and mute reports unknown patterns', async () => {
    const store = await open();
    expect(await store.list()).toEqual([]);
    expect(await store.mute('nope', null)).toBe(false);
    await store.close();
  });
});
