import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { DependencyUnavailableError } from '../../src/errors.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGuardedEmbedder } from '../../src/embeddings/guarded-embedder.js';
import { createOpenAiEmbedder } from '../../src/embeddings/openai-embedder.js';
import type { LogEntry } from '../../src/log-entry.js';
import { createDetector } from '../../src/pipeline/detector.js';
import { createMemoryPatternStore } from '../../src/store/memory-pattern-store.js';
import { startEmbeddingsServer, type EmbeddingsCall, type EmbeddingsServer } from '../helpers/embeddings-server.js';

const logger = pino({ level: process.env.TEST_LOG ?? 'silent' });

/** Vectors from the text alone, unnormalised, so the test can check normalisation and order; texts with different first letters are far apart. */
function vectorOf(text: string): number[] {
  const v = new Array<number>(8).fill(0);
  const c = text.charCodeAt(0);
  v[c % 8] = text.length;
  v[(c + 1) % 8] = 1;
  return v;
}

let server: EmbeddingsServer;
let baseURL: string;
let calls: EmbeddingsCall[];

beforeEach(async () => {
  server = await startEmbeddingsServer(vectorOf);
  ({ baseURL, calls } = server);
});

afterEach(() => server.close());

describe('openai embedder against an OpenAI-compatible server', () => {
  it('sends batches of at most 100 and returns unit vectors in input order', async () => {
    const embedder = createOpenAiEmbedder({ baseURL, model: 'text-embedding-3-small', logger });
    const texts = Array.from({ length: 250 }, (_, i) => `template ${i} ${'x'.repeat(i % 7)}`);
    const vectors = await embedder.embed(texts);
    expect(calls.map((c) => c.input.length)).toEqual([100, 100, 50]);
    expect(calls.every((c) => c.model === 'text-embedding-3-small')).toBe(true);
    expect(vectors).toHaveLength(250);
    vectors.forEach((v, i) => {
      const raw = vectorOf(texts[i]!);
      const norm = Math.hypot(...raw);
      raw.forEach((x, d) => expect(v[d]).toBeCloseTo(x / norm, 5));
    });
    expect(embedder.dimensions).toBe(8);
  });

  it('retries after a 429 and succeeds', async () => {
    let failures = 1;
    server.respond = (res) => {
      if (failures-- <= 0) return false;
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after-ms': '20' });
      res.end(JSON.stringify({ error: { message: 'slow down', type: 'rate_limit' } }));
      return true;
    };
    const embedder = createOpenAiEmbedder({ baseURL, model: 'm', logger });
    const [v] = await embedder.embed(['Disk <*> full']);
    expect(calls).toHaveLength(2);
    expect(v!.length).toBe(8);
  });

  it('gives up with an error after its retries on persistent 5xx', async () => {
    server.respond = (res) => {
      res.writeHead(503).end('{"error":{"message":"down"}}');
      return true;
    };
    const embedder = createOpenAiEmbedder({ baseURL, model: 'm', maxRetries: 1, logger });
    await expect(embedder.embed(['a'])).rejects.toThrow();
    expect(calls).toHaveLength(2);
  });

  it('refuses a batch with a new template while the provider fails (nothing counted), and detects it when the batch is retried', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'anomalog-openai-'));
    const store = await createMemoryPatternStore({ dataDir: dir, snapshotIntervalSeconds: 3600, logger });
    const now = Date.UTC(2026, 10, 25, 12);
    const detector = createDetector({
      config: { maxMessageChars: 4096, similarity: 0.85, learningPeriodSeconds: 0, newPatternMinLevel: 'warn', spikeWindowSeconds: 60, spikeRatio: 5, spikeMinCount: 20 },
      limits: { maxPatternsPerService: 5000, maxStoredChars: 8192 },
      store,
      embedder: createOpenAiEmbedder({ baseURL, model: 'm', maxRetries: 0, logger }),
      now: () => now,
      logger,
    });
    const entry = (message: string, level: LogEntry['level']): LogEntry => ({ time: now, service: 'api', level, message, traceId: '', spanId: '', attributes: {}, resource: {}, scope: '' });
    await detector.learn([entry('Request served', 'info')]);
    server.respond = (res) => {
      res.writeHead(500).end('{"error":{"message":"boom"}}');
      return true;
    };
    const batch = [entry('Database failover started', 'error'), entry('Database failover started', 'error')];
    await expect(detector.process(batch)).rejects.toBeInstanceOf(DependencyUnavailableError);
    server.respond = undefined;
    const found = await detector.process(batch);
    expect(found.map((a) => [a.kind, a.count])).toEqual([['new_pattern', 2]]);
    expect((await store.list('api')).find((p) => p.template.startsWith('Database'))?.count).toBe(2);
    const cached = calls.length;
    // Cached in the store: the same template is not sent again.
    await detector.process([entry('Database failover started', 'error')]);
    expect(calls.length).toBe(cached);
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('guarded: an outage fails fast without calling the provider until the backoff passes, shows in status, and ends at the first success', async () => {
    let clock = 1_000_000;
    const embedder = createGuardedEmbedder({
      embedder: createOpenAiEmbedder({ baseURL, model: 'm', maxRetries: 0, logger }),
      logger,
      now: () => clock,
      minBackoffMs: 1_000,
    });
    expect(embedder.status?.().ok).toBe(true);
    server.respond = (res) => {
      res.writeHead(500).end('{"error":{"message":"boom"}}');
      return true;
    };
    await expect(embedder.embed(['a'])).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(calls).toHaveLength(1);
    await expect(embedder.embed(['a'])).rejects.toThrow(/unavailable since/);
    expect(calls).toHaveLength(1);
    expect(embedder.status?.()).toMatchObject({ ok: false });
    expect(calls).toHaveLength(1);
    server.respond = undefined;
    clock += 1_001;
    expect(await embedder.embed(['a'])).toHaveLength(1);
    expect(calls).toHaveLength(2);
    expect(embedder.status?.()).toEqual({ ok: true, detail: 'ok' });
  });

  it('guarded: readiness recovers without traffic (a status read past the backoff probes the provider)', async () => {
    let clock = 1_000_000;
    const embedder = createGuardedEmbedder({ embedder: createOpenAiEmbedder({ baseURL, model: 'm', maxRetries: 0, logger }), logger, now: () => clock });
    server.respond = (res) => {
      res.writeHead(500).end('{"error":{"message":"boom"}}');
      return true;
    };
    await expect(embedder.embed(['a'])).rejects.toThrow();
    server.respond = undefined;
    clock += 1_001;
    expect(embedder.status?.().ok).toBe(false);
    for (let i = 0; i < 50 && !embedder.status?.().ok; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(embedder.status?.()).toEqual({ ok: true, detail: 'ok' });
    expect(calls).toHaveLength(2);
  });
});
