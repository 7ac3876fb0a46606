import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { DependencyUnavailableError } from '../../src/errors.js';
import { createRedisIngestQueue } from '../../src/queue/redis-ingest-queue.js';
import { createStreamWorker, type StreamBatch } from '../../src/worker/stream-worker.js';
import { acceptedOf, connect, entry, freePort, silent, stopProcess, until } from '../queue/redis-fixture.js';

/** A private redis-server whose data survives its restart (AOF, fsync on every write). */
async function startPrivateRedis(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'], { stdio: 'ignore' });
  const probe = connect(`redis://127.0.0.1:${port}`);
  probe.on('error', () => undefined);
  try {
    await until(async () => (await probe.ping().catch(() => '')) === 'PONG', 5_000, 'private redis-server');
  } finally {
    probe.disconnect();
  }
  return child;
}

const dir = mkdtempSync(join(tmpdir(), 'anomalog-redis-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('redis outage', () => {
  it('refuses appends quickly while Redis is down, and loses nothing it acknowledged once Redis is back', async () => {
    const port = await freePort();
    let server = await startPrivateRedis(port, dir);
    const url = `redis://127.0.0.1:${port}`;
    const queueRedis = connect(url);
    const workerRedis = connect(url);
    for (const c of [queueRedis, workerRedis]) c.on('error', () => undefined);
    const queue = createRedisIngestQueue({ redis: queueRedis, shards: 2, maxBacklog: 1000, retryWindowMs: 120_000, logger: silent });
    const seen: StreamBatch[] = [];
    let accepting = false;
    const worker = createStreamWorker({
      redis: workerRedis,
      shards: 2,
      claimIdleSeconds: 0.5,
      consumerName: 'w1',
      leaseMs: 600,
      blockMs: 100,
      logger: silent,
      handle: async (batches) => {
        if (!accepting) throw new DependencyUnavailableError('postgres', 'not yet');
        seen.push(...batches);
      },
    });
    try {
      worker.start();
      for (let i = 0; i < 3; i++) await queue.append(acceptedOf([entry('checkout', `before ${i}`), entry('payments', `before ${i}`)]));

      await stopProcess(server);
      const started = Date.now();
      await expect(queue.append(acceptedOf([entry('checkout', 'during')]))).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(1_500);
      await until(() => worker.status().redis !== 'ok', 10_000, 'worker notices the outage');

      server = await startPrivateRedis(port, dir);
      accepting = true;
      await until(async () => {
        try {
          await queue.append(acceptedOf([entry('checkout', 'after')]));
          return true;
        } catch {
          return false;
        }
      }, 10_000, 'append accepted again');
      await until(() => seen.flatMap((b) => b.entries).length === 7, 15_000, 'worker handled everything');
      const messages = seen.flatMap((b) => b.entries.map((e) => `${e.service} ${e.message}`));
      expect(messages.filter((m) => m.startsWith('checkout'))).toEqual(['checkout before 0', 'checkout before 1', 'checkout before 2', 'checkout after']);
      expect(messages.filter((m) => m.startsWith('payments'))).toEqual(['payments before 0', 'payments before 1', 'payments before 2']);
      await until(async () => (await queue.backlog()) === 0, 5_000, 'backlog drained');
      expect(worker.status().redis).toBe('ok');
    } finally {
      await worker.stop();
      queueRedis.disconnect();
      workerRedis.disconnect();
      await stopProcess(server);
    }
  });
});
