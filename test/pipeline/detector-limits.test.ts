import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLocalEmbedder } from '../../src/embeddings/local-embedder.js';
import type { Level, LogEntry } from '../../src/log-entry.js';
import { batchSources } from '../../src/pipeline/batch-sources.js';
import { createDetector } from '../../src/pipeline/detector.js';
import { OVERFLOW_TEMPLATE } from '../../src/pipeline/scoring.js';
import { createMemoryPatternStore, type MemoryPatternStore } from '../../src/store/memory-pattern-store.js';
import { CUT_MARKER } from '../../src/text/safe-text.js';

const logger = pino({ level: 'silent' });
const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const DAY = 86_400_000;
const defaults = loadConfig({});
/** No learning period: every new pattern of WARN and above is reported. */
const config = { ...defaults.detection, learningPeriodSeconds: 0 };

/** Unrelated sentences: each its own template and its own pattern. */
const DISTINCT = [
  'Kafka consumer group rebalanced after member left',
  'TLS handshake failed: certificate expired yesterday',
  'Disk quota exceeded on volume backing uploads',
  'Scheduler skipped cron job because previous run overlaps',
  'OAuth token refresh rejected by identity provider',
  'Websocket heartbeat missed; closing idle socket',
  'Elasticsearch bulk indexing throttled by circuit breaker',
  'Feature flag evaluation fell back to default variant',
];

function entry(message: string, time: number, level: Level = 'error', service = 'billing'): LogEntry {
  return { time, service, level, message, traceId: '', spanId: '', attributes: {}, resource: {}, scope: '' };
}

let dir: string;
let store: MemoryPatternStore;
let clock: number;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'anomalog-limits-'));
  clock = T0;
  store = await createMemoryPatternStore({ dataDir: dir, snapshotIntervalSeconds: 3600, logger, now: () => clock });
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

function detector(limits: Partial<typeof defaults.limits> = {}) {
  return createDetector({ config, limits: { ...defaults.limits, ...limits }, store, embedder: createLocalEmbedder(), now: () => clock, logger });
}

describe('detector: ANOMALOG_MAX_PATTERNS_PER_SERVICE', () => {
  it('sends new templates past the cap to one overflow pattern and says so in exactly one pattern_limit anomaly', async () => {
    const d = detector({ maxPatternsPerService: 3 });
    const first = await d.process(DISTINCT.slice(0, 3).map((m) => entry(m, clock)));
    expect(first.map((a) => a.kind)).toEqual(['new_pattern', 'new_pattern', 'new_pattern']);

    const past = await d.process(DISTINCT.slice(3, 6).map((m) => entry(m, clock)));
    expect(past.map((a) => a.kind)).toEqual(['pattern_limit']);
    const limit = past[0]!;
    expect(limit.reason).toContain('ANOMALOG_MAX_PATTERNS_PER_SERVICE=3');
    expect(limit.reason).toContain('billing');
    expect(limit.count).toBe(3);

    // More new templates, and the same ones again: counted, never announced again.
    expect(await d.process(DISTINCT.slice(5).map((m) => entry(m, clock)))).toEqual([]);
    const patterns = await store.list('billing');
    expect(patterns).toHaveLength(4);
    const overflow = patterns.find((p) => p.template === OVERFLOW_TEMPLATE)!;
    expect(overflow.id).toBe(limit.patternId);
    expect(overflow.count).toBe(6);
    expect(overflow.templates).toBe(5);
  });

  it('does not announce the limit again after a restart, and re-emits the same anomaly for a redelivered batch', async () => {
    const d = detector({ maxPatternsPerService: 1 });
    await d.process([entry(DISTINCT[0]!, clock)]);
    const batch = [entry(DISTINCT[1]!, clock)];
    const [limit] = await d.process(batch, batchSources([{ source: '3/1700000000000-0', entries: batch }]));
    expect(limit?.kind).toBe('pattern_limit');
    // A worker that crashed before acknowledging: the batch comes again, the anomaly id is the same.
    const again = await detector({ maxPatternsPerService: 1 }).process(batch, batchSources([{ source: '3/1700000000000-0', entries: batch }]));
    expect(again.map((a) => a.id)).toEqual([limit!.id]);
    expect(await detector({ maxPatternsPerService: 1 }).process([entry(DISTINCT[2]!, clock)])).toEqual([]);
  });
});

