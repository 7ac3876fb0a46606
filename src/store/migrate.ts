/**
 * Applies migrations/NNN_name.sql in order, each in its own transaction, and
 * records them in schema_migrations. Every step takes the same transaction-level
 * advisory lock, so processes starting together apply each file exactly once.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../logger.js';
import type { Database, Queryable } from './database.js';

const LOCK = "SELECT pg_advisory_xact_lock(hashtext('anomalog:migrate'))";

interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

/** The package root holds migrations/ both from src/ (vitest, tsx) and dist/src/ (built). */
export function migrationsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'migrations'))) return join(dir, 'migrations');
    const parent = dirname(dir);
    if (parent === dir) throw new Error('migrations/ not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export async function loadMigrations(dir = migrationsDir()): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d+_[\w-]+\.sql$/.test(f));
  files.sort((a, b) => parseInt(a, 10) - parseInt(b, 10) || a.localeCompare(b));
  return Promise.all(
    files.map(async (file) => {
      const sql = await readFile(join(dir, file), 'utf8');
      return { name: file.replace(/\.sql$/, ''), sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

export async function migrate(db: Database, logger: Logger, dir?: string): Promise<{ applied: string[] }> {
  const migrations = await loadMigrations(dir);
  await db.transaction(async (tx) => {
    await tx.query(LOCK);
    await tx.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
  });
  const applied: string[] = [];
  for (const migration of migrations) {
    const didApply = await db.transaction(async (tx) => {
      await tx.query(LOCK);
      return applyOne(tx, migration, logger);
    });
    if (didApply) applied.push(migration.name);
  }
  if (applied.length > 0) logger.info({ applied }, 'database migrations applied');
  return { applied };
}

async function applyOne(tx: Queryable, migration: Migration, logger: Logger): Promise<boolean> {
  const { rows } = await tx.query<{ checksum: string }>('SELECT checksum FROM schema_migrations WHERE name = $1', [
    migration.name,
  ]);
  const existing = rows[0];
  if (existing) {
    // An edited, already-applied file is not re-run; say so instead of diverging silently.
    if (existing.checksum !== migration.checksum) {
      logger.warn({ migration: migration.name }, 'applied migration file has changed since it was applied');
    }
    return false;
  }
  await tx.exec(migration.sql);
  await tx.query('INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)', [migration.name, migration.checksum]);
  return true;
}
