/**
 * Issue 5: Redis killed (SIGKILL) and restarted on the same port and directory
 * while an OTel SDK keeps exporting over OTLP/HTTP. Receivers answer 503 during
 * the outage, /readyz says not ready and then ready again without a restart of
 * anomalog, and every record the exporter was told succeeded is counted.
 */
import { describe, expect, it } from 'vitest';
import { createCountingSender, exportLines, normalLines, startCluster } from '../helpers/cluster-harness.js';
import { useClusterEnvironment } from '../helpers/cluster-environment.js';
import { backlog, countedRecords, metricTotal, readiness } from '../helpers/cluster-probes.js';
import { until } from '../queue/redis-fixture.js';

const SHARDS = 2;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Redis restarted during ingestion', () => {
  const env = useClusterEnvironment('cluster_redis', { maxRetriesPerRequest: 2 });

  it('answers 503 while Redis is down, recovers by itself, and counts every record the exporter got a success for', async () => {
    const cluster = await startCluster({
      name: 'redis-restart',
      receivers: 1,
      workers: 1,
      env: { REDIS_URL: env.redis.url, DATABASE_URL: env.scratch.url, ANOMALOG_SHARDS: String(SHARDS), ANOMALOG_CLAIM_IDLE: '1' },
    });
    env.defer(() => cluster.killAll());
    const [receiver] = cluster.receivers;
    const [worker] = cluster.workers;
    const service = `checkout-${process.pid}-${Date.now().toString(36)}`;
    const sender = createCountingSender(receiver!.httpPort, service);
    env.defer(() => sender.shutdown());
    let sending = true;
    const traffic = (async () => {
      while (sending) {
        sender.emit(normalLines('checkout', 5));
        await sleep(50);
      }
    })();

    await sleep(1_500);
    expect((await readiness(receiver!.httpPort)).ready).toBe(true);
    await env.redis.kill();
    await until(async () => !(await readiness(receiver!.httpPort)).ready, 10_000, 'receiver not ready');
    await until(async () => !(await readiness(worker!.httpPort)).ready, 10_000, 'worker not ready');
    expect(await exportLines(receiver!.httpPort, service, [['info', 'sent during the outage']])).toBe(503);
    await sleep(2_000);

    await env.redis.restart();
    await until(async () => (await readiness(receiver!.httpPort)).ready, 20_000, 'receiver ready again');
    await until(async () => (await readiness(worker!.httpPort)).ready, 20_000, 'worker ready again');
    await sleep(1_500);
    sending = false;
    await traffic;
    await sender.shutdown();

    const { emitted, acked, failed } = sender.counts();
    expect(acked + failed).toBe(emitted);
    expect(acked).toBeGreaterThan(0);
    // The SDK's exports were refused too (not only the one raw export), and retried.
    expect(await metricTotal(receiver!.httpPort, 'anomalog_queue_refused_records_total')).toBeGreaterThan(1);
    await until(async () => (await backlog(env.client, SHARDS)) === 0 && (await countedRecords(worker!.httpPort, service)) >= acked, 30_000, 'acknowledged records counted');
    const counted = await countedRecords(worker!.httpPort, service);
    // At least every acknowledged record; a record whose 503 came after Redis stored it may be counted too, but none twice.
    expect(counted).toBeGreaterThanOrEqual(acked);
    expect(counted).toBeLessThanOrEqual(emitted);
  }, 90_000);
});