describe('detector: ANOMALOG_MAX_STORED_CHARS', () => {
  it('never keeps a 1 MB line whole: anomaly message, samples, pattern example and template are cut with a marker', async () => {
    const max = defaults.limits.maxStoredChars;
    const huge = `Core dump written ${'frame '.repeat(180_000)}`;
    expect(huge.length).toBeGreaterThan(1_000_000);
    const d = detector();
    const [anomaly] = await d.process([entry(huge, clock), entry(huge, clock)]);
    expect(anomaly?.kind).toBe('new_pattern');
    expect(anomaly!.message.length).toBeLessThanOrEqual(max);
    expect(anomaly!.message.endsWith(CUT_MARKER)).toBe(true);
    expect(anomaly!.samples).toHaveLength(2);
    for (const sample of anomaly!.samples) expect(sample.length).toBeLessThanOrEqual(max);
    const [pattern] = await store.list('billing');
    expect(pattern!.example.length).toBeLessThanOrEqual(max);
    expect(pattern!.example.startsWith('Core dump written frame')).toBe(true);
    expect(pattern!.template.length).toBeLessThanOrEqual(max);

    await store.snapshot();
    const snapshot = await readFile(join(dir, 'patterns.json'), 'utf8');
    expect(snapshot.length).toBeLessThan(100_000);
  });

  it('cuts a template the masking made longer than the limit', async () => {
    // "1 " masks to "<NUM> ": the template is longer than the message.
    const d = detector({ maxStoredChars: 500 });
    await d.process([entry(`Retry counters ${'1 '.repeat(300)}`, clock)]);
    const [pattern] = await store.list('billing');
    expect(pattern!.template.length).toBeLessThanOrEqual(500);
    expect(pattern!.template.endsWith(CUT_MARKER)).toBe(true);
  });
});

describe('detector: ANOMALOG_SERVICE_IDLE_TTL', () => {
  it('forgets an idle service everywhere (detector, store, snapshot, saved miner) and keeps a live one', async () => {
    const d = detector();
    await d.process([entry('Invoice 12 sent to customer 7', clock, 'info', 'idle-svc'), entry('Invoice 13 sent to customer 8', clock, 'info', 'live-svc')]);
    clock += 6 * DAY;
    await d.process([entry('Invoice 14 sent to customer 9', clock, 'info', 'live-svc')]);
    clock += 2 * DAY;

    expect(await d.forgetIdle(clock - 7 * DAY)).toBe(1);
    expect(await store.list('idle-svc')).toEqual([]);
    expect(await store.list('live-svc')).toHaveLength(1);
    expect(d.drainPatternChanges().map((p) => p.service)).not.toContain('idle-svc');
    await store.snapshot();
    const snapshot = JSON.parse(await readFile(join(dir, 'patterns.json'), 'utf8')) as {
      services: Array<{ service: string }>;
      patterns: Array<{ service: string }>;
      extra: { miners: Record<string, unknown> };
    };
    expect(snapshot.services.map((s) => s.service)).toEqual(['live-svc']);
    expect(snapshot.patterns.map((p) => p.service)).toEqual(['live-svc']);
    expect(Object.keys(snapshot.extra.miners)).toEqual(['live-svc']);

    // Back after being forgotten: a new service again, with a new learning period.
    await d.process([entry('Invoice 15 sent to customer 1', clock, 'info', 'idle-svc')]);
    expect((await store.loadService('idle-svc')).state.firstSeen).toBe(clock);
  });

  it('keeps the saved miners of services not seen since a restart until the store forgets them', async () => {
    await detector().learn([entry('Refund 1 issued', clock, 'info', 'quiet')]);
    await store.close();
    store = await createMemoryPatternStore({ dataDir: dir, snapshotIntervalSeconds: 3600, logger, now: () => clock });
    const d = detector();
    await d.process([entry('Charge 1 captured', clock, 'info', 'busy')]);
    await store.snapshot();
    const miners = () => readFile(join(dir, 'patterns.json'), 'utf8').then((t) => Object.keys((JSON.parse(t) as { extra: { miners: object } }).extra.miners).sort());
    expect(await miners()).toEqual(['busy', 'quiet']);
    clock += 8 * DAY;
    expect(await d.forgetIdle(clock - 7 * DAY)).toBe(2);
    await store.snapshot();
    expect(await miners()).toEqual([]);
  });
});
