/**
 * A redis-server of the benchmark's own, on a free port in a temporary
 * directory, so its figures never mix with other users of the machine's Redis.
 * With `aof`, every write is in the append-only file (fsync each second) and a
 * restart on the same port and directory keeps the queue and the patterns.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface BenchRedis {
  readonly url: string;
  pid(): number;
  /** A client for the bench's own reads (counts, backlog); reconnects across restarts. */
  readonly client: Redis;
  /** SIGTERM (a graceful shutdown: the AOF is flushed), then start again on the same port; resolves when it answers PING. */
  restart(): Promise<{ stoppingAt: number; upAt: number }>;
  flush(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function answersPing(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    // A refused connection already rejects connect(); the event would only repeat it.
    probe.on('error', () => {});
    try {
      await probe.connect();
      // LOADING (AOF replay) rejects PING until the data is back.
      if ((await probe.ping()) === 'PONG') return;
    } catch (error) {
      if (Date.now() > until) throw new Error(`redis-server on ${port} did not come up`, { cause: error });
    } finally {
      probe.disconnect();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function startBenchRedis(opts: { aof: boolean }): Promise<BenchRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'anomalog-bench-redis-'));
  const port = await freePort();
  const persistence = opts.aof ? ['--appendonly', 'yes', '--appendfsync', 'everysec'] : ['--appendonly', 'no'];
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...persistence, '--logfile', join(dir, 'redis.log')];

  let child: ChildProcess;
  let exited: Promise<void>;
  async function launch(): Promise<void> {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await answersPing(port, 30_000);
  }
  async function shutdown(): Promise<void> {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  }

  await launch();
  // No offline queue: while Redis restarts, the bench's reads fail at once (and are retried by the poller).
  const client = new Redis({ port, host: '127.0.0.1', retryStrategy: () => 100, enableOfflineQueue: false });
  // Connection errors surface as failed commands; the event would only repeat them.
  client.on('error', () => {});
  await new Promise<void>((resolve) => client.once('ready', resolve));
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: () => child.pid!,
    client,
    async restart() {
      const stoppingAt = Date.now();
      await shutdown();
      await launch();
      return { stoppingAt, upAt: Date.now() };
    },
    async flush() {
      await client.flushall();
    },
    async stop() {
      client.disconnect();
      await shutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
