/**
 * What each multi-process test file needs around its anomalog processes: a
 * private Redis, a client on it and a scratch Postgres database, created before
 * the file's tests and torn down after them. Tests `defer` their own teardown
 * (kill the cluster, stop a sender), which runs first, in the order registered.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from './cluster-redis.js';
import { createScratchDatabase } from './postgres-scratch.js';

export interface ClusterEnvironment {
  readonly redis: PrivateRedis;
  readonly client: Redis;
  readonly scratch: { url: string; drop(): Promise<void> };
  defer(cleanup: () => Promise<unknown> | void): void;
}

export function useClusterEnvironment(label: string, clientOptions: RedisOptions = {}): ClusterEnvironment {
  let redis: PrivateRedis | undefined;
  let client: Redis | undefined;
  let scratch: ClusterEnvironment['scratch'] | undefined;
  const deferred: Array<() => Promise<unknown> | void> = [];
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the cluster environment's ${what} is not set up yet (use it inside a test)`);
    return value;
  };

  beforeAll(async () => {
    redis = await startPrivateRedis();
    client = new Redis(redis.url, clientOptions);
    // Some tests stop this Redis on purpose.
    client.on('error', () => undefined);
    scratch = await createScratchDatabase(label);
  }, 60_000);

  afterAll(async () => {
    for (const cleanup of deferred.splice(0)) await Promise.resolve(cleanup()).catch(() => undefined);
    client?.disconnect();
    await scratch?.drop();
    await redis?.dispose();
  }, 60_000);

  return {
    get redis() {
      return ready(redis, 'Redis');
    },
    get client() {
      return ready(client, 'Redis client');
    },
    get scratch() {
      return ready(scratch, 'database');
    },
    defer: (cleanup) => void deferred.push(cleanup),
  };
}
