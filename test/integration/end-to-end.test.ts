/**
 * The whole service, fed by the OpenTelemetry JS SDK over OTLP/gRPC: learning,
 * quiet traffic, a novel error that reaches Slack (a local HTTP server),
 * Postgres and the OTLP events sink (a second real receiver) within seconds,
 * and a spike. Once on the embedded default, once on Redis + Postgres.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOVEL_ERROR, SPIKE, createTrafficDriver } from '../../src/demo/traffic.js';
import type { Anomaly } from '../../src/anomaly.js';
import type { RunningService } from '../../src/service/start-service.js';
import { startTestReceiver, type TestReceiver } from '../helpers/otlp-receiver.js';
import { createScratchDatabase } from '../helpers/postgres-scratch.js';
import { startSlackServer } from '../helpers/slack-server.js';
import { startTestService } from '../helpers/test-service.js';

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 8_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const LEARNING_SECONDS = 3;

describe.each(['embedded', 'production'] as const)('end to end on the %s setup', (mode) => {
  let stop: (() => Promise<void>) | undefined;
  let scratch: { url: string; drop(): Promise<void> } | undefined;
  let slack: Awaited<ReturnType<typeof startSlackServer>>;
  let sink: TestReceiver;
  let service: RunningService;
  const detected: Anomaly[] = [];
  const suffix = `-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    slack = await startSlackServer();
    sink = await startTestReceiver();
    const env: Record<string, string> = {
      ANOMALOG_LEARNING_PERIOD: String(LEARNING_SECONDS),
      ANOMALOG_SPIKE_WINDOW: '1',
      SLACK_WEBHOOK_URL: slack.url,
      ANOMALOG_EVENTS_ENDPOINT: sink.grpcUrl,
    };
    if (mode === 'production') {
      scratch = await createScratchDatabase('e2e');
      env.DATABASE_URL = scratch.url;
      env.REDIS_URL = 'redis://127.0.0.1:6379';
    }
    ({ service, stop } = await startTestService('e2e', env, { logger: pino({ level: process.env.E2E_LOG ?? 'silent' }), onAnomalies: (a) => detected.push(...a) }));
  }, 60_000);

  afterAll(async () => {
    await stop?.();
    await sink?.stop();
    await slack?.close();
    await scratch?.drop();
  });

  it('learns, stays quiet, reports a novel error everywhere within seconds, and detects a spike', async () => {
    const traffic = createTrafficDriver({ grpcPort: service.grpcPort, suffix });
    try {
      // Learning: normal traffic (including routine warnings) through the learning period.
      await traffic.normal(LEARNING_SECONDS + 1.5, 30);
      // Quiet traffic after learning: nothing to report.
      await traffic.normal(3, 30);
      await traffic.flush();
      expect(detected.filter((a) => a.kind === 'new_pattern')).toEqual([]);
      expect(slack.requests).toEqual([]);

      // A novel error in payment-gateway.
      const gateway = `payment-gateway${suffix}`;
      const sentAt = Date.now();
      traffic.emit('payment-gateway', 'error', NOVEL_ERROR());
      await traffic.flush();

      const slackRequest = await waitFor('the Slack alert', () => slack.requests.find((r) => JSON.stringify(r.body).includes(gateway)));
      expect(slackRequest.at - sentAt).toBeLessThan(5_000);
      expect(slackRequest.body.text).toMatch(/payment-gateway/);
      expect(slackRequest.body.blocks.length).toBeGreaterThan(0);
      expect(JSON.stringify(slackRequest.body)).toContain('Card processor connection pool exhausted');

      const anomaly = detected.find((a) => a.kind === 'new_pattern' && a.service === gateway);
      expect(anomaly?.level).toBe('error');

      // The anomaly row, read through the operator API the CLI uses.
      const api = await waitFor('the anomaly row', async () => {
        const res = await fetch(`http://127.0.0.1:${service.httpPort}/api/anomalies?service=${encodeURIComponent(gateway)}`);
        const body = (await res.json()) as { anomalies: Array<Record<string, unknown>> };
        return body.anomalies.find((a) => a.kind === 'new_pattern');
      });
      expect(api.message).toMatch(/^Card processor connection pool exhausted/);
      if (scratch) {
        const client = new pg.Client({ connectionString: scratch.url });
        await client.connect();
        try {
          const { rows } = await client.query('SELECT kind, level, anomaly_score FROM log_anomalies WHERE service = $1', [gateway]);
          expect(rows).toContainEqual(expect.objectContaining({ kind: 'new_pattern', level: 'error' }));
        } finally {
          await client.end();
        }
      }

      // The OTLP anomaly event, decoded by a real receiver.
      const event = await waitFor('the OTLP anomaly event', () =>
        sink.entries.find((e) => e.service === gateway && e.attributes['anomaly.kind'] === 'new_pattern'),
      );
      expect(event.attributes['event.name']).toBe('anomalog.anomaly');
      expect(event.attributes['pattern.id']).toBe(anomaly?.patternId);
      expect(event.scope).toBe('anomalog');

      // A spike of a known inventory pattern.
      const spikeUntil = Date.now() + 6_000;
      while (Date.now() < spikeUntil && !detected.some((a) => a.kind === 'frequency_spike')) {
        for (let i = 0; i < 80; i++) traffic.emit('inventory', 'info', SPIKE());
        await traffic.normal(0.1, 30);
      }
      await traffic.flush();
      const spike = await waitFor('the spike anomaly', () => detected.find((a) => a.kind === 'frequency_spike'), 3_000);
      expect(spike.service).toBe(`inventory${suffix}`);
    } finally {
      await traffic.shutdown();
    }
  }, 60_000);
});
