/**
 * npm run bench:pipeline — the detector's cost, single thread, local embedder,
 * memory store:
 *  1. steady state: Loghub-2k messages (ten systems as ten services) cycled in
 *     exports of 1,000 records once every template is known, through the whole
 *     detector (mask → miner → pattern lookup → counters → detectors); the clock
 *     moves 1 s per export so spike windows roll;
 *  2. the new-template path: messages that each make a new template (embed,
 *     nearest-pattern scan, claim) until 100,000 patterns exist (100 services ×
 *     1,000), in templates/s, and the process RSS once they exist.
 * Each figure is the median of 3 runs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { createLocalEmbedder } from '../src/embeddings/local-embedder.js';
import type { LogEntry } from '../src/log-entry.js';
import { createDetector, type Detector } from '../src/pipeline/detector.js';
import { createMemoryPatternStore, type MemoryPatternStore } from '../src/store/memory-pattern-store.js';
import { loadLoghubSystem, loghubSystems } from './loghub.js';
import { syntheticWord } from './seeded.js';

const EXPORT = 1000;
const STEADY_MESSAGES = 2_000_000;
const SERVICES = 100;
const PATTERNS_PER_SERVICE = 1000;
const RUNS = 3;
const T0 = Date.UTC(2026, 10, 25, 12);

/** The documented defaults. */
const config = loadConfig({}).detection;
const limits = loadConfig({}).limits;
const logger = pino({ level: 'silent' });

// RSS is measured after a full collection, so it counts what the patterns hold, not garbage.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function entry(service: string, message: string, time: number): LogEntry {
  return { time, service, level: 'info', message, traceId: '', spanId: '', attributes: {}, resource: {}, scope: '' };
}

async function withDetector<T>(work: (detector: Detector, clock: { now: number }, store: MemoryPatternStore) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'anomalog-bench-'));
  const store = await createMemoryPatternStore({ dataDir: dir, snapshotIntervalSeconds: 86_400, logger });
  const clock = { now: T0 };
  try {
    return await work(createDetector({ config, limits, store, embedder: createLocalEmbedder(), now: () => clock.now, logger }), clock, store);
  } finally {
    // Closing stops the snapshot timer, which would otherwise keep this run's patterns alive into the next.
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function steadyState(corpus: Array<[string, string]>): Promise<number> {
  return withDetector(async (detector, clock) => {
    const exportOf = (start: number): LogEntry[] => {
      const batch = new Array<LogEntry>(EXPORT);
      for (let i = 0; i < EXPORT; i++) {
        const [service, message] = corpus[(start + i) % corpus.length]!;
        batch[i] = entry(service, message, clock.now);
      }
      return batch;
    };
    // Warm-up: learn every template (and let the JIT settle).
    for (let start = 0; start < corpus.length * 2; start += EXPORT) await detector.learn(exportOf(start));
    const exports: LogEntry[][] = [];
    for (let start = 0; start < corpus.length; start += EXPORT) exports.push(exportOf(start));
    const began = process.hrtime.bigint();
    for (let i = 0; i < STEADY_MESSAGES / EXPORT; i++) {
      const batch = exports[i % exports.length]!;
      clock.now += 1000;
      for (const e of batch) e.time = clock.now;
      await detector.process(batch);
    }
    const seconds = Number(process.hrtime.bigint() - began) / 1e9;
    return STEADY_MESSAGES / seconds;
  });
}

async function newTemplates(): Promise<{ perSecond: number; rssMb: number; heapMb: number; patterns: number }> {
  return withDetector(async (detector, clock, store) => {
    let n = 0;
    const began = process.hrtime.bigint();
    for (let round = 0; round < PATTERNS_PER_SERVICE; round += 10) {
      const batch: LogEntry[] = [];
      for (let s = 0; s < SERVICES; s++) {
        for (let k = 0; k < 10; k++) {
          n++;
          // Letters only (the masker keeps them), so every message is a template of its own.
          batch.push(entry(`svc-${s}`, `${syntheticWord(n)} ${syntheticWord(n + 7e6)} ${syntheticWord(n + 9e6)} failed`, clock.now));
        }
      }
      await detector.learn(batch);
    }
    const seconds = Number(process.hrtime.bigint() - began) / 1e9;
    const patterns = (await store.list()).length;
    collectGarbage();
    const memory = process.memoryUsage();
    return { perSecond: n / seconds, rssMb: memory.rss / 2 ** 20, heapMb: memory.heapUsed / 2 ** 20, patterns };
  });
}

async function main(): Promise<void> {
  const corpus: Array<[string, string]> = [];
  for (const name of loghubSystems()) for (const line of loadLoghubSystem(name).lines) corpus.push([name, line.content]);
  collectGarbage();
  const startRss = process.memoryUsage().rss / 2 ** 20;

  const steady: number[] = [];
  for (let r = 0; r < RUNS; r++) steady.push(await steadyState(corpus));
  const fresh: Array<Awaited<ReturnType<typeof newTemplates>>> = [];
  for (let r = 0; r < RUNS; r++) fresh.push(await newTemplates());

  const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
  console.log(`corpus: ${corpus.length} Loghub-2k messages, ${loghubSystems().length} services; exports of ${EXPORT}`);
  console.log(`steady state (all templates known): ${fmt(median(steady))} messages/s  [runs: ${steady.map(fmt).join(', ')}]`);
  console.log(
    `new-template path: ${fmt(median(fresh.map((f) => f.perSecond)))} templates/s up to ${fmt(fresh[0]!.patterns)} patterns ` +
      `(${SERVICES} services x ${PATTERNS_PER_SERVICE})  [runs: ${fresh.map((f) => fmt(f.perSecond)).join(', ')}]`,
  );
  console.log(
    `memory with ${fmt(fresh[0]!.patterns)} patterns: RSS ${fmt(median(fresh.map((f) => f.rssMb)))} MB, heap ${fmt(median(fresh.map((f) => f.heapMb)))} MB ` +
      `(RSS before any detector: ${fmt(startRss)} MB)`,
  );
}

await main();
