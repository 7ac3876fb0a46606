/**
 * Issue 5: a worker killed with SIGKILL in the middle of a batch, while novel
 * errors stream in. Worker B must take the dead worker A's shard, claim its
 * pending entries and finish them: every acknowledged record counted once, one
 * anomaly row, one alert and one Slack request per novel error, none missing.
 *
 * Two ways to catch A mid-batch: A reaches Postgres through a proxy the test
 * cuts, so A has detected batches (counts applied in Redis, patterns created)
 * that it can neither commit nor acknowledge; or A is killed the moment it
 * holds read, unacknowledged entries of heavy exports (wherever it is in them).
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NOVEL_ERRORS } from '../../src/demo/traffic.js';
import { exportAcked, normalLines, startCluster, suffixSpanningShards, type Cluster, type Line } from '../helpers/cluster-harness.js';
import { alertsOf, anomaliesOf, backlog, countedRecords, eachHoldsALease, leaseHolders, patternsOf, pendingByConsumer, pidOfConsumer } from '../helpers/cluster-probes.js';
import { startProxy, type CuttableProxy } from '../helpers/cluster-proxy.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/cluster-redis.js';
import { createScratchDatabase } from '../helpers/postgres-scratch.js';
import { startSlackServer } from '../helpers/slack-server.js';
import { until } from '../queue/redis-fixture.js';

const SHARDS = 2;
const LEARNING_SECONDS = 2;
const COPIES = 3;
const BASES = ['payment-gateway', 'checkout', 'inventory', 'auth'] as const;

describe('a worker killed in the middle of a batch', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    scratch = await createScratchDatabase('cluster_crash');
  }, 60_000);

  // Each test's processes go with it: a worker left running shares the database's
  // alert outbox, and would deliver the next test's alerts to its own Slack.
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  }, 60_000);

  afterAll(async () => {
    await scratch?.drop();
  }, 60_000);

  /** A private Redis, Slack and proxy, and a cluster of worker A (behind the proxy), worker B and a receiver. */
  async function setup(name: string) {
    const redis: PrivateRedis = await startPrivateRedis();
    cleanups.push(() => redis.dispose());
    const client = new Redis(redis.url);
    cleanups.push(async () => client.disconnect());
    const slack = await startSlackServer();
    cleanups.push(() => slack.close());
    const proxy: CuttableProxy = await startProxy({ host: '127.0.0.1', port: 5432 });
    cleanups.push(() => proxy.close());
    const env = {
      REDIS_URL: redis.url,
      DATABASE_URL: scratch.url,
      ANOMALOG_SHARDS: String(SHARDS),
      ANOMALOG_CLAIM_IDLE: '1',
      ANOMALOG_LEARNING_PERIOD: String(LEARNING_SECONDS),
      // Only new patterns are under test here.
      ANOMALOG_SPIKE_MIN_COUNT: '1000000',
      SLACK_WEBHOOK_URL: slack.url,
      ANOMALOG_SLACK_MIN_SEVERITY: 'info',
      // Every alert its own Slack message (no incident grouping), so each is seen exactly once.
      ANOMALOG_INCIDENT_WINDOW: '0',
    };
    const cluster: Cluster = await startCluster({ name, receivers: 0, workers: 0, env });
    cleanups.push(() => cluster.killAll());
    const doomed = await cluster.add('worker', { DATABASE_URL: scratch.url.replace(':5432/', `:${proxy.port}/`) });
    const survivor = await cluster.add('worker');
    const receiver = await cluster.add('receiver');
    // Each worker holds one of the two shards (the first gives one up once the second joins).
    await until(() => eachHoldsALease(client, SHARDS, [doomed.child.pid!, survivor.child.pid!]), 30_000, 'both workers hold a shard lease');
    const doomedName = (await leaseHolders(client, SHARDS)).find((n) => n !== undefined && pidOfConsumer(n) === doomed.child.pid)!;
    const pendingOfDoomed = async () => (await pendingByConsumer(client, SHARDS)).get(doomedName) ?? 0;

    const suffix = suffixSpanningShards(BASES, SHARDS);
    const sent = new Map<string, number>();
    const send = async (service: string, lines: Line[]) => {
      await exportAcked(receiver.httpPort, service, lines);
      sent.set(service, (sent.get(service) ?? 0) + lines.length);
    };
    // Learning: every normal shape of every service, before and after the learning period.
    for (const base of BASES) await send(`${base}${suffix}`, normalLines(base, 12));
    await new Promise((resolve) => setTimeout(resolve, LEARNING_SECONDS * 1000 + 300));
    for (const base of BASES) await send(`${base}${suffix}`, normalLines(base, 12));
    await until(async () => (await backlog(client, SHARDS)) === 0, 30_000, 'learning traffic processed');

    const novel = NOVEL_ERRORS.map(([base, message]) => ({ base, service: `${base}${suffix}`, message }));
    /** Each novel error once, each in its own export with `padding` info lines of its service. */
    const sendRound = async (padding: number) => {
      for (const n of novel) await send(n.service, [['error', n.message()], ...normalLines(n.base, padding, 'info')]);
    };

    /** After A's death and the rest of the traffic: exactly once, in every table and counter. */
    async function expectExactlyOnce(): Promise<void> {
      const services = [...sent.keys()];
      await until(async () => (await backlog(client, SHARDS)) === 0, 60_000, 'all batches acknowledged after the takeover');
      await until(async () => (await alertsOf(scratch.url, services)).every((a) => a.status === 'done') && slack.requests.length >= novel.length, 30_000, 'alerts delivered').catch(async (error: Error) => {
        // Say what was missing, and what the survivor said about alerts, so a failure can be told apart from slowness.
        const alerts = (await alertsOf(scratch.url, services)).map((a) => `${a.service}/${a.pattern_id}: ${a.status}`);
        const said = survivor.logs().split('\n').filter((line) => /alert|claim|dedupe/i.test(line)).slice(-30);
        throw new Error(`${error.message}; alerts ${JSON.stringify(alerts)}; ${slack.requests.length} of ${novel.length} Slack requests; survivor:\n${said.join('\n')}`);
      });
      expect(survivor.logs()).toContain('claimed idle entries of another worker');

      // One new-pattern anomaly per novel error: none missing, none duplicated, nothing else.
      const anomalies = await anomaliesOf(scratch.url, services);
      expect(anomalies.every((a) => a.kind === 'new_pattern')).toBe(true);
      const found = novel.map((n) => anomalies.filter((a) => a.service === n.service && a.message.startsWith(n.message().slice(0, 24))));
      expect(found.map((rows) => rows.length)).toEqual(novel.map(() => 1));
      expect(anomalies).toHaveLength(novel.length);
      const patternIds = anomalies.map((a) => a.pattern_id);
      expect(new Set(patternIds).size).toBe(novel.length);

      // One alert per pattern, and one Slack request per alert.
      const alerts = await alertsOf(scratch.url, services);
      expect(alerts.map((a) => a.pattern_id).sort()).toEqual([...patternIds].sort());
      const slackPatterns = slack.requests.map((r) => /pattern ([0-9a-f]+)/.exec(JSON.stringify(r.body))?.[1]);
      expect(slackPatterns.sort()).toEqual([...patternIds].sort());

      // Every acknowledged record counted exactly once (the killed worker had counted some already).
      for (const svc of services) expect({ svc, counted: await countedRecords(survivor.httpPort, svc) }).toEqual({ svc, counted: sent.get(svc) });
      for (const anomaly of anomalies) {
        const pattern = (await patternsOf(survivor.httpPort, anomaly.service)).find((p) => p.id === anomaly.pattern_id);
        expect(pattern?.count).toBe(COPIES);
      }
    }

    return { proxy, doomed, pendingOfDoomed, sendRound, anomaliesSoFar: () => anomaliesOf(scratch.url, [...sent.keys()]), expectExactlyOnce };
  }

  it('after detecting batches it could not commit: one anomaly row, one alert, one Slack request per novel error, every record counted once', async () => {
    const run = await setup('worker-crash-uncommitted');
    // Worker A loses Postgres: it detects its batches but can neither commit nor acknowledge them.
    await run.proxy.cut();
    await run.sendRound(2);
    await until(async () => (await run.pendingOfDoomed()) > 0, 20_000, 'worker A holds detected, unacknowledged batches');
    await until(async () => (await run.anomaliesSoFar()).length > 0, 20_000, 'worker B commits its first anomalies');
    await run.doomed.kill();
    // More of the same errors while A's shard has no live worker.
    for (let round = 1; round < COPIES; round++) await run.sendRound(2);
    await run.expectExactlyOnce();
  }, 150_000);

  it('while it works through heavy exports: one anomaly row, one alert, one Slack request per novel error, every record counted once', async () => {
    const run = await setup('worker-crash-live');
    // Freeze A once it holds read, unacknowledged entries; kill it only if it still holds them frozen.
    const killer = (async () => {
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        await until(async () => (await run.pendingOfDoomed()) > 0, 30_000, 'worker A reads a batch');
        run.doomed.child.kill('SIGSTOP');
        const held = await run.pendingOfDoomed();
        if (held > 0) {
          await run.doomed.kill();
          return held;
        }
        run.doomed.child.kill('SIGCONT');
      }
      throw new Error('worker A was never caught holding a batch');
    })();
    // Heavy exports keep A busy for a while in each batch.
    for (let round = 0; round < COPIES; round++) await run.sendRound(round === 0 ? 1_000 : 2);
    expect(await killer).toBeGreaterThan(0);
    await run.expectExactlyOnce();
  }, 150_000);
});
