/**
 * Issue 5: two receivers and three workers, all separate processes, share one
 * pattern library through Redis. The same novel error reaching both receivers
 * at once is one anomaly, one alert, one Slack request; when the service's shard
 * moves to another worker, that worker knows the pattern from Redis and stays
 * quiet about it, yet still reports an error it has not seen.
 */
import { describe, expect, it } from 'vitest';
import { NOVEL_ERRORS } from '../../src/demo/traffic.js';
import { shardOf } from '../../src/shard-of.js';
import { exportAcked, normalLines, startCluster, type Line } from '../helpers/cluster-harness.js';
import { useClusterEnvironment } from '../helpers/cluster-environment.js';
import type { AnomalogProcess } from '../helpers/anomalog-process.js';
import { alertsOf, anomaliesOf, backlog, countedRecords, leaseHolderAmong, patternsOf } from '../helpers/cluster-probes.js';
import { startSlackServer } from '../helpers/slack-server.js';
import { until } from '../queue/redis-fixture.js';

const SHARDS = 3;
const LEARNING_SECONDS = 2;
const [FIRST_ERROR, SECOND_ERROR] = NOVEL_ERRORS.filter(([base]) => base === 'payment-gateway').map(([, message]) => message) as [() => string, () => string];

describe('two receivers and three workers', () => {
  const env = useClusterEnvironment('cluster_shared');

  it('share one pattern library: a novel error sent to both receivers at once is one anomaly, one alert, one Slack request', async () => {
    const slack = await startSlackServer();
    env.defer(() => slack.close());
    const cluster = await startCluster({
      name: 'shared-library',
      receivers: 2,
      workers: 3,
      env: {
        REDIS_URL: env.redis.url,
        DATABASE_URL: env.scratch.url,
        ANOMALOG_SHARDS: String(SHARDS),
        ANOMALOG_CLAIM_IDLE: '1',
        ANOMALOG_LEARNING_PERIOD: String(LEARNING_SECONDS),
        ANOMALOG_SPIKE_MIN_COUNT: '1000000',
        SLACK_WEBHOOK_URL: slack.url,
        ANOMALOG_SLACK_MIN_SEVERITY: 'info',
        // Every alert its own Slack message (no incident grouping), so each is seen exactly once.
        ANOMALOG_INCIDENT_WINDOW: '0',
      },
    });
    env.defer(() => cluster.killAll());
    const { receivers, workers } = cluster;
    const service = `payment-gateway-${process.pid}-${Date.now().toString(36)}`;
    let sent = 0;
    const sendToBoth = async (lines: Line[]) => {
      await Promise.all(receivers.map((r) => exportAcked(r.httpPort, service, lines)));
      sent += lines.length * receivers.length;
    };
    const settled = () => until(async () => (await backlog(env.client, SHARDS)) === 0, 30_000, 'queue drained');

    await sendToBoth(normalLines('payment-gateway', 9));
    await new Promise((resolve) => setTimeout(resolve, LEARNING_SECONDS * 1000 + 300));
    await sendToBoth(normalLines('payment-gateway', 9));
    await settled();

    // The same novel error through both receivers at the same moment.
    await sendToBoth([['error', FIRST_ERROR()], ['error', FIRST_ERROR()]]);
    await settled();
    await until(async () => (await alertsOf(env.scratch.url, [service])).some((a) => a.status === 'done'), 20_000, 'the alert delivered');
    const [anomaly, ...extra] = await anomaliesOf(env.scratch.url, [service]);
    expect(extra).toEqual([]);
    expect(anomaly?.kind).toBe('new_pattern');
    expect(anomaly?.message).toMatch(/^Card processor connection pool exhausted/);
    expect((await alertsOf(env.scratch.url, [service])).map((a) => a.pattern_id)).toEqual([anomaly!.pattern_id]);
    expect(slack.requests).toHaveLength(1);

    // Every worker reads the same library, whichever one did the counting.
    for (const w of workers) expect(await countedRecords(w.httpPort, service)).toBe(sent);

    // The shard moves: its worker stops, another takes the lease with a cold in-memory view.
    const shard = shardOf(service, SHARDS);
    let leaving: AnomalogProcess | undefined;
    await until(async () => (leaving = await leaseHolderAmong(env.client, SHARDS, shard, workers)) !== undefined, 20_000, 'a worker holds the shard');
    expect(await leaving!.stop()).toBe(0);
    const remaining = workers.filter((w) => w !== leaving);
    await until(async () => (await leaseHolderAmong(env.client, SHARDS, shard, remaining)) !== undefined, 20_000, 'another worker takes the shard');

    await sendToBoth([['error', FIRST_ERROR()]]);
    await sendToBoth([['error', SECOND_ERROR()]]);
    await settled();
    await until(async () => (await anomaliesOf(env.scratch.url, [service])).length >= 2, 20_000, 'the second error reported');
    await until(async () => (await alertsOf(env.scratch.url, [service])).every((a) => a.status === 'done'), 20_000, 'alerts delivered');

    const anomalies = await anomaliesOf(env.scratch.url, [service]);
    expect(anomalies.map((a) => a.message.slice(0, 20))).toEqual(['Card processor conne', 'TLS handshake with a']);
    expect(new Set(anomalies.map((a) => a.pattern_id)).size).toBe(2);
    expect((await alertsOf(env.scratch.url, [service])).map((a) => a.pattern_id).sort()).toEqual(anomalies.map((a) => a.pattern_id).sort());
    expect(slack.requests).toHaveLength(2);
    const first = (await patternsOf(remaining[0]!.httpPort, service)).find((p) => p.id === anomaly!.pattern_id);
    expect(first?.count).toBe(3 * receivers.length);
    for (const w of remaining) expect(await countedRecords(w.httpPort, service)).toBe(sent);
  }, 120_000);
});
