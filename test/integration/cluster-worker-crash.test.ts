/**
 * Issue 5: a worker killed with SIGKILL in the middle of a batch. Worker A
 * reaches Postgres through a proxy the test cuts, so A detects batches (counts
 * applied in Redis, patterns created) but cannot commit them and holds them
 * unacknowledged; then A is killed. Worker B must take A's shard, claim its
 * pending entries and finish them: every acknowledged record counted once, one
 * anomaly row, one alert and one Slack request per novel error, none missing.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOVEL_ERRORS } from '../../src/demo/traffic.js';
import type { AnomalogProcess } from '../helpers/anomalog-process.js';
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
  let redis: PrivateRedis;
  let client: Redis;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let slack: Awaited<ReturnType<typeof startSlackServer>>;
  let proxy: CuttableProxy;
  let cluster: Cluster | undefined;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    client = new Redis(redis.url);
    scratch = await createScratchDatabase('cluster_crash');
    slack = await startSlackServer();
    proxy = await startProxy({ host: '127.0.0.1', port: 5432 });
  }, 60_000);

  afterAll(async () => {
    await cluster?.killAll();
    client?.disconnect();
    await proxy?.close();
    await slack?.close();
    await scratch?.drop();
    await redis?.dispose();
  }, 60_000);

  it('loses and duplicates nothing: one anomaly row, one alert and one Slack request per novel error, every record counted once', async () => {
    const suffix = suffixSpanningShards(BASES, SHARDS);
    const service = (base: string) => `${base}${suffix}`;
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
    };
    cluster = await startCluster({ name: 'worker-crash', receivers: 0, workers: 0, env });
    const doomed: AnomalogProcess = await cluster.add('worker', { DATABASE_URL: scratch.url.replace(':5432/', `:${proxy.port}/`) });
    const survivor = await cluster.add('worker');
    const receiver = await cluster.add('receiver');
    // Each worker holds one of the two shards (the first gives one up once the second joins).
    await until(() => eachHoldsALease(client, SHARDS, [doomed.child.pid!, survivor.child.pid!]), 30_000, 'both workers hold a shard lease');

    const sent = new Map<string, number>();
    const send = async (svc: string, lines: Line[]) => {
      await exportAcked(receiver.httpPort, svc, lines);
      sent.set(svc, (sent.get(svc) ?? 0) + lines.length);
    };

    // Learning: every normal shape of every service, before and after the learning period.
    for (const base of BASES) await send(service(base), normalLines(base, 12));
    await new Promise((resolve) => setTimeout(resolve, LEARNING_SECONDS * 1000 + 300));
    for (const base of BASES) await send(service(base), normalLines(base, 12));
    await until(async () => (await backlog(client, SHARDS)) === 0, 30_000, 'learning traffic processed');

    // Worker A loses Postgres: it detects its batches but can neither commit nor acknowledge them.
    await proxy.cut();
    const novel = NOVEL_ERRORS.map(([base, message]) => ({ base, service: service(base), message }));
    const sendRound = async () => {
      for (const n of novel) await send(n.service, [['error', n.message()], ...normalLines(n.base, 2, 'info')]);
    };
    await sendRound();
    const doomedName = [...(await leaseHolders(client, SHARDS))].find((name) => name && pidOfConsumer(name) === doomed.child.pid)!;
    await until(async () => ((await pendingByConsumer(client, SHARDS)).get(doomedName) ?? 0) > 0, 20_000, 'worker A holds detected, unacknowledged batches');
    await until(async () => (await anomaliesOf(scratch.url, [...sent.keys()])).length > 0, 20_000, 'worker B commits its first anomalies');
    const pendingAtKill = (await pendingByConsumer(client, SHARDS)).get(doomedName) ?? 0;
    await doomed.kill();
    // More of the same errors while A's shard has no live worker.
    for (let round = 1; round < COPIES; round++) await sendRound();

    const services = [...sent.keys()];
    await until(async () => (await backlog(client, SHARDS)) === 0, 60_000, 'all batches acknowledged after the takeover');
    await until(async () => (await alertsOf(scratch.url, services)).every((a) => a.status === 'done') && slack.requests.length >= novel.length, 30_000, 'alerts delivered');

    expect(pendingAtKill).toBeGreaterThan(0);
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
  }, 150_000);
});
