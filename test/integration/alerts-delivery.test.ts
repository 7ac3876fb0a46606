import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AlertChannel } from '../../src/alerts/alert-channel.js';
import { createAlertManager, type AlertManager } from '../../src/alerts/alert-manager.js';
import { createMemoryDedupe, createRedisDedupe, type DedupeStore } from '../../src/alerts/dedupe.js';
import { createPatternKeys } from '../../src/redis-keys.js';
import { createSlackChannel } from '../../src/alerts/slack.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createAlertRepo } from '../../src/store/alert-repo.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { createScratchDatabase } from '../helpers/postgres-scratch.js';
import { makeAnomaly } from '../helpers/slack-fixtures.js';
import { startSlackServer, waitFor } from '../helpers/slack-server.js';

const logger = pino({ level: 'silent' });
const FAST_RETRY = { baseMs: 200, maxMs: 2_000, maxAttempts: 5 };

/** The documented defaults, with a 1 s incident window. */
function alertsConfig(over: Partial<Config['alerts']> = {}): Config['alerts'] {
  return { ...loadConfig({}).alerts, incidentWindowMs: 1000, ...over };
}

describe('alert manager with Postgres, Redis and a Slack webhook', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let slack: Awaited<ReturnType<typeof startSlackServer>>;
  let redis: Redis;
  const prefix = `test:alerts:${randomBytes(4).toString('hex')}`;
  const open: Array<{ manager?: AlertManager; db: Database }> = [];

  beforeAll(async () => {
    scratch = await createScratchDatabase('alerts');
    const db = await openDatabase({ databaseUrl: scratch.url, dataDir: '/nonexistent', logger });
    await migrate(db, logger);
    await db.close();
    redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
    await redis.connect();
  });
  afterEach(async () => {
    for (const { manager, db } of open.splice(0)) {
      await manager?.stop();
      await db.close();
    }
    await slack?.close();
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    await scratch.drop();
  });

  async function makeManager(opts: {
    dedupe?: DedupeStore; config?: Partial<Config['alerts']>; channels?: AlertChannel[]; registry?: Registry; now?: () => number;
  } = {}) {
    const db = await openDatabase({ databaseUrl: scratch.url, dataDir: '/nonexistent', logger });
    const channels = opts.channels ?? [createSlackChannel({ webhookUrl: slack.url, minSeverity: 'warning', logger })];
    const manager = createAlertManager({
      config: alertsConfig(opts.config), db, dedupe: opts.dedupe ?? createMemoryDedupe(), channels, logger,
      registry: opts.registry, retry: FAST_RETRY, pollMs: 100, ...(opts.now ? { now: opts.now } : {}),
    });
    open.push({ manager, db });
    return { manager, db, repo: createAlertRepo(db) };
  }

  const uniq = () => randomBytes(4).toString('hex');

  it('alerts on the first anomaly at once, counts later ones of the window into it, and posts Block Kit once', async () => {
    slack = await startSlackServer();
    const registry = new Registry();
    const { manager, repo } = await makeManager({ registry });
    manager.start();
    const service = `svc-${uniq()}`;
    const t0 = Date.now();
    await manager.submit([makeAnomaly({ service, patternId: 'p1', score: 0.9, samples: ['first <failure>'] })]);
    await waitFor(() => slack.requests.length === 1);
    expect(Date.now() - t0).toBeLessThan(1000);
    await manager.submit([makeAnomaly({ service, patternId: 'p1', score: 0.9, count: 4 })]);

    // Slack has answered; the outbox records that a moment later.
    await waitFor(async () => (await repo.recent({ service }))[0]?.status === 'done');
    const [row] = await repo.recent({ service });
    expect(row).toMatchObject({ severity: 'critical', anomalyCount: 2, recordCount: 5, status: 'done' });
    expect(row!.delivery.slack).toMatchObject({ state: 'delivered', attempts: 1 });
    const body = slack.requests[0]!.body;
    expect(body.text).toContain('[CRITICAL]');
    expect(JSON.stringify(body.blocks)).toContain(service);
    expect(JSON.stringify(body.blocks)).toContain('first &lt;failure&gt;');
    expect(await registry.getSingleMetricAsString('anomalog_alert_deliveries_total')).toContain('channel="slack",outcome="success"} 1');
    expect(await registry.getSingleMetricAsString('anomalog_alerts_total')).toContain('severity="critical"} 1');
  });

  it('stores an info alert but does not post it to Slack below the minimum severity', async () => {
    slack = await startSlackServer();
    const { manager, repo } = await makeManager();
    manager.start();
    const service = `svc-${uniq()}`;
    await manager.submit([makeAnomaly({ service, score: 0.3 })]);
    const [row] = await repo.recent({ service });
    expect(row).toMatchObject({ severity: 'info', status: 'done', delivery: {} });
    await new Promise((r) => setTimeout(r, 300));
    expect(slack.requests).toHaveLength(0);
  });

  it('raises one alert when two managers sharing Redis and Postgres see the same pattern at once', async () => {
    slack = await startSlackServer();
    const a = await makeManager({ dedupe: createRedisDedupe(redis, createPatternKeys(prefix).alertClaim) });
    const b = await makeManager({ dedupe: createRedisDedupe(redis, createPatternKeys(prefix).alertClaim) });
    a.manager.start();
    b.manager.start();
    const service = `svc-${uniq()}`;
    // Another service, so that its alert is not part of the first one's incident.
    const other = `svc-${uniq()}`;
    await Promise.all([
      a.manager.submit([makeAnomaly({ service, patternId: 'shared' })]),
      b.manager.submit([makeAnomaly({ service, patternId: 'shared' })]),
      a.manager.submit([makeAnomaly({ service: other, patternId: 'other' })]),
    ]);
    await waitFor(() => slack.requests.length >= 2);
    await new Promise((r) => setTimeout(r, 500));
    expect(slack.requests).toHaveLength(2);
    expect((await a.repo.recent({ service })).map((r) => r.patternId)).toEqual(['shared']);
    expect((await a.repo.recent({ service: other })).map((r) => r.patternId)).toEqual(['other']);
  });

  it('raises the alert when a dedupe claim was orphaned by a process that died before writing its alert', async () => {
    slack = await startSlackServer();
    let clock = Date.now();
    const dedupe = createMemoryDedupe(() => clock);
    const { manager, repo } = await makeManager({ dedupe, now: () => clock });
    manager.start();
    const service = `svc-${uniq()}`;
    // Another process claimed a pattern and died before inserting its alert row.
    await dedupe.claim(service, 'orphaned', 1800);
    clock += 11_000;
    await manager.submit([makeAnomaly({ service, patternId: 'orphaned' })]);
    await waitFor(() => slack.requests.length >= 1);
    expect((await repo.recent({ service })).map((r) => r.patternId)).toEqual(['orphaned']);

    // Another claimed just now and died too (its batch was taken over sooner than the orphan age): the alert
    // waits for the claim to turn orphaned, then goes out; it is not dropped.
    await dedupe.claim(service, 'in-flight', 1800);
    const submitted = manager.submit([makeAnomaly({ service, patternId: 'in-flight' })]);
    // Longer than a process writing its row ever takes, shorter than the orphan age.
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await repo.recent({ service })).map((r) => r.patternId)).toEqual(['orphaned']);
    clock += 11_000;
    await submitted;
    await waitFor(() => slack.requests.length >= 2);
    expect((await repo.recent({ service })).map((r) => r.patternId).sort()).toEqual(['in-flight', 'orphaned']);
    await new Promise((r) => setTimeout(r, 300));
    expect(slack.requests).toHaveLength(2);
  });

  it('delivers each alert once when two processes run the outbox over the same table', async () => {
    slack = await startSlackServer();
    const a = await makeManager();
    const b = await makeManager();
    // Forty services, so that each alert opens its own incident and is sent on its own.
    const services = Array.from({ length: 40 }, () => `svc-${uniq()}`);
    const anomalies = services.map((service, i) => makeAnomaly({ service, patternId: `p${i}` }));
    await a.manager.submit(anomalies);
    a.manager.start();
    b.manager.start();
    await waitFor(async () => (await a.repo.recent({ limit: 1000 })).filter((r) => services.includes(r.service)).every((r) => r.status === 'done'));
    await new Promise((r) => setTimeout(r, 300));
    const ids = slack.requests.map((r) => JSON.stringify(r.body.blocks).match(/alert (alert:[^ ]+) ·/)![1]);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
  });

  it('returns from submit without waiting for a Slack that takes seconds to answer', async () => {
    slack = await startSlackServer([{ status: 200, delayMs: 3_000 }]);
    const { manager } = await makeManager();
    manager.start();
    const service = `svc-${uniq()}`;
    await manager.submit([makeAnomaly({ service, patternId: 'slow-1' })]);
    await waitFor(() => slack.requests.length === 1);
    const t0 = Date.now();
    await manager.submit([makeAnomaly({ service, patternId: 'slow-2' })]);
    expect(Date.now() - t0).toBeLessThan(500);
    // Leave no pending rows behind for the next test's outbox.
    await waitFor(async () => (await createAlertRepo(open[0]!.db).recent({ service })).every((r) => r.status === 'done'));
  });

  it('retries a Slack 500 with backoff and delivers the alert exactly once', async () => {
    slack = await startSlackServer([{ status: 500 }]);
    const { manager, repo } = await makeManager();
    manager.start();
    const service = `svc-${uniq()}`;
    await manager.submit([makeAnomaly({ service })]);
    await waitFor(async () => (await repo.recent({ service }))[0]?.status === 'done');
    await new Promise((r) => setTimeout(r, 500));
    expect(slack.requests).toHaveLength(2);
    const [row] = await repo.recent({ service });
    expect(row!.delivery.slack).toMatchObject({ state: 'delivered', attempts: 2 });
  });

  it('waits as long as a 429 Retry-After asks before posting again', async () => {
    slack = await startSlackServer([{ status: 429, headers: { 'retry-after': '2' }, body: 'rate_limited' }]);
    const { manager, repo } = await makeManager();
    manager.start();
    const service = `svc-${uniq()}`;
    await manager.submit([makeAnomaly({ service })]);
    await waitFor(async () => (await repo.recent({ service }))[0]?.status === 'done', 10_000);
    expect(slack.requests).toHaveLength(2);
    const gap = slack.requests[1]!.at - slack.requests[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(1950);
    expect(gap).toBeLessThan(2800);
  });

  it('delivers alerts left undelivered by a previous run when a new manager starts', async () => {
    slack = await startSlackServer([{ status: 503 }, { status: 503 }]);
    // Two services, so that each alert opens its own incident and is sent at once.
    const services = [`svc-${uniq()}`, `svc-${uniq()}`];
    const first = await makeManager();
    first.manager.start();
    await first.manager.submit(services.map((service) => makeAnomaly({ service, patternId: 'p1' })));
    await waitFor(() => slack.requests.length === 2);
    await first.manager.stop();
    const statuses = async (repo: typeof first.repo) => Promise.all(services.map(async (service) => (await repo.recent({ service }))[0]?.status));
    expect(await statuses(first.repo)).toEqual(['pending', 'pending']);

    const second = await makeManager();
    second.manager.start();
    await waitFor(async () => (await statuses(second.repo)).every((s) => s === 'done'));
    expect(slack.requests).toHaveLength(4);
    const delivered = slack.requests.slice(2).map((r) => JSON.stringify(r.body.blocks));
    expect(services.every((service) => delivered.some((text) => text.includes(service)))).toBe(true);
  });

  it('sends one follow-up, and no more, when a deduplicated pattern grows tenfold after its alert', async () => {
    slack = await startSlackServer();
    let clock = Date.now();
    const { manager, repo } = await makeManager({ now: () => clock });
    manager.start();
    const service = `svc-${uniq()}`;
    await manager.submit([makeAnomaly({ service, count: 3, kind: 'new_pattern' })]);
    clock += 5_000; // past the 1 s window, well inside the cooldown
    await manager.submit([makeAnomaly({ service, kind: 'frequency_spike', count: 20 })]);
    expect(await repo.recent({ service })).toHaveLength(1);
    await manager.submit([makeAnomaly({ service, kind: 'frequency_spike', count: 15 })]);
    clock += 5_000;
    await manager.submit([makeAnomaly({ service, kind: 'frequency_spike', count: 500 })]);
    const rows = await repo.recent({ service });
    expect(rows).toHaveLength(2);
    const followup = rows.find((r) => r.parentId !== null)!;
    expect(followup.title).toMatch(/^Still growing/);
    expect(followup.recordCount).toBe(38);
    await waitFor(() => slack.requests.length === 2);
  });

  it('alerts again for the same pattern once the cooldown has passed', async () => {
    slack = await startSlackServer();
    let clock = Date.now();
    const { manager, repo } = await makeManager({ now: () => clock, config: { cooldownSeconds: 1 } });
    const service = `svc-${uniq()}`;
    await manager.submit([makeAnomaly({ service })]);
    await manager.submit([makeAnomaly({ service })]);
    expect(await repo.recent({ service })).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1100));
    clock = Date.now();
    await manager.submit([makeAnomaly({ service })]);
    expect(await repo.recent({ service })).toHaveLength(2);
  });
});
