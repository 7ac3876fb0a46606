import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLocalEmbedder } from '../../src/embeddings/local-embedder.js';
import type { Level, LogEntry } from '../../src/log-entry.js';
import { createDetector, type Detector } from '../../src/pipeline/detector.js';
import { createMemoryPatternStore, type MemoryPatternStore } from '../../src/store/memory-pattern-store.js';

const logger = pino({ level: 'silent' });
const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const DAY = 86_400_000;
const defaults = loadConfig({});

function entry(message: string, level: Level = 'info', service = 'search'): LogEntry {
  return { time: clock, service, level, message, traceId: '', spanId: '', attributes: {}, resource: {}, scope: '' };
}

let dir: string;
let clock: number;
const stores: MemoryPatternStore[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'anomalog-restart-'));
  clock = T0;
});

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

/** A store over `dataDir` (its snapshot loaded, if any) and a detector over it, as `anomalog learn` or `serve` opens them. */
async function open(dataDir: string): Promise<{ store: MemoryPatternStore; detector: Detector }> {
  const store = await createMemoryPatternStore({ dataDir, snapshotIntervalSeconds: 3600, logger, now: () => clock });
  stores.push(store);
  const detector = createDetector({ config: defaults.detection, limits: defaults.limits, store, embedder: createLocalEmbedder(), now: () => clock, logger });
  return { store, detector };
}

/** Closes the store (writing its snapshot with the miners) and opens it again: `anomalog learn`, then `anomalog serve`. */
async function restart(dataDir: string, store: MemoryPatternStore): Promise<{ store: MemoryPatternStore; detector: Detector }> {
  stores.splice(stores.indexOf(store), 1);
  await store.close();
  return open(dataDir);
}

describe('detector: restart between learning and detection', () => {
  it('maps a learned template that generalises on its first message after a restart to its learned pattern', async () => {
    const learnt = await open(dir);
    await learnt.detector.learn([entry('Lease l1 renewed by n2 for p3'), entry('Lease l1 renewed by n2 for p3')]);
    const [pattern] = await learnt.store.list('search');
    expect(pattern?.template).toBe('Lease l1 renewed by n2 for p3');

    const { store, detector } = await restart(dir, learnt.store);
    // New values in every slot: the miner keeps the template's id and makes the slots <*>.
    expect(await detector.process([entry('Lease l4 renewed by n5 for p6', 'error')])).toEqual([]);
    const after = await store.list('search');
    expect(after.map((p) => ({ id: p.id, template: p.template, count: p.count, templates: p.templates }))).toEqual([
      { id: pattern!.id, template: 'Lease <*> renewed by <*> for <*>', count: 3, templates: 1 },
    ]);
  });

  it('detects after a restart exactly as without one: templates generalised or folded later, and a truly new one', async () => {
    const learning = [
      [
        entry('Cache shard s12 rebalanced onto replica'),
        entry('Cache shard s12 rebalanced onto replica'),
        ...['alpha', 'alpha', 'alpha', 'bravo'].map((w) => entry(`Worker ${w} finished rebuilding the search index`)),
      ],
      // Generalises the cache template after its pattern was claimed under its first text.
      [entry('Cache shard s47 rebalanced onto replica')],
    ];
    const detecting = [
      'Cache shard s90 rebalanced onto replica',
      ...['charlie', 'delta', 'echo', 'foxtrot'].map((w) => `Worker ${w} finished rebuilding the search index`),
      'Payment ledger out of balance after nightly settlement',
    ].map((m) => entry(m, 'error'));

    async function run(restarted: boolean) {
      const dataDir = join(dir, restarted ? 'restarted' : 'continuous');
      let opened = await open(dataDir);
      for (const batch of learning) await opened.detector.learn(batch);
      if (restarted) opened = await restart(dataDir, opened.store);
      const anomalies = [];
      for (const e of detecting) anomalies.push(...(await opened.detector.process([e])));
      const patterns = await opened.store.list('search');
      return {
        anomalies: anomalies.map((a) => [a.kind, a.template]),
        patterns: patterns.map((p) => ({ id: p.id, template: p.template, count: p.count, templates: p.templates })),
      };
    }

    const continuous = await run(false);
    expect(continuous.anomalies).toContainEqual(['new_pattern', 'Payment ledger out of balance after nightly settlement']);
    expect(await run(true)).toEqual(continuous);
  });

  it('keeps the saved template map of a service not seen since a restart, and drops it when the service is forgotten', async () => {
    const learnt = await open(dir);
    await learnt.detector.learn([entry('Refund r1 issued', 'info', 'quiet')]);
    const { store, detector } = await restart(dir, learnt.store);
    await detector.process([entry('Charge c1 captured', 'info', 'busy')]);
    const saved = async () => {
      await store.snapshot();
      const snapshot = JSON.parse(await readFile(join(dir, 'patterns.json'), 'utf8')) as { extra: { minerPatterns: Record<string, Record<string, string>> } };
      return Object.entries(snapshot.extra.minerPatterns).map(([service, map]) => [service, Object.keys(map).length]);
    };
    expect((await saved()).sort()).toEqual([
      ['busy', 1],
      ['quiet', 1],
    ]);
    clock += 8 * DAY;
    expect(await detector.forgetIdle(clock - 7 * DAY)).toBe(2);
    expect(await saved()).toEqual([]);
  });
});
