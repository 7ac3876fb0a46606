/**
 * A migrated database of either engine for repository tests: a scratch
 * database on the local Postgres, or PGlite in a temporary directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../src/logger.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { createScratchDatabase } from './postgres-scratch.js';

export type DatabaseKind = 'postgres' | 'pglite';

/** `close` closes the database and removes it. */
export async function openTestDatabase(kind: DatabaseKind, label: string, logger: Logger): Promise<{ db: Database; close: () => Promise<void> }> {
  let db: Database;
  let remove: () => Promise<void>;
  if (kind === 'postgres') {
    const scratch = await createScratchDatabase(label);
    db = await openDatabase({ databaseUrl: scratch.url, dataDir: '/nonexistent', logger });
    remove = () => scratch.drop();
  } else {
    const dir = await mkdtemp(join(tmpdir(), `anomalog-${label}-`));
    db = await openDatabase({ dataDir: dir, logger });
    remove = () => rm(dir, { recursive: true, force: true });
  }
  await migrate(db, logger);
  return {
    db,
    close: async () => {
      await db.close();
      await remove();
    },
  };
}
