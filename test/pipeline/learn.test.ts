import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runLearn } from '../../src/commands/learn.js';
import { createLocalEmbedder } from '../../src/embeddings/local-embedder.js';
import { createDetector, type Detector } from '../../src/pipeline/detector.js';
import { createMemoryPatternStore, type MemoryPatternStore } from '../../src/store/memory-pattern-store.js';

const logger = pino({ level: 'silent' });
const NOW = Date.UTC(2026, 10, 25, 12);

let dir: string;
let store: MemoryPatternStore;
let detector: Detector;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'anomalog-learn-'));
  store = await createMemoryPatternStore({ dataDir: join(dir, 'data'), snapshotIntervalSeconds: 3600, logger });
  detector = createDetector({
    config: { maxMessageChars: 4096, similarity: 0.85, learningPeriodSeconds: 3600, newPatternMinLevel: 'warn', spikeWindowSeconds: 60, spikeRatio: 5, spikeMinCount: 20 },
    limits: { maxPatternsPerService: 5000, maxStoredChars: 8192 },
    store,
    embedder: createLocalEmbedder(),
    now: () => NOW,
    logger,
  });
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

function io(stdin = '') {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = new PassThrough().on('data', (c: Buffer) => out.push(c.toString()));
  const stderr = new PassThrough().on('data', (c: Buffer) => err.push(c.toString()));
  return { io: { stdin: Readable.from([stdin]), stdout, stderr }, out, err };
}

describe('anomalog learn', () => {
  it('learns a file of history so the service skips its learning period, then alerts on a new error', async () => {
    const file = join(dir, 'history.log');
    const lines = Array.from({ length: 2500 }, (_, i) => (i % 2 ? `Order ${i} shipped in ${i % 17} ms` : `Cache miss for key user:${i}`));
    await writeFile(file, `${lines.join('\n')}\n\nDisk quota at 91 percent\n`);
    const t = io();
    expect(await runLearn([file, '--service', 'orders', '--level=warn'], { detector, io: t.io })).toBe(0);
    expect(t.out.join('')).toBe('learned 2501 lines for orders: 3 new templates, 3 new patterns; orders is now past its learning period\n');
    expect((await store.loadService('orders')).state.learned).toBe(true);
    const patterns = await store.list('orders');
    expect(patterns).toHaveLength(3);
    expect(patterns.reduce((n, p) => n + p.count, 0)).toBe(2501);
    expect(patterns.every((p) => p.level === 'warn')).toBe(true);
    const entry = (message: string) => ({ time: NOW, service: 'orders', level: 'error' as const, message, traceId: '', spanId: '', attributes: {}, resource: {}, scope: '' });
    expect(await detector.process([entry('Order 7 shipped in 3 ms')])).toEqual([]);
    expect((await detector.process([entry('Payment ledger out of balance')])).map((a) => a.kind)).toEqual(['new_pattern']);
  });

  it('learns JSON Lines, so a multi-line message is taught whole, and names the lines it skips', async () => {
    const trace = 'Payment failed for order 17\njava.lang.IllegalStateException: order 17 is closed\n\tat com.shop.Order.pay(Order.java:42)';
    const file = join(dir, 'history.jsonl');
    const records = [JSON.stringify(trace), JSON.stringify({ body: 'Cache miss for key user:9', level: 'WARN' }), '{"message": 42}', JSON.stringify({ message: trace.replace(/17/g, '18') })];
    await writeFile(file, `${records.join('\n')}\n`);
    const t = io();
    expect(await runLearn([file, '--service', 'shop', '--format', 'jsonl'], { detector, io: t.io })).toBe(1);
    expect(t.out.join('')).toMatch(/^learned 3 lines for shop: 2 new templates/);
    expect(t.err.join('')).toBe(`anomalog learn: skipped 1 lines of ${file} that hold no JSON message (first: line 3: no string message or body)\n`);
    const patterns = await store.list('shop');
    expect(patterns.map((p) => p.level).sort()).toEqual(['info', 'warn']);
    // The service receives the stack trace as one record: it is known, not new.
    const entry = { time: NOW, service: 'shop', level: 'error' as const, message: trace.replace(/17/g, '19'), traceId: '', spanId: '', attributes: {}, resource: {}, scope: '' };
    expect(await detector.process([entry])).toEqual([]);
    expect(await runLearn([file, '--service', 'shop', '--format', 'xml'], { detector, io: t.io })).toBe(2);
    expect(t.err.join('')).toMatch(/--format must be lines or jsonl \(got xml\)/);
  });

  it('learns JSON Lines holding odd bytes and a 1 MB message, and names a line of broken JSON', async () => {
    const file = join(dir, 'odd.jsonl');
    const huge = `Upload failed: ${'x'.repeat(1024 * 1024)}`;
    const records = [JSON.stringify('Job 1 \u0000 done \ud800 \u202e'), JSON.stringify({ message: huge }), '{"message": "cut', JSON.stringify('Job 2 \u0000 done \ud800 \u202e')];
    await writeFile(file, `${records.join('\n')}\n`);
    const t = io();
    expect(await runLearn([file, '--service', 'odd', '--format=jsonl'], { detector, io: t.io })).toBe(1);
    expect(t.out.join('')).toMatch(/^learned 3 lines for odd: 2 new templates/);
    expect(t.err.join('')).toMatch(/skipped 1 lines .* \(first: line 3: not JSON\)/);
    const patterns = await store.list('odd');
    expect(patterns.map((p) => p.count).sort()).toEqual([1, 2]);
    // Stored cut to the configured size, not whole.
    expect(Math.max(...patterns.map((p) => p.example.length))).toBeLessThanOrEqual(8192);
  });

  it('reads standard input for -', async () => {
    const t = io('Job 1 done\nJob 2 done\n');
    expect(await runLearn(['-', '--service', 'batch'], { detector, io: t.io })).toBe(0);
    expect(t.out.join('')).toMatch(/^learned 2 lines for batch: 1 new templates, 1 new patterns/);
  });

  it('rejects missing arguments and unreadable files with a message', async () => {
    const t = io();
    expect(await runLearn(['x.log'], { detector, io: t.io })).toBe(2);
    expect(t.err.join('')).toMatch(/--service is required/);
    expect(await runLearn(['x.log', '--service', 's', '--level', 'loud'], { detector, io: t.io })).toBe(2);
    expect(await runLearn([join(dir, 'missing.log'), '--service', 's'], { detector, io: t.io })).toBe(1);
    expect(t.err.join('')).toMatch(/cannot read .*missing\.log/);
  });
});
