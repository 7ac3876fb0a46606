import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { createLocalEmbedder } from '../../src/embeddings/local-embedder.js';
import type { Level, LogEntry } from '../../src/log-entry.js';
import { createDetector } from '../../src/pipeline/detector.js';
import { createMemoryPatternStore, type MemoryPatternStore } from '../../src/store/memory-pattern-store.js';
import type { PatternStore } from '../../src/store/pattern-store.js';

const logger = pino({ level: 'silent' });
const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const MIN = 60_000;

/** The documented defaults. */
const config = loadConfig({}).detection;
const limits = loadConfig({}).limits;

function entry(message: string, time: number, level: Level = 'info', service = 'payment-gateway'): LogEntry {
  return { time, service, level, message, traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), attributes: {}, resource: { 'service.name': service }, scope: '' };
}

const NORMAL = [
  'User 1234 logged in from 10.0.0.1',
  'Payment 88 authorised for order 9912',
  'GET /api/orders/17 returned 200 in 12 ms',
];

let dir: string;
let store: MemoryPatternStore;
let clock: number;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'anomalog-detector-'));
  store = await createMemoryPatternStore({ dataDir: dir, snapshotIntervalSeconds: 3600, logger });
  clock = T0;
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

function detector(overrides: Partial<Config['detection']> = {}, s: PatternStore = store, registry?: Registry) {
  return createDetector({ config: { ...config, ...overrides }, limits, store: s, embedder: createLocalEmbedder(), now: () => clock, logger, ...(registry ? { registry } : {}) });
}

/** A service that logged NORMAL for the whole learning period. */
async function matured(d = detector()) {
  const entries = [];
  for (let m = 0; m <= 61; m += 1) for (const msg of NORMAL) entries.push(entry(msg.replace('1234', String(m)), T0 + m * MIN));
  clock = T0 + 62 * MIN;
  expect(await d.process(entries)).toEqual([]);
  return d;
}

