/**
 * Issue 5: Postgres unreachable for ~30 s behind a proxy the test cuts. The
 * receiver keeps acknowledging (the queue is Redis); the workers, unable to
 * commit the anomalies they found, stop acknowledging, so the backlog grows and
 * /readyz shows the database down. Once Postgres is back, the anomalies of the
 * outage are written, once each, and every acknowledged record is counted.
 */
import { describe, expect, it } from 'vitest';
import { NOVEL_ERRORS } from '../../src/demo/traffic.js';
import { exportAcked, normalLines, startCluster, suffixSpanningShards, type Line } from '../helpers/cluster-harness.js';
import { useClusterEnvironment } from '../helpers/cluster-environment.js';
import { alertsOf, anomaliesOf, backlog, countedRecords, eachHoldsALease, readiness } from '../helpers/cluster-probes.js';
import { startProxy } from '../helpers/cluster-proxy.js';
import { until } from '../queue/redis-fixture.js';

const SHARDS = 2;
const LEARNING_SECONDS = 2;
const OUTAGE_MS = 30_000;
const BASES = ['payment-gateway', 'auth'] as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Postgres unreachable for half a minute', () => {
  const env = useClusterEnvironment('cluster_pg');

  it('holds the outage in the backlog, then writes its anomalies once each and loses no acknowledged record', async () => {
    const proxy = await startProxy({ host: '127.0.0.1', port: 5432 });
    env.defer(() => proxy.close());
    const cluster = await startCluster({
      name: 'postgres-outage',
      receivers: 1,
      workers: 2,
      env: {
        REDIS_URL: env.redis.url,
        DATABASE_URL: env.scratch.url.replace(':5432/', `:${proxy.port}/`),
        ANOMALOG_SHARDS: String(SHARDS),
        ANOMALOG_CLAIM_IDLE: '1',
        ANOMALOG_LEARNING_PERIOD: String(LEARNING_SECONDS),
        ANOMALOG_SPIKE_MIN_COUNT: '1000000',
        // One alert per anomaly: this test is about the outage, not incident grouping.
        ANOMALOG_INCIDENT_WINDOW: '0',
      },
    });
    env.defer(() => cluster.killAll());
    const [receiver] = cluster.receivers;
    const { workers } = cluster;
    const suffix = suffixSpanningShards(BASES, SHARDS);
    const sent = new Map<string, number>();
    const send = async (base: string, lines: Line[]) => {
      await exportAcked(receiver!.httpPort, `${base}${suffix}`, lines);
      sent.set(`${base}${suffix}`, (sent.get(`${base}${suffix}`) ?? 0) + lines.length);
    };
    const services = BASES.map((b) => `${b}${suffix}`);
    // Shards settled between the two workers, so the outage is not mixed with a lease move.
    await until(() => eachHoldsALease(env.client, SHARDS, workers.map((w) => w.child.pid!)), 30_000, 'both workers hold a shard lease');

    for (const base of BASES) await send(base, normalLines(base, 9));
    await sleep(LEARNING_SECONDS * 1000 + 300);
    for (const base of BASES) await send(base, normalLines(base, 9));
    await until(async () => (await backlog(env.client, SHARDS)) === 0, 30_000, 'learning traffic processed');

    await proxy.cut();
    const cutAt = Date.now();
    for (const w of workers) {
      await until(async () => {
        const r = await readiness(w.httpPort);
        return !r.ready && r.checks.database !== 'ok';
      }, 15_000, 'worker reports the database down');
    }

    // Each service's first export of the outage holds a novel error: its shard stalls behind it.
    const novel = BASES.flatMap((base) => NOVEL_ERRORS.filter(([b]) => b === base).slice(0, 2));
    let queued = 0;
    for (const [base, message] of novel) {
      const lines: Line[] = [['error', message()], ['error', message()], ...normalLines(base, 3, 'info')];
      await send(base, lines);
      queued += lines.length;
    }
    const backlogs: number[] = [];
    while (Date.now() - cutAt < OUTAGE_MS) {
      await sleep(3_000);
      for (const base of BASES) await send(base, normalLines(base, 4, 'info'));
      queued += 4 * BASES.length;
      // The receiver acknowledged; nothing is acknowledged by the workers.
      backlogs.push(await backlog(env.client, SHARDS));
      expect(backlogs.at(-1)).toBe(queued);
    }
    expect(await anomaliesOf(env.scratch.url, services)).toEqual([]);
    expect(backlogs.length).toBeGreaterThan(3);

    await proxy.restore();
    for (const w of workers) await until(async () => (await readiness(w.httpPort)).ready, 20_000, 'worker ready again');
    await until(async () => (await backlog(env.client, SHARDS)) === 0, 30_000, 'backlog drained');

    const anomalies = await anomaliesOf(env.scratch.url, services);
    expect(anomalies.every((a) => a.kind === 'new_pattern')).toBe(true);
    const found = novel.map(([base, message]) => anomalies.filter((a) => a.service === `${base}${suffix}` && a.message.startsWith(message().slice(0, 24))).length);
    expect(found).toEqual(novel.map(() => 1));
    expect(anomalies).toHaveLength(novel.length);
    await until(async () => (await alertsOf(env.scratch.url, services)).length === novel.length, 20_000, 'one alert per anomaly');
    expect((await alertsOf(env.scratch.url, services)).map((a) => a.pattern_id).sort()).toEqual(anomalies.map((a) => a.pattern_id).sort());
    for (const svc of services) expect({ svc, counted: await countedRecords(workers[0]!.httpPort, svc) }).toEqual({ svc, counted: sent.get(svc) });
  }, 120_000);
});
