import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { createDetector } from '../pipeline/detector.js';
import { createPatternRepo } from '../store/pattern-repo.js';
import { connectRedis, createEmbedder, openMigratedDatabase, openPatternStore } from '../service/open-stores.js';
import { runLearn } from './learn.js';
import type { CommandIo } from './command-io.js';

/**
 * `anomalog learn FILE --service NAME`: feeds history into the same stores the
 * service uses. On the embedded default run it while the service is stopped
 * (the memory store's snapshot and PGlite belong to one process at a time).
 */
export async function runLearnCommand(argv: string[], io: CommandIo): Promise<number> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const redis = config.redisUrl ? connectRedis(config.redisUrl, logger) : undefined;
  const db = await openMigratedDatabase(config, logger);
  try {
    const store = await openPatternStore(config, logger, redis);
    try {
      const detector = createDetector({ config: config.detection, limits: config.limits, store, embedder: createEmbedder(config, logger), logger });
      const code = await runLearn(argv, { detector, io });
      await createPatternRepo(db).upsert(detector.drainPatternChanges());
      return code;
    } finally {
      await store.close();
    }
  } finally {
    await db.close();
    await redis?.quit();
  }
}
