/**
 * One SQL port over two engines: node-postgres against DATABASE_URL, or PGlite
 * (Postgres in WASM) in the data directory when it is unset. Same SQL for both.
 */
import { access, chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { Logger } from '../logger.js';
import { createPgliteDatabase } from './pglite-initdb.js';

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs fn on one connection inside BEGIN … COMMIT; rolls back if fn throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export class DatabaseError extends Error {
  readonly code = 'ANOMALOG_DATABASE';
}

export async function openDatabase(deps: { databaseUrl?: string; dataDir: string; logger: Logger }): Promise<Database> {
  return deps.databaseUrl ? openPostgres(deps.databaseUrl, deps.logger) : openPglite(deps.dataDir, deps.logger);
}

async function openPostgres(url: string, logger: Logger): Promise<Database> {
  // Fail fast when Postgres is down so the receiver can push back instead of hanging.
  const pool = new pg.Pool({ connectionString: url, max: 8, connectionTimeoutMillis: 5_000 });
  // An idle client losing its connection emits 'error'; unhandled it would crash the process.
  pool.on('error', (error) => logger.warn({ err: error }, 'postgres idle connection lost'));
  const probe = await pool.connect().catch(async (error: unknown) => {
    await pool.end();
    throw new DatabaseError(`cannot connect to DATABASE_URL: ${(error as Error).message}`, { cause: error });
  });
  probe.release();
  const wrap = (client: pg.Pool | pg.PoolClient): Queryable => ({
    async query<R>(sql: string, params?: unknown[]) {
      const result = await client.query(sql, params);
      return { rows: result.rows as R[] };
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  });
  return {
    kind: 'postgres',
    ...wrap(pool),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          logger.warn({ err: rollbackError }, 'rollback failed');
        });
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/**
 * Postgres sized for anomalog's small tables: PGlite's default 128 MB of shared
 * buffers are touched at start and stay resident, a third of the idle service.
 */
const PGLITE_OPTIONS = {
  startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB', '-c', 'maintenance_work_mem=16MB'],
};

async function openPglite(dataDir: string, logger: Logger): Promise<Database> {
  const dir = join(dataDir, 'pglite');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (!(await exists(join(dir, 'PG_VERSION')))) {
    const started = Date.now();
    await createPgliteDatabase(dir, PGLITE_OPTIONS);
    logger.info({ dir, ms: Date.now() - started }, 'embedded database created');
  }
  // PGlite writes its files world-readable; the directory is what keeps them private.
  await chmod(dir, 0o700);
  const db = await PGlite.create(dir, PGLITE_OPTIONS);
  logger.info({ dir }, 'using embedded Postgres (PGlite); set DATABASE_URL for a shared Postgres');
  const wrap = (client: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    async query<R>(sql: string, params?: unknown[]) {
      const result = await client.query<R>(sql, params);
      return { rows: result.rows };
    },
    async exec(sql: string) {
      await client.exec(sql);
    },
  });
  return {
    kind: 'pglite',
    ...wrap(db),
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    close: () => db.close(),
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
