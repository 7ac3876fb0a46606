/**
 * An embeddings provider outage loses nothing: with EMBEDDINGS=openai and the
 * provider answering 500, every novel error is either refused for the exporter
 * to retry (embedded) or acknowledged into the durable stream (production);
 * after a restart and the provider's recovery every one becomes an anomaly.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnomalog, type AnomalogProcess } from '../helpers/anomalog-process.js';
import { useClusterEnvironment } from '../helpers/cluster-environment.js';
import { metricTotal } from '../helpers/cluster-probes.js';
import { startEmbeddingsServer, type EmbeddingsServer } from '../helpers/embeddings-server.js';
import { encodeRequest, postLogs } from '../helpers/otlp-raw.js';

const NOVEL_ERRORS = [
  'ledger replica lost quorum during compaction',
  'payment token vault refused the signing key',
  'invoice renderer ran out of font handles',
  'tax engine returned an unparseable jurisdiction',
  'refund saga timed out waiting for the card network',
  'currency table checksum mismatch after reload',
  'fraud model artifact missing from the bucket',
  'settlement batch rejected by the clearing house',
];

function errorExport(service: string, message: string, severityNumber = 17): Buffer {
  return encodeRequest({
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeLogs: [{ scope: { name: 'test' }, logRecords: [{ severityNumber, body: { stringValue: message } }] }],
      },
    ],
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function newPatternMessages(httpPort: number, service: string): Promise<string[]> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/api/anomalies?service=${service}&limit=100`);
  if (res.status !== 200) return [];
  const body = (await res.json()) as { anomalies: Array<{ kind: string; message: string }> };
  return body.anomalies.filter((a) => a.kind === 'new_pattern').map((a) => a.message);
}

async function patternCount(url: string, service: string): Promise<number> {
  const res = await fetch(`${url}/api/patterns?service=${service}`);
  return res.status === 200 ? ((await res.json()) as { patterns: unknown[] }).patterns.length : 0;
}

const silenceProvider = (provider: EmbeddingsServer): void => {
  provider.respond = (res) => {
    res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"provider down"}}');
    return true;
  };
};

describe('embeddings provider outage', () => {
  let provider: EmbeddingsServer;
  let dataDir: string;
  const running: AnomalogProcess[] = [];

  beforeAll(async () => {
    provider = await startEmbeddingsServer();
    dataDir = await mkdtemp(join(tmpdir(), 'anomalog-outage-'));
  });

  afterAll(async () => {
    for (const p of running) await p.kill();
    await provider.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function start(env: Record<string, string>): Promise<AnomalogProcess> {
    const p = await startAnomalog({
      env: { ANOMALOG_LEARNING_PERIOD: '0', EMBEDDINGS: 'openai', OPENAI_BASE_URL: provider.baseURL, ANOMALOG_LOG_LEVEL: 'warn', ...env },
    });
    running.push(p);
    return p;
  }

  it('embedded: refuses exports with new templates (503, Retry-After) while accepting known ones; the retried exports are all detected after a restart', async () => {
    const env = { ANOMALOG_DATA_DIR: join(dataDir, 'embedded') };
    let service = await start(env);
    let url = `http://127.0.0.1:${service.httpPort}`;
    expect((await postLogs(url, errorExport('billing', 'request served for tenant', 9))).status).toBe(200);

    silenceProvider(provider);
    const refused: string[] = [];
    for (const message of NOVEL_ERRORS) {
      const res = await postLogs(url, errorExport('billing', message));
      if (res.status === 503) {
        expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
        refused.push(message);
      } else {
        expect(res.status).toBe(200);
      }
    }
    expect(refused).toEqual(NOVEL_ERRORS);
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    // A known template needs no embedding: it is still taken during the outage.
    expect((await postLogs(url, errorExport('billing', 'request served for tenant', 9))).status).toBe(200);

    expect(await service.stop()).toBe(0);
    provider.respond = undefined;
    service = await start(env);
    url = `http://127.0.0.1:${service.httpPort}`;
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    // What the collector's retry does with the refused exports.
    for (const message of refused) expect((await postLogs(url, errorExport('billing', message))).status).toBe(200);
    const found = await waitFor('every novel error as an anomaly', async () => {
      const messages = await newPatternMessages(service.httpPort, 'billing');
      return messages.length >= NOVEL_ERRORS.length ? messages : undefined;
    });
    expect(found.sort()).toEqual([...NOVEL_ERRORS].sort());
    await service.stop();
  });

  describe('production', () => {
    const env = useClusterEnvironment('outage');

    it('acknowledges exports into the stream during the outage, keeps them pending (never dead-lettered), and detects every one after a restart', async () => {
      const base = { REDIS_URL: env.redis.url, DATABASE_URL: env.scratch.url, ANOMALOG_CLAIM_IDLE: '1', ANOMALOG_DATA_DIR: join(dataDir, 'production') };
      let service = await start(base);
      let url = `http://127.0.0.1:${service.httpPort}`;
      expect((await postLogs(url, errorExport('ledger', 'request served for tenant', 9))).status).toBe(200);
      await waitFor('the worker to learn the first template', async () => ((await patternCount(url, 'ledger')) > 0 ? true : undefined));

      silenceProvider(provider);
      for (const message of NOVEL_ERRORS) expect((await postLogs(url, errorExport('ledger', message))).status).toBe(200);
      // More failed attempts than ANOMALOG_MAX_DELIVERIES (5) allows a bad batch, none of them counted.
      const failures = () => metricTotal(service.httpPort, 'anomalog_worker_handle_failures_total');
      await waitFor('more failed attempts than ANOMALOG_MAX_DELIVERIES', async () => ((await failures()) > 5 ? true : undefined));
      expect(await metricTotal(service.httpPort, 'anomalog_dead_lettered_batches_total')).toBe(0);
      expect(await newPatternMessages(service.httpPort, 'ledger')).toEqual([]);

      expect(await service.stop()).toBe(0);
      provider.respond = undefined;
      service = await start(base);
      url = `http://127.0.0.1:${service.httpPort}`;
      const found = await waitFor('every acknowledged novel error as an anomaly', async () => {
        const messages = await newPatternMessages(service.httpPort, 'ledger');
        return messages.length >= NOVEL_ERRORS.length ? messages : undefined;
      });
      expect(found.sort()).toEqual([...NOVEL_ERRORS].sort());
      await service.stop();
    }, 90_000);
  });
});
