import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertManager } from '../../src/alerts/alert-manager.js';
import { createMemoryDedupe } from '../../src/alerts/dedupe.js';
import { createSlackChannel } from '../../src/alerts/slack.js';
import { loadConfig } from '../../src/config.js';
import { createAlertRepo } from '../../src/store/alert-repo.js';
import type { Database } from '../../src/store/database.js';
import { openTestDatabase } from '../helpers/test-database.js';
import { makeAnomaly } from '../helpers/slack-fixtures.js';
import { startSlackServer, waitFor } from '../helpers/slack-server.js';

const logger = pino({ level: 'silent' });

describe('alert manager on the embedded PGlite database', () => {
  let db: Database;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ db, close } = await openTestDatabase('pglite', 'alerts', logger));
  });
  afterAll(() => close());

  it('groups, stores and delivers alerts with the same SQL as Postgres', async () => {
    const slack = await startSlackServer([{ status: 502 }]);
    const manager = createAlertManager({
      config: { ...loadConfig({}).alerts, incidentWindowMs: 1000, slackWebhookUrl: slack.url },
      db, dedupe: createMemoryDedupe(),
      channels: [createSlackChannel({ webhookUrl: slack.url, minSeverity: 'warning', logger })],
      logger, retry: { baseMs: 100, maxMs: 500, maxAttempts: 5 }, pollMs: 50,
    });
    manager.start();
    try {
      await manager.submit([makeAnomaly({ service: 'embedded', count: 2 }), makeAnomaly({ service: 'embedded', count: 3 })]);
      await manager.submit([makeAnomaly({ service: 'embedded', samples: ['another line'] })]);
      const repo = createAlertRepo(db);
      await waitFor(async () => (await repo.recent({ service: 'embedded' }))[0]?.status === 'done');
      const [row] = await repo.recent({ service: 'embedded' });
      expect(row).toMatchObject({ anomalyCount: 3, recordCount: 6 });
      expect(row!.samples.at(-1)).toBe('another line');
      expect(row!.delivery.slack).toMatchObject({ state: 'delivered', attempts: 2 });
      expect(slack.requests).toHaveLength(2);
    } finally {
      await manager.stop();
      await slack.close();
    }
  });
});
