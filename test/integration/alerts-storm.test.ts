/**
 * The whole service, fed by the OpenTelemetry JS SDK over OTLP/gRPC: a storm of
 * 30 new errors in one service within a few seconds gives its first Slack
 * message at once and one follow-up when the incident window closes; every
 * anomaly is stored and exported as an OTLP event, all with one incident id.
 * Once on the embedded default, once on Redis + Postgres.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrafficDriver } from '../../src/demo/traffic.js';
import type { RunningService } from '../../src/service/start-service.js';
import { STORM_ERRORS } from '../helpers/error-storm.js';
import { startTestReceiver, type TestReceiver } from '../helpers/otlp-receiver.js';
import { createScratchDatabase } from '../helpers/postgres-scratch.js';
import { startSlackServer, waitFor } from '../helpers/slack-server.js';
import { startTestService } from '../helpers/test-service.js';

const LEARNING_SECONDS = 3;
const WINDOW_SECONDS = 6;

interface ApiAnomaly {
  id: string;
  kind: string;
  incidentId: string | null;
}

describe.each(['embedded', 'production'] as const)('an error storm on the %s setup', (mode) => {
  let stop: (() => Promise<void>) | undefined;
  let scratch: { url: string; drop(): Promise<void> } | undefined;
  let slack: Awaited<ReturnType<typeof startSlackServer>>;
  let sink: TestReceiver;
  let service: RunningService;
  const suffix = `-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    slack = await startSlackServer();
    sink = await startTestReceiver();
    const env: Record<string, string> = {
      ANOMALOG_LEARNING_PERIOD: String(LEARNING_SECONDS),
      ANOMALOG_INCIDENT_WINDOW: `${WINDOW_SECONDS}s`,
      SLACK_WEBHOOK_URL: slack.url,
      ANOMALOG_EVENTS_ENDPOINT: sink.grpcUrl,
    };
    if (mode === 'production') {
      scratch = await createScratchDatabase('storm');
      env.DATABASE_URL = scratch.url;
      env.REDIS_URL = 'redis://127.0.0.1:6379';
    }
    ({ service, stop } = await startTestService('storm', env));
  }, 60_000);

  afterAll(async () => {
    await stop?.();
    await sink?.stop();
    await slack?.close();
    await scratch?.drop();
  });

  it('sends the first Slack message within 5 s, at most 3 in all, and stores and exports all 30 anomalies under one incident', async () => {
    const traffic = createTrafficDriver({ grpcPort: service.grpcPort, suffix });
    const checkout = `checkout${suffix}`;
    const about = (text: string) => text.includes(checkout);
    try {
      await traffic.normal(LEARNING_SECONDS + 1.5, 30);
      await traffic.flush();

      // Thirty new errors in three seconds, amid normal traffic.
      const t0 = Date.now();
      for (const [i, error] of STORM_ERRORS.entries()) {
        traffic.emit('checkout', 'error', error());
        if (i % 3 === 2) await traffic.normal(0.3, 30);
      }
      await traffic.flush();
      expect(Date.now() - t0).toBeLessThan(10_000);

      await waitFor(() => slack.requests.some((r) => about(JSON.stringify(r.body))), 5_000);
      const first = slack.requests.find((r) => about(JSON.stringify(r.body)))!;
      expect(first.at - t0).toBeLessThan(5_000);

      const anomalies = async (): Promise<ApiAnomaly[]> => {
        const res = await fetch(`http://127.0.0.1:${service.httpPort}/api/anomalies?service=${encodeURIComponent(checkout)}&limit=100`);
        return ((await res.json()) as { anomalies: ApiAnomaly[] }).anomalies;
      };
      await waitFor(async () => (await anomalies()).filter((a) => a.incidentId !== null).length === 30, 10_000);
      const stored = await anomalies();
      expect(stored).toHaveLength(30);
      expect(stored.every((a) => a.kind === 'new_pattern')).toBe(true);
      const incidentIds = new Set(stored.map((a) => a.incidentId));
      expect(incidentIds.size).toBe(1);
      const [incidentId] = incidentIds;
      expect(JSON.stringify(first.body.blocks)).toContain(`incident ${incidentId}`);

      // The follow-up once the window has closed, and nothing more.
      await waitFor(() => slack.requests.filter((r) => about(JSON.stringify(r.body))).length >= 2, (WINDOW_SECONDS + 5) * 1000);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const messages = slack.requests.filter((r) => about(JSON.stringify(r.body)));
      expect(messages.length).toBeLessThanOrEqual(3);
      const header = (messages[1]!.body.blocks[0] as { text: { text: string } }).text.text;
      expect(header).toMatch(new RegExp(`· \\+29 new error patterns in ${checkout}$`));
      expect(slack.requests.filter((r) => !about(JSON.stringify(r.body)))).toEqual([]);

      // Each anomaly's OTLP event, decoded by a real receiver, carries the incident id.
      await waitFor(() => sink.entries.filter((e) => e.service === checkout).length === 30, 10_000);
      const events = sink.entries.filter((e) => e.service === checkout);
      expect(new Set(events.map((e) => e.attributes['anomaly.id']))).toEqual(new Set(stored.map((a) => a.id)));
      expect(events.every((e) => e.attributes['incident.id'] === incidentId)).toBe(true);
    } finally {
      await traffic.shutdown();
    }
  }, 90_000);
});
