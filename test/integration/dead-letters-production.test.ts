/**
 * Production (Redis Streams + Postgres) against a batch that always fails and
 * against an outage. A trigger makes Postgres refuse one anomaly for what it
 * is: its stream batch fails ANOMALOG_MAX_DELIVERIES times, moves to the
 * dead-letter stream, and the shard goes on; once the trigger is gone, the
 * operator replays it and its anomaly lands. Postgres cut behind a proxy is
 * an outage: nothing is dead-lettered, /readyz says stuck, and recovers alone.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli-runner.js';
import { loadConfig } from '../../src/config.js';
import { LOOPBACK_ANY_PORT } from '../../src/demo/loopback.js';
import { createQueueKeys } from '../../src/redis-keys.js';
import { shardOf } from '../../src/shard-of.js';
import { startService, type RunningService } from '../../src/service/start-service.js';
import { useClusterEnvironment } from '../helpers/cluster-environment.js';
import { exportLines } from '../helpers/cluster-harness.js';
import { anomaliesOf, backlog, metricTotal, readiness, sql } from '../helpers/cluster-probes.js';
import { startProxy, type CuttableProxy } from '../helpers/cluster-proxy.js';
import { until } from '../queue/redis-fixture.js';

const SHARDS = 2;

describe('dead letters in production', () => {
  const env = useClusterEnvironment('dead_letters');
  let service: RunningService;
  let proxy: CuttableProxy;
  let url: string;
  const messages = async (service: string) => (await anomaliesOf(env.scratch.url, [service])).map((a) => a.message);

  it('sets a batch that always fails aside after maxDeliveries failures, goes on with its shard, and replays it once fixed', async () => {
    proxy = await startProxy({ host: '127.0.0.1', port: 5432 });
    env.defer(() => proxy.close());
    service = await startService({
      config: loadConfig({
        ...LOOPBACK_ANY_PORT,
        REDIS_URL: env.redis.url,
        DATABASE_URL: env.scratch.url.replace(':5432/', `:${proxy.port}/`),
        ANOMALOG_SHARDS: String(SHARDS),
        ANOMALOG_LEARNING_PERIOD: '0',
        ANOMALOG_MAX_DELIVERIES: '3',
        ANOMALOG_STUCK_AFTER: '1s',
      }),
      logger: pino({ level: 'silent' }),
    });
    env.defer(() => service.stop());
    url = `http://127.0.0.1:${service.httpPort}`;
    await sql(
      env.scratch.url,
      `CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.message LIKE '%POISON%' THEN RAISE EXCEPTION 'anomaly refused by the test trigger'; END IF;
         RETURN NEW;
       END $$`,
    );
    await sql(env.scratch.url, 'CREATE TRIGGER refuse_poison BEFORE INSERT ON log_anomalies FOR EACH ROW EXECUTE FUNCTION refuse_poison()');

    expect(await exportLines(service.httpPort, 'ledger', [['error', 'ledger export POISON failed for batch 7']])).toBe(200);
    expect(await exportLines(service.httpPort, 'ledger', [['error', 'ledger sync to warehouse timed out after 30 s']])).toBe(200);
    await until(async () => (await messages('ledger')).length === 1, 20_000, 'the batch after the poison committed');
    expect(await messages('ledger')).toEqual(['ledger sync to warehouse timed out after 30 s']);

    const listed = await runCli(['dead-letters', '--url', url, '--json']);
    expect(listed.code).toBe(0);
    const letters = JSON.parse(listed.stdout) as Array<{ id: string; source: string; records: number; deliveries: number; error: string }>;
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ records: 1, deliveries: 3 });
    expect(letters[0]!.source).toMatch(new RegExp(`^${shardOf('ledger', SHARDS)}/\\d+-\\d+$`));
    expect(letters[0]!.error).toContain('anomaly refused by the test trigger');
    expect(await metricTotal(service.httpPort, 'anomalog_dead_lettered_batches_total')).toBe(1);
    expect(await metricTotal(service.httpPort, 'anomalog_worker_handle_failures_total')).toBe(3);
    // The row is visible a moment before its stream entry is acknowledged.
    await until(async () => (await backlog(env.client, SHARDS)) === 0, 10_000, 'backlog drained');
    expect((await readiness(service.httpPort)).ready).toBe(true);

    await sql(env.scratch.url, 'DROP TRIGGER refuse_poison ON log_anomalies');
    expect((await runCli(['dead-letters', 'replay', letters[0]!.id, '--url', url])).code).toBe(0);
    // Replayed under its first id, the batch brings back the anomaly its first run found.
    await until(async () => (await messages('ledger')).includes('ledger export POISON failed for batch 7'), 20_000, 'replayed anomaly committed');
    expect((await runCli(['dead-letters', '--url', url])).stdout).toBe('no dead letters\n');
    await until(async () => (await backlog(env.client, SHARDS)) === 0, 10_000, 'backlog drained');
  });

  it('waits out a Postgres outage without setting anything aside, says stuck meanwhile, and is ready again once Postgres is back', async () => {
    await proxy.cut();
    expect(await exportLines(service.httpPort, 'orders', [['error', 'order pipeline stalled on partition 4']])).toBe(200);
    let seen: Awaited<ReturnType<typeof readiness>> | undefined;
    await until(async () => /stuck/.test((seen = await readiness(service.httpPort)).checks.worker ?? ''), 20_000, 'worker says stuck');
    expect(seen!.ready).toBe(false);
    // More failed attempts than ANOMALOG_MAX_DELIVERIES, none counted toward the dead letters.
    await until(async () => (await metricTotal(service.httpPort, 'anomalog_worker_handle_failures_total')) >= 3 + 4, 30_000, 'retried through the outage');
    expect(await env.client.xlen(createQueueKeys().deadLetters())).toBe(0);
    expect(await metricTotal(service.httpPort, 'anomalog_dead_lettered_batches_total')).toBe(1);

    await proxy.restore();
    await until(async () => (await messages('orders')).length === 1, 30_000, 'the outage batch committed');
    await until(async () => (await readiness(service.httpPort)).ready, 20_000, 'ready again');
    expect(await backlog(env.client, SHARDS)).toBe(0);
  });
});
