/**
 * /readyz tells the truth on the embedded default: 503 with a reason while an
 * export has waited longer than ANOMALOG_STUCK_AFTER or the embeddings provider
 * is down, 200 again once it recovers by itself. The provider is a real HTTP
 * server speaking the OpenAI embeddings API that the test makes slow or failing.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/service/start-service.js';
import { exportLines } from '../helpers/cluster-harness.js';
import { metricTotal, readiness } from '../helpers/cluster-probes.js';
import { until } from '../queue/redis-fixture.js';
import { startTestService } from '../helpers/test-service.js';

type Mode = 'ok' | 'hang' | 'fail';

/** An OpenAI-compatible /v1/embeddings server: answers, holds requests until released, or fails with 500. */
async function startProvider() {
  let mode: Mode = 'ok';
  const held: Array<() => void> = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const answer = () => {
        const { input, model } = JSON.parse(body) as { input: string[]; model: string };
        const data = input.map((text, index) => ({ object: 'embedding', index, embedding: Array.from({ length: 8 }, (_v, d) => (text.charCodeAt(d % text.length) % 7) + d) }));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data, model, usage: { prompt_tokens: 1, total_tokens: 1 } }));
      };
      if (mode === 'fail') res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"provider down"}}');
      else if (mode === 'hang') held.push(answer);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    held: () => held.length,
    set(next: Mode) {
      mode = next;
      if (next !== 'hang') for (const answer of held.splice(0)) answer();
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('readiness on the embedded default', () => {
  let provider: Awaited<ReturnType<typeof startProvider>>;
  let service: RunningService;
  let stop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    provider = await startProvider();
    ({ service, stop } = await startTestService('readiness', {
      ANOMALOG_LEARNING_PERIOD: '0',
      ANOMALOG_STUCK_AFTER: '1s',
      EMBEDDINGS: 'openai',
      OPENAI_BASE_URL: provider.baseUrl,
    }));
  }, 60_000);

  afterAll(async () => {
    await stop?.();
    await provider?.close();
  });

  it('says stuck while an export has waited longer than ANOMALOG_STUCK_AFTER, and ready again once it is through', async () => {
    expect((await readiness(service.httpPort)).ready).toBe(true);
    provider.set('hang');
    const exported = exportLines(service.httpPort, 'checkout', [['error', 'card vault lookup failed for order 17']]);
    await until(() => provider.held() > 0, 10_000, 'the embedding request reached the provider');
    let seen: Awaited<ReturnType<typeof readiness>> | undefined;
    await until(async () => !(seen = await readiness(service.httpPort)).ready, 10_000, '/readyz not ready');
    expect(seen!.checks.pipeline).toMatch(/^stuck: the oldest unfinished work has waited \d+s \(ANOMALOG_STUCK_AFTER 1s\)/);
    expect(seen!.checks.embeddings).toBe('ok');
    expect(seen!.checks.database).toBe('ok');

    provider.set('ok');
    expect(await exported).toBe(200);
    expect(await readiness(service.httpPort)).toMatchObject({ ready: true, checks: { pipeline: '0 anomalies held', embeddings: 'ok' } });
  });

  it('says the embeddings provider is down while it fails, refuses exports without setting them aside, and is ready once it answers', async () => {
    provider.set('fail');
    expect(await exportLines(service.httpPort, 'checkout', [['error', 'inventory reservation expired for sku 991']])).toBe(503);
    const down = await readiness(service.httpPort);
    expect(down.ready).toBe(false);
    expect(down.checks.embeddings).toMatch(/unavailable since .*provider down/);

    provider.set('ok');
    // The guard lets one call through after its backoff; the exporter's retry is that call.
    await until(async () => (await exportLines(service.httpPort, 'checkout', [['error', 'inventory reservation expired for sku 991']])) === 200, 15_000, 'export accepted again');
    expect((await readiness(service.httpPort)).ready).toBe(true);
    expect(await metricTotal(service.httpPort, 'anomalog_dead_lettered_batches_total')).toBe(0);
  });
});
