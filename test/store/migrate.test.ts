import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/store/database.js';
import { loadMigrations, migrate } from '../../src/store/migrate.js';
import { createScratchDatabase } from '../helpers/postgres-scratch.js';

const logger = pino({ level: 'silent' });

async function tables(db: Database): Promise<string[]> {
  const { rows } = await db.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
  );
  return rows.map((r) => r.table_name);
}

describe('migrate on Postgres', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  beforeAll(async () => {
    scratch = await createScratchDatabase('migrate');
  });
  afterAll(async () => {
    await scratch.drop();
  });

  it('applies every migration exactly once when two connection pools race, and is a no-op afterwards', async () => {
    const names = (await loadMigrations()).map((m) => m.name);
    const a = await openDatabase({ databaseUrl: scratch.url, dataDir: '/nonexistent', logger });
    const b = await openDatabase({ databaseUrl: scratch.url, dataDir: '/nonexistent', logger });
    const [ra, rb] = await Promise.all([migrate(a, logger), migrate(b, logger)]);
    await Promise.all([a.close(), b.close()]);
    expect([...ra.applied, ...rb.applied].sort()).toEqual([...names].sort());

    const db = await openDatabase({ databaseUrl: scratch.url, dataDir: '/nonexistent', logger });
    try {
      expect(await migrate(db, logger)).toEqual({ applied: [] });
      expect(await tables(db)).toEqual(expect.arrayContaining(['alerts', 'log_anomalies', 'log_patterns', 'schema_migrations']));
      const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM schema_migrations');
      expect(Number(rows[0]!.n)).toBe(names.length);
    } finally {
      await db.close();
    }
  });
});

describe('migrate on PGlite', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anomalog-pglite-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('applies the same SQL to the embedded database and keeps it across a reopen', async () => {
    const names = (await loadMigrations()).map((m) => m.name);
    const first = await openDatabase({ dataDir: dir, logger });
    expect(first.kind).toBe('pglite');
    expect(await migrate(first, logger)).toEqual({ applied: names });
    await first.close();

    const second = await openDatabase({ dataDir: dir, logger });
    try {
      expect(await migrate(second, logger)).toEqual({ applied: [] });
      expect(await tables(second)).toEqual(expect.arrayContaining(['alerts', 'log_anomalies', 'log_patterns']));
    } finally {
      await second.close();
    }
  });
});
