/**
 * Opens the stores the configuration asks for: Redis + Postgres in production,
 * memory + PGlite in the data directory on the embedded default. Shared by
 * `serve`, `learn` and `migrate` so each command sees the same data.
 */
import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createLocalEmbedder } from '../embeddings/local-embedder.js';
import { createGuardedEmbedder } from '../embeddings/guarded-embedder.js';
import { createOpenAiEmbedder } from '../embeddings/openai-embedder.js';
import type { Embedder } from '../embeddings/embedder.js';
import { openDatabase, type Database } from '../store/database.js';
import { migrate } from '../store/migrate.js';
import type { PatternStore } from '../store/pattern-store.js';
import { createMemoryPatternStore } from '../store/memory-pattern-store.js';
import { createRedisPatternStore } from '../store/redis-pattern-store.js';
import { createInlineMinerPool, type MinerPool } from '../pipeline/miner-pool.js';
import { createThreadedMinerPool } from '../pipeline/miner-threads.js';

export function connectRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    // Fail commands fast while Redis is down: the receiver then answers
    // UNAVAILABLE and the exporter retries, instead of requests hanging.
    maxRetriesPerRequest: 2,
    retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 5_000),
  });
  redis.on('error', (error: Error) => logger.warn({ err: error.message }, 'redis connection error'));
  return redis;
}

export async function openPatternStore(config: Config, logger: Logger, redis: Redis | undefined): Promise<PatternStore> {
  if (redis) return createRedisPatternStore({ redis, idleTtlMs: config.limits.serviceIdleTtlMs, logger });
  return createMemoryPatternStore({ dataDir: config.dataDir, snapshotIntervalSeconds: config.snapshotIntervalSeconds, logger });
}

export function createEmbedder(config: Config, logger: Logger): Embedder {
  if (config.embeddings.provider === 'openai') {
    const remote = createOpenAiEmbedder({
      apiKey: config.embeddings.openaiApiKey,
      baseURL: config.embeddings.openaiBaseUrl,
      model: config.embeddings.model,
      logger,
    });
    return createGuardedEmbedder({ embedder: remote, logger });
  }
  return createLocalEmbedder();
}

export async function openMigratedDatabase(config: Config, logger: Logger): Promise<Database> {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
  try {
    await migrate(db, logger);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

/** Mining on `threads` worker threads, or on the main thread with 0. */
export function openMinerPool(threads: number, logger: Logger): MinerPool {
  const warn = (service: string, error: unknown): void => logger.warn({ err: error, service }, 'miner snapshot unusable; mining from scratch');
  if (threads === 0) return createInlineMinerPool(warn);
  logger.info({ threads }, 'detection threads started');
  return createThreadedMinerPool({ threads, warn, logger });
}
