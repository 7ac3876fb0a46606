/**
 * Issue 5: the backlog bound. With the only worker frozen (SIGSTOP: a stalled
 * process that still holds its lease), the receiver takes records up to
 * ANOMALOG_MAX_BACKLOG and then answers 503 with Retry-After and gRPC
 * UNAVAILABLE; an OTel SDK exporter's retries succeed once the worker thaws
 * and drains, and every record is counted once.
 */
import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { createCountingSender, exportAcked, normalLines, startCluster } from '../helpers/cluster-harness.js';
import { useClusterEnvironment } from '../helpers/cluster-environment.js';
import { backlog, countedRecords, metricTotal } from '../helpers/cluster-probes.js';
import { encodeRequest, grpcExport, postLogs, simpleRequest } from '../helpers/otlp-raw.js';
import { until } from '../queue/redis-fixture.js';

const MAX_BACKLOG = 50;
const REFUSED = 'anomalog_queue_refused_records_total';

describe('the ingest backlog bound', () => {
  const env = useClusterEnvironment('cluster_bp');

  it('answers 503 and UNAVAILABLE once reached, and the SDK exporter retries succeed after the worker drains', async () => {
    const cluster = await startCluster({
      name: 'backpressure',
      receivers: 1,
      workers: 1,
      env: { REDIS_URL: env.redis.url, DATABASE_URL: env.scratch.url, ANOMALOG_SHARDS: '1', ANOMALOG_MAX_BACKLOG: String(MAX_BACKLOG) },
    });
    env.defer(() => cluster.killAll());
    const [receiver] = cluster.receivers;
    const [worker] = cluster.workers;
    const service = `inventory-${process.pid}-${Date.now().toString(36)}`;
    const httpUrl = `http://127.0.0.1:${receiver!.httpPort}`;
    const fill = () => encodeRequest(simpleRequest(10, service, 'reserved units of sku'));

    await exportAcked(receiver!.httpPort, service, normalLines('inventory', 10));
    await until(async () => (await backlog(env.client, 1)) === 0, 20_000, 'warm-up processed');

    worker!.child.kill('SIGSTOP');
    for (let i = 0; i < MAX_BACKLOG / 10; i++) expect((await postLogs(httpUrl, fill())).status).toBe(200);
    expect(await backlog(env.client, 1)).toBe(MAX_BACKLOG);
    const refusedHttp = await postLogs(httpUrl, fill());
    expect(refusedHttp.status).toBe(503);
    expect(refusedHttp.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await grpcExport(receiver!.grpcPort, fill())).error?.code).toBe(status.UNAVAILABLE);
    expect(await backlog(env.client, 1)).toBe(MAX_BACKLOG);
    const refusedBefore = await metricTotal(receiver!.httpPort, REFUSED);

    // The SDK exporter is pushed back too, and keeps retrying while the worker is frozen.
    const sender = createCountingSender(receiver!.httpPort, service);
    env.defer(() => sender.shutdown());
    sender.emit(normalLines('inventory', 20));
    await until(async () => (await metricTotal(receiver!.httpPort, REFUSED)) > refusedBefore, 10_000, 'the SDK export refused');
    expect(sender.counts().acked).toBe(0);

    worker!.child.kill('SIGCONT');
    await until(() => sender.counts().acked + sender.counts().failed === 20, 20_000, 'the SDK export settled');
    expect(sender.counts()).toEqual({ emitted: 20, acked: 20, failed: 0 });
    await until(async () => (await backlog(env.client, 1)) === 0, 20_000, 'backlog drained');
    expect(await countedRecords(worker!.httpPort, service)).toBe(10 + MAX_BACKLOG + 20);
  }, 90_000);
});
