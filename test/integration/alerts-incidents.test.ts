/**
 * Incidents through the real alert manager: Postgres (and PGlite), Redis dedupe
 * shared by several managers, and the Slack stand-in. A storm of new errors in
 * one service gives one message at once and one follow-up when the window closes.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAlertManager, type AlertManager } from '../../src/alerts/alert-manager.js';
import { createMemoryDedupe, createRedisDedupe, type DedupeStore } from '../../src/alerts/dedupe.js';
import { createPatternKeys } from '../../src/redis-keys.js';
import { createSlackChannel } from '../../src/alerts/slack.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Anomaly } from '../../src/anomaly.js';
import { createAlertRepo } from '../../src/store/alert-repo.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { createScratchDatabase } from '../helpers/postgres-scratch.js';
import { makeAnomaly } from '../helpers/slack-fixtures.js';
import { startSlackServer, waitFor, type SlackRequest } from '../helpers/slack-server.js';

const logger = pino({ level: 'silent' });
const WINDOW_MS = 2_000;

/** The documented defaults, with a WINDOW_MS incident window. */
function alertsConfig(over: Partial<Config['alerts']> = {}): Config['alerts'] {
  return { ...loadConfig({}).alerts, incidentWindowMs: WINDOW_MS, ...over };
}

const uniq = () => randomBytes(4).toString('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Unrelated new ERROR patterns of one service, scored 0.90, 0.89, … (critical down to 0.80, then warnings). */
function storm(service: string, size = 30): Anomaly[] {
  return Array.from({ length: size }, (_, i) =>
    makeAnomaly({
      id: `${service}-a${i}`, service, patternId: `${service}-p${i}`, level: 'error', score: 0.9 - i / 100,
      template: `failure ${i} of component <*>`, message: `failure ${i} of component c${i}`, samples: [`failure ${i} of component c${i}`],
    }),
  );
}

/** Submits the storm in batches of `per`, `gapMs` apart, as a worker would commit them. */
async function submitSpread(manager: AlertManager, anomalies: Anomaly[], per = 5, gapMs = 200): Promise<Anomaly[]> {
  const out: Anomaly[] = [];
  for (let i = 0; i < anomalies.length; i += per) {
    if (i > 0) await sleep(gapMs);
    out.push(...(await manager.submit(anomalies.slice(i, i + per))));
  }
  return out;
}

const headers = (requests: SlackRequest[]) =>
  requests.map((r) => (r.body.blocks[0] as { text: { text: string } }).text.text);

describe('incidents with Postgres, Redis and a Slack webhook', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let slack: Awaited<ReturnType<typeof startSlackServer>>;
  let redis: Redis;
  const prefix = `test:incidents:${randomBytes(4).toString('hex')}`;
  const open: Array<{ manager: AlertManager; db: Database }> = [];

  beforeAll(async () => {
    scratch = await createScratchDatabase('incidents');
    const db = await openDatabase({ databaseUrl: scratch.url, dataDir: '/nonexistent', logger });
    await migrate(db, logger);
    await db.close();
    redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
    await redis.connect();
  });
  afterEach(async () => {
    for (const { manager, db } of open.splice(0)) {
      await manager.stop();
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

  async function makeManager(opts: { dedupe?: DedupeStore; config?: Partial<Config['alerts']> } = {}) {
    const db = await openDatabase({ databaseUrl: scratch.url, dataDir: '/nonexistent', logger });
    const manager = createAlertManager({
      config: alertsConfig(opts.config), db, dedupe: opts.dedupe ?? createRedisDedupe(redis, createPatternKeys(prefix).alertClaim),
      channels: [createSlackChannel({ webhookUrl: slack.url, minSeverity: 'warning', logger })], logger,
      retry: { baseMs: 200, maxMs: 2_000, maxAttempts: 5 }, pollMs: 100,
    });
    open.push({ manager, db });
    manager.start();
    return { manager, db, repo: createAlertRepo(db) };
  }

  it('sends the first alert of a 30-error storm at once and the other 29 in one follow-up when the window closes', async () => {
    slack = await startSlackServer();
    const { manager, repo } = await makeManager();
    const service = `fulfilment-${uniq()}`;
    const t0 = Date.now();
    const alerted = await submitSpread(manager, storm(service));
    await waitFor(() => slack.requests.length === 2, 10_000);
    await sleep(500);

    expect(slack.requests).toHaveLength(2);
    expect(slack.requests[0]!.at - t0).toBeLessThan(1_000);
    // Not before the window closed, and not long after.
    const followupAt = slack.requests[1]!.at - t0;
    expect(followupAt).toBeGreaterThanOrEqual(WINDOW_MS);
    expect(followupAt).toBeLessThan(WINDOW_MS + 1_000);
    expect(headers(slack.requests)).toEqual([`CRITICAL · New ERROR pattern in ${service}`, `CRITICAL · +29 new error patterns in ${service}`]);
    const list = JSON.stringify(slack.requests[1]!.body.blocks);
    expect(list).toContain('Top alerts by score');
    for (const i of [1, 2, 3, 4, 5]) expect(list).toContain(`failure ${i} of component &lt;*&gt;`);
    expect(list).not.toContain('failure 6 of component');

    // One incident: every anomaly, every alert row and the follow-up carry its id.
    const incidentId = `incident:${service}-a0`;
    expect(alerted.map((a) => a.incidentId)).toEqual(alerted.map(() => incidentId));
    const rows = await repo.recent({ service, limit: 100 });
    expect(rows).toHaveLength(31);
    expect(new Set(rows.map((r) => r.incidentId))).toEqual(new Set([incidentId]));
    const followup = rows.find((r) => r.digest !== null)!;
    expect(followup).toMatchObject({ id: `${incidentId}:followup`, status: 'done', anomalyCount: 29 });
    expect(rows.filter((r) => r.groupedInto === followup.id)).toHaveLength(29);
    expect(rows.find((r) => r.id === `alert:${service}-a0`)).toMatchObject({ groupedInto: null, status: 'done' });
  });

  it('keeps two services\' storms in separate incidents', async () => {
    slack = await startSlackServer();
    const { manager } = await makeManager();
    const [a, b] = [`orders-${uniq()}`, `billing-${uniq()}`];
    const stormA = storm(a, 12);
    const stormB = storm(b, 12);
    const mixed = stormA.flatMap((x, i) => [x, stormB[i]!]);
    const alerted = await submitSpread(manager, mixed, 6, 100);
    await waitFor(() => slack.requests.length === 4, 10_000);
    await sleep(500);
    expect(slack.requests).toHaveLength(4);
    expect(headers(slack.requests).slice(2).sort()).toEqual([`CRITICAL · +11 new error patterns in ${a}`, `CRITICAL · +11 new error patterns in ${b}`].sort());
    const incidents = new Map(alerted.map((x) => [x.service, x.incidentId]));
    expect(incidents.get(a)).toBe(`incident:${a}-a0`);
    expect(incidents.get(b)).toBe(`incident:${b}-a0`);
    expect(alerted.every((x) => x.incidentId === incidents.get(x.service))).toBe(true);
  });

  it('forms one incident when two alert managers sharing Redis and Postgres take one storm', async () => {
    slack = await startSlackServer();
    const first = await makeManager();
    const second = await makeManager();
    const service = `fulfilment-${uniq()}`;
    const anomalies = storm(service);
    // Both managers at once, in small batches, as two workers would.
    const alerted = (
      await Promise.all([
        submitSpread(first.manager, anomalies.filter((_, i) => i % 2 === 0), 3, 50),
        submitSpread(second.manager, anomalies.filter((_, i) => i % 2 === 1), 3, 50),
      ])
    ).flat();
    await waitFor(() => slack.requests.length === 2, 10_000);
    await sleep(500);
    expect(slack.requests).toHaveLength(2);
    expect(headers(slack.requests)[1]).toMatch(new RegExp(`^CRITICAL · \\+29 new error patterns in ${service}$`));
    const incidents = new Set(alerted.map((a) => a.incidentId));
    expect(incidents.size).toBe(1);
    const rows = await first.repo.recent({ service, limit: 100 });
    expect(new Set(rows.map((r) => r.incidentId))).toEqual(incidents);
  });

  it('sends the follow-up after a restart inside the window, with what arrived before and after it', async () => {
    slack = await startSlackServer();
    const service = `fulfilment-${uniq()}`;
    const anomalies = storm(service, 20);
    const before = await makeManager();
    const t0 = Date.now();
    await before.manager.submit(anomalies.slice(0, 10));
    await waitFor(() => slack.requests.length === 1);
    // The process stops (or dies) inside the window; its follow-up row stays in Postgres.
    await before.manager.stop();

    const after = await makeManager();
    const alerted = await after.manager.submit(anomalies.slice(10));
    expect(Date.now() - t0).toBeLessThan(WINDOW_MS);
    await waitFor(() => slack.requests.length === 2, 10_000);
    await sleep(300);
    expect(slack.requests).toHaveLength(2);
    expect(headers(slack.requests)[1]).toBe(`CRITICAL · +19 new error patterns in ${service}`);
    expect(new Set(alerted.map((a) => a.incidentId))).toEqual(new Set([`incident:${service}-a0`]));
  });

  it('sends no second incident or message for a redelivered storm, even when the dedupe claims are gone', async () => {
    slack = await startSlackServer();
    const { manager, repo } = await makeManager({ dedupe: createMemoryDedupe() });
    const service = `fulfilment-${uniq()}`;
    const anomalies = storm(service, 10);
    const first = await manager.submit(anomalies);
    await waitFor(() => slack.requests.length === 2, 10_000);
    // The same anomalies again: once through a manager whose dedupe remembers them, once through one that lost it.
    const again = await manager.submit(anomalies);
    const amnesiac = await makeManager({ dedupe: createMemoryDedupe() });
    const afterLoss = await amnesiac.manager.submit(anomalies);
    await sleep(WINDOW_MS);
    expect(slack.requests).toHaveLength(2);
    const ids = (xs: Anomaly[]) => xs.map((a) => a.incidentId);
    expect(ids(again)).toEqual(ids(first));
    expect(ids(afterLoss)).toEqual(ids(first));
    expect(await repo.recent({ service, limit: 100 })).toHaveLength(11);
  });

  it('sends an alert at once when its channel has heard nothing of the incident (an info alert opened it)', async () => {
    slack = await startSlackServer();
    const { manager, repo } = await makeManager();
    const service = `search-${uniq()}`;
    const [quiet, loud, louder] = storm(service, 3);
    const t0 = Date.now();
    await manager.submit([{ ...quiet!, score: 0.3 }]);
    await manager.submit([{ ...loud!, score: 0.9 }]);
    await manager.submit([{ ...louder!, score: 0.95 }]);
    await waitFor(() => slack.requests.length === 1);
    expect(slack.requests[0]!.at - t0).toBeLessThan(1_000);
    await waitFor(() => slack.requests.length === 2, 10_000);
    expect(headers(slack.requests)).toEqual([`CRITICAL · New ERROR pattern in ${service}`, `CRITICAL · +1 new error pattern in ${service}`]);
    const rows = await repo.recent({ service });
    expect(new Set(rows.map((r) => r.incidentId))).toEqual(new Set([`incident:${service}-a0`]));
    expect(rows.find((r) => r.id === `alert:${service}-a0`)).toMatchObject({ severity: 'info', delivery: {} });
  });

  it('opens a new incident for the next alert once the window has closed', async () => {
    slack = await startSlackServer();
    const { manager } = await makeManager();
    const service = `fulfilment-${uniq()}`;
    const [a, b, c] = storm(service, 3);
    const [first] = await manager.submit([a!]);
    await manager.submit([b!]);
    await waitFor(() => slack.requests.length === 2, 10_000);
    const [late] = await manager.submit([c!]);
    await waitFor(() => slack.requests.length === 3);
    expect(headers(slack.requests)[2]).toBe(`CRITICAL · New ERROR pattern in ${service}`);
    expect(late!.incidentId).toBe(`incident:${service}-a2`);
    expect(late!.incidentId).not.toBe(first!.incidentId);
  });

  it('sends every alert on its own with an incident window of 0', async () => {
    slack = await startSlackServer();
    const { manager } = await makeManager({ config: { incidentWindowMs: 0 } });
    const service = `fulfilment-${uniq()}`;
    const alerted = await manager.submit(storm(service, 5));
    await waitFor(() => slack.requests.length === 5);
    await sleep(300);
    expect(slack.requests).toHaveLength(5);
    expect(new Set(alerted.map((a) => a.incidentId)).size).toBe(5);
  });
});

describe('incidents on the embedded PGlite database', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anomalog-incidents-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives a storm one message and one follow-up, and sends the follow-up after a reopen inside the window', async () => {
    const slack = await startSlackServer();
    const service = `fulfilment-${uniq()}`;
    const anomalies = storm(service);
    const start = async () => {
      const db = await openDatabase({ dataDir: dir, logger });
      await migrate(db, logger);
      const manager = createAlertManager({
        config: alertsConfig({ incidentWindowMs: 3_000 }), db, dedupe: createMemoryDedupe(),
        channels: [createSlackChannel({ webhookUrl: slack.url, minSeverity: 'warning', logger })], logger, pollMs: 100,
      });
      manager.start();
      return { db, manager };
    };
    try {
      const first = await start();
      const t0 = Date.now();
      await submitSpread(first.manager, anomalies.slice(0, 15), 5, 100);
      await waitFor(() => slack.requests.length === 1);
      expect(slack.requests[0]!.at - t0).toBeLessThan(1_000);
      await first.manager.stop();
      await first.db.close();

      const second = await start();
      try {
        const alerted = await second.manager.submit(anomalies.slice(15));
        expect(alerted.every((a) => a.incidentId === `incident:${service}-a0`)).toBe(true);
        await waitFor(() => slack.requests.length === 2, 10_000);
        await sleep(300);
        expect(slack.requests).toHaveLength(2);
        expect(headers(slack.requests)[1]).toBe(`CRITICAL · +29 new error patterns in ${service}`);
        expect(await createAlertRepo(second.db).recent({ service, limit: 100 })).toHaveLength(31);
      } finally {
        await second.manager.stop();
        await second.db.close();
      }
    } finally {
      await slack.close();
    }
  });
});
