/**
 * A private redis-server for the multi-process tests: its own port and data
 * directory, so the fixed 'anomalog' key prefix of the service processes meets
 * no other test's keys, and it can be killed and restarted on the same port
 * with its data (AOF, fsync on every write: an acknowledged write survives kill -9).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, freePort, stopProcess, until } from '../queue/redis-fixture.js';

export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  /** SIGKILL: no save, no goodbye to clients. */
  kill(): Promise<void>;
  /** Start again on the same port and directory (reloads the AOF). */
  restart(): Promise<void>;
  /** Stop it and remove its directory. */
  dispose(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'anomalog-cluster-redis-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  async function launch(): Promise<void> {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'],
      { stdio: 'ignore' },
    );
    const probe = connect(url);
    probe.on('error', () => undefined);
    try {
      await until(async () => (await probe.ping().catch(() => '')) === 'PONG', 10_000, `redis-server on ${port}`);
    } finally {
      probe.disconnect();
    }
  }

  await launch();
  return {
    url,
    port,
    async kill() {
      if (child) await stopProcess(child, 'SIGKILL');
    },
    restart: launch,
    async dispose() {
      if (child) await stopProcess(child, 'SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
