import { status } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRedisIngestQueue } from '../../src/queue/redis-ingest-queue.js';
import { createStreamWorker } from '../../src/worker/stream-worker.js';
import { encodeRequest, grpcExport, postLogs, simpleRequest } from '../helpers/otlp-raw.js';
import { startTestReceiver, type TestReceiver } from '../helpers/otlp-receiver.js';
import { acceptedOf, entry, redisFixture, silent, until, type RedisFixture } from '../queue/redis-fixture.js';

let fx: RedisFixture;
let receiver: TestReceiver | undefined;
beforeEach(async () => {
  fx = await redisFixture();
});
afterEach(async () => {
  await receiver?.stop();
  receiver = undefined;
  await fx.cleanup();
});

describe('back-pressure while workers cannot commit', () => {
  it('acknowledges exports until the backlog bound, then answers 503/UNAVAILABLE, and accepts again once workers drain it', async () => {
    const queue = createRedisIngestQueue({ redis: fx.redis, shards: 4, maxBacklog: 50, retryWindowMs: 120_000, prefix: fx.prefix, logger: silent });
    receiver = await startTestReceiver({ sink: (accepted) => queue.append(accepted) });
    const body = encodeRequest(simpleRequest(20, 'checkout'));

    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await postLogs(receiver.httpUrl, body)).status);
    // 0, 20, 40 are under the bound; at 60 the shard is full.
    expect(codes).toEqual([200, 200, 200, 503]);
    const refused = await postLogs(receiver.httpUrl, body);
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const grpc = await grpcExport(receiver.grpcPort, body);
    expect(grpc.error?.code).toBe(status.UNAVAILABLE);
    expect(await queue.backlog()).toBe(60);

    // Postgres is back: the worker commits, acknowledges, and the receiver accepts again.
    const handled: number[] = [];
    const workerRedis = fx.redis.duplicate();
    const worker = createStreamWorker({
      redis: workerRedis, shards: 4, claimIdleSeconds: 30, consumerName: 'w1', prefix: fx.prefix, leaseMs: 600, blockMs: 100, logger: silent,
      handle: async (batches) => void handled.push(...batches.map((b) => b.entries.length)),
    });
    worker.start();
    try {
      await until(async () => (await queue.backlog()) === 0, 10_000, 'backlog drained');
      expect(handled.reduce((a, b) => a + b, 0)).toBe(60);
      expect((await postLogs(receiver.httpUrl, body)).status).toBe(200);
      expect((await grpcExport(receiver.grpcPort, body)).error).toBeUndefined();
      await queue.append(acceptedOf([entry('checkout', 'direct')]));
      await until(async () => (await queue.backlog()) === 0, 10_000, 'new exports handled');
    } finally {
      await worker.stop();
      workerRedis.disconnect();
    }
  });
});