describe('detector: new patterns', () => {
  it('raises a template that names another enum constant than its nearest known one, however close the text', async () => {
    const d = detector();
    const entries = [];
    for (let m = 0; m <= 61; m += 1) {
      for (const msg of NORMAL) entries.push(entry(msg.replace('1234', String(m)), T0 + m * MIN));
      entries.push(entry(`Job ${m} attempt state changed from RUNNING to SUCCEEDED`, T0 + m * MIN));
    }
    clock = T0 + 62 * MIN;
    expect(await d.process(entries)).toEqual([]);
    const found = await d.process([entry('Job 99 attempt state changed from RUNNING to FAILED', clock, 'error')]);
    expect(found.map((a) => a.kind)).toEqual(['new_pattern']);
    expect(await d.process([entry('Job 100 attempt state changed from RUNNING to SUCCEEDED', clock, 'error')])).toEqual([]);
  });

  it('raises a new ERROR pattern after the learning period, with a readable reason, once', async () => {
    const d = await matured();
    const msg = 'Card processor visa-eu timed out after 3000 ms';
    const found = await d.process([entry(msg, clock, 'error'), entry('Card processor visa-us timed out after 2500 ms', clock, 'error')]);
    expect(found).toHaveLength(1);
    const a = found[0]!;
    expect(a.kind).toBe('new_pattern');
    expect(a.level).toBe('error');
    expect(a.service).toBe('payment-gateway');
    expect(a.message).toBe(msg);
    expect(a.samples).toHaveLength(2);
    expect(a.reason).toMatch(/^New ERROR pattern in payment-gateway, unlike any of its 3 known patterns \(nearest similarity 0\.\d\d\): 'Card processor/);
    expect(a.score).toBeGreaterThan(0.4);
    expect(a.score).toBeLessThanOrEqual(1);
    expect(a.traceId).toBe('ab'.repeat(16));
    expect(await d.process([entry('Card processor visa-eu timed out after 10 ms', clock, 'error')])).toEqual([]);
  });

  it('stays quiet during the learning period and for new patterns below the minimum level', async () => {
    const d = detector();
    expect(await d.process([entry('User 1 logged in from 10.0.0.1', T0)])).toEqual([]);
    clock = T0 + 10 * MIN;
    expect(await d.process([entry('Disk almost full on /var', clock, 'error')])).toEqual([]);
    clock = T0 + 70 * MIN;
    expect(await d.process([entry('Cache warmed with 300 keys', clock, 'info')])).toEqual([]);
    expect(await d.process([entry('Replica lag exceeds 30 seconds', clock, 'warn')])).toHaveLength(1);
  });

  it('scores fatal above error above warn for equally novel patterns', async () => {
    const d = await matured();
    const [fatal] = await d.process([entry('Kernel panic in scheduler subsystem', clock, 'fatal')]);
    const [error] = await d.process([entry('Ledger reconciliation mismatch detected', clock, 'error')]);
    const [warn] = await d.process([entry('Certificate rotation postponed by operator', clock, 'warn')]);
    expect(fatal!.score).toBeGreaterThan(error!.score);
    expect(error!.score).toBeGreaterThan(warn!.score);
  });

  it('raises a new exception whose stack trace has the same frames as a known one', async () => {
    const d = await matured();
    const frames = Array.from({ length: 12 }, (_v, i) => `\tat com.example.checkout.Service${i}.handle(Service${i}.java:${40 + i})`).join('\n');
    const known = [1, 2, 3].map((i) => entry(`java.net.SocketTimeoutException: Read timed out after ${i} ms\n${frames}`, clock, 'error'));
    expect((await d.process(known)).map((a) => a.kind)).toEqual(['new_pattern']);
    for (const headline of ['java.lang.IllegalStateException: Connection pool exhausted for tenant 42', 'java.io.IOException: No space left on device']) {
      const [found] = await d.process([entry(`${headline}\n${frames}`, clock, 'error')]);
      expect(found?.kind).toBe('new_pattern');
    }
  });

  it('treats a template close to a known pattern as that pattern, not a new one', async () => {
    const d = await matured();
    const [first] = await d.process([entry('Connection to ledger database lost, retrying in 5 s', clock, 'error')]);
    expect(first?.kind).toBe('new_pattern');
    // Different token count, so the miner makes a new template; the embedding joins it to the
    // pattern, since what it adds is a value, not a word (a new word would make it a new statement).
    const again = await d.process([entry('Connection to ledger database lost, retrying in 5 s #3', clock, 'error')]);
    expect(again).toEqual([]);
    const patterns = await store.list('payment-gateway');
    expect(patterns).toHaveLength(4);
    expect(patterns.find((p) => p.id === first!.patternId)?.templates).toBe(2);
  });

  it('never alerts on a muted pattern', async () => {
    const d = await matured();
    await d.process([entry('Fraud check service unavailable', clock, 'info')]);
    const [pattern] = (await store.list('payment-gateway')).filter((p) => p.template.startsWith('Fraud'));
    expect(await store.mute(pattern!.id, null)).toBe(true);
    for (let i = 0; i < 100; i++) await d.process([entry('Fraud check service unavailable', clock, 'error')]);
    clock += 20 * MIN;
    const burst = Array.from({ length: 500 }, () => entry('Fraud check service unavailable', clock, 'error'));
    expect(await d.process(burst)).toEqual([]);
    // The Postgres mirror must not undo the mute.
    expect(d.drainPatternChanges().find((p) => p.id === pattern!.id)).toMatchObject({ muted: true, mutedUntil: null });
  });

  it('learn() teaches patterns without alerts and ends the learning period', async () => {
    const d = detector();
    await d.learn([entry('Nightly batch finished with 0 errors', T0, 'warn')]);
    expect((await store.loadService('payment-gateway')).state.learned).toBe(true);
    expect(await d.process([entry('Nightly batch finished with 3 errors', T0 + 1000, 'warn')])).toEqual([]);
    const found = await d.process([entry('Settlement file rejected by acquiring bank', T0 + 2000, 'error')]);
    expect(found.map((a) => a.kind)).toEqual(['new_pattern']);
  });

  it('still reports a new pattern when the export is retried after a store failure', async () => {
    let fail = false;
    const flaky: PatternStore = {
      ...store,
      record: (...args) => {
        if (fail) {
          fail = false;
          return Promise.reject(new Error('connection lost'));
        }
        return store.record(...args);
      },
    };
    const d = await matured(detector({}, flaky));
    fail = true;
    const batch = [entry('Refund queue consumer crashed', clock, 'fatal')];
    await expect(d.process(batch)).rejects.toThrow('connection lost');
    const found = await d.process(batch);
    expect(found.map((a) => [a.kind, a.level])).toEqual([['new_pattern', 'fatal']]);
  });

  it('embeds only new templates: known ones cost a lookup', async () => {
    const local = createLocalEmbedder();
    const embedded: string[] = [];
    const counting = { model: local.model, dimensions: local.dimensions, embed: (texts: string[]) => (embedded.push(...texts), local.embed(texts)) };
    const d = createDetector({ config, limits, store, embedder: counting, now: () => clock, logger });
    await d.learn(NORMAL.map((m) => entry(m, clock)));
    expect(embedded).toHaveLength(3);
    await d.process(Array.from({ length: 300 }, (_, i) => entry(NORMAL[i % 3]!.replace('1234', String(i)), clock)));
    expect(embedded).toHaveLength(3);
  });

  it('counts anomalies by kind in anomalog_anomalies_total', async () => {
    const registry = new Registry();
    const d = await matured(detector({}, store, registry));
    await d.process([entry('Token signing key missing', clock, 'error')]);
    expect(await registry.getSingleMetricAsString('anomalog_anomalies_total')).toMatch(/anomalog_anomalies_total\{kind="new_pattern"\} 1/);
  });

  it('reports created and changed patterns once through drainPatternChanges', async () => {
    const d = await matured();
    const first = d.drainPatternChanges();
    expect(first.map((p) => p.template).sort()).toHaveLength(3);
    expect(first[0]!.centroid.length).toBeGreaterThan(0);
    expect(d.drainPatternChanges()).toEqual([]);
  });
});

describe('detector: frequency spikes', () => {
  /** `perWindow[i]` records of one pattern in window i, starting at T0. */
  async function history(d: ReturnType<typeof detector>, perWindow: number[], message = 'Retrying payment 12 after 3 ms'): Promise<void> {
    for (let w = 0; w < perWindow.length; w++) {
      clock = T0 + w * MIN + 30_000;
      const batch = Array.from({ length: perWindow[w]! }, () => entry(message, clock, 'warn'));
      if (w === 0) await d.learn(batch);
      else if (batch.length > 0) expect(await d.process(batch)).toEqual([]);
    }
  }

  it('fires within the window as the count grows past the baseline, once per window', async () => {
    const d = detector({ learningPeriodSeconds: 0 });
    await history(d, [10, 12, 9, 11, 10, 10]);
    clock = T0 + 6 * MIN + 1000;
    const spikeBatch = () => Array.from({ length: 40 }, () => entry('Retrying payment 12 after 3 ms', clock, 'warn'));
    expect(await d.process(spikeBatch())).toEqual([]); // 40: 4x, not yet
    const found = await d.process(spikeBatch()); // 80: 8x
    expect(found).toHaveLength(1);
    const spike = found[0]!;
    expect(spike.kind).toBe('frequency_spike');
    expect(spike.count).toBe(80);
    expect(spike.reason).toMatch(/^WARN pattern in payment-gateway logged 80 times in the current 60s window, \d+\.\dx its baseline of 10\.\d/);
    expect(await d.process(spikeBatch())).toEqual([]);
    clock = T0 + 7 * MIN + 1000;
    const next = await d.process([...spikeBatch(), ...spikeBatch(), ...spikeBatch()]);
    expect(next.map((a) => a.id)).not.toContain(spike.id);
  });

  it('does not count learned history as a burst in the current window', async () => {
    const d = detector({ learningPeriodSeconds: 0 });
    await history(d, [10, 10, 10, 10, 10, 10]);
    clock = T0 + 6 * MIN + 1000;
    await d.learn(Array.from({ length: 1000 }, () => entry('Retrying payment 12 after 3 ms', clock, 'warn')));
    expect(await d.process(Array.from({ length: 10 }, () => entry('Retrying payment 12 after 3 ms', clock, 'warn')))).toEqual([]);
  });

  it('does not fire for a pattern that is always bursty, but does for a steady one at the same count', async () => {
    const bursty = detector({ learningPeriodSeconds: 0 });
    await history(bursty, [60, 0, 0, 0, 0, 55, 0, 0, 0, 0, 50, 0, 0, 0, 0, 0, 0, 0]);
    clock = T0 + 18 * MIN + 1000;
    const burst = () => Array.from({ length: 60 }, () => entry('Retrying payment 12 after 3 ms', clock, 'warn'));
    expect((await bursty.process(burst())).map((a) => a.reason)).toEqual([]);

    const steady = detector({ learningPeriodSeconds: 0 }, await createMemoryPatternStore({ dataDir: join(dir, 'steady'), snapshotIntervalSeconds: 3600, logger }));
    await history(steady, [1, 8, 9, 10, 9, 8, 10, 9, 8, 10, 9, 8, 9, 10, 9, 8, 9, 10]);
    clock = T0 + 18 * MIN + 1000;
    expect((await steady.process(burst())).map((a) => a.kind)).toEqual(['frequency_spike']);
  });

  it('needs a few windows of history before a pattern can spike', async () => {
    const d = detector({ learningPeriodSeconds: 0 });
    await history(d, [1]);
    clock = T0 + MIN + 1000;
    expect(await d.process(Array.from({ length: 500 }, () => entry('Retrying payment 12 after 3 ms', clock, 'warn')))).toEqual([]);
  });

  it('counts empty windows in the baseline, so a burst after a quiet spell of a steady pattern fires', async () => {
    const d = detector({ learningPeriodSeconds: 0 });
    await history(d, [20, 20, 20, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    clock = T0 + 19 * MIN + 1000;
    const found = await d.process(Array.from({ length: 60 }, () => entry('Retrying payment 12 after 3 ms', clock, 'warn')));
    expect(found.map((a) => a.kind)).toEqual(['frequency_spike']);
  });
});
