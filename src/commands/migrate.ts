import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { openDatabase } from '../store/database.js';
import { migrate } from '../store/migrate.js';
import type { CommandIo } from './command-io.js';

/** `anomalog migrate`: apply pending migrations to DATABASE_URL (or the embedded PGlite) and exit. */
export async function runMigrate(argv: string[], io: CommandIo): Promise<number> {
  parseArgs({ args: argv, options: {}, strict: true });
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
  try {
    const { applied } = await migrate(db, logger);
    io.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
    return 0;
  } finally {
    await db.close();
  }
}
