/** Opening the embedded database: created in a child process, private, never half made. */
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';

const logger = pino({ level: 'silent' });
const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'anomalog-pglite-open-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('embedded database', () => {
  it('creates a new database owner-only, with no temporary directory left, and reopens it with its data', async () => {
    const dataDir = join(root, 'nested', 'data');
    const first = await openDatabase({ dataDir, logger });
    await first.exec('CREATE TABLE kept (v text); INSERT INTO kept VALUES (\'hello\')');
    await first.close();
    expect(await mode(dataDir)).toBe(0o700);
    expect(await mode(join(dataDir, 'pglite'))).toBe(0o700);
    expect(await readdir(dataDir)).toEqual(['pglite']);

    const second = await openDatabase({ dataDir, logger });
    try {
      expect((await second.query<{ v: string }>('SELECT v FROM kept')).rows).toEqual([{ v: 'hello' }]);
      // Sized for the embedded job, not PGlite's 128 MB default.
      expect((await second.query<{ shared_buffers: string }>('SHOW shared_buffers')).rows).toEqual([{ shared_buffers: '16MB' }]);
    } finally {
      await second.close();
    }
  });

  it('fills an empty pglite directory left by an older version, owner-only, and clears an interrupted creation', async () => {
    await mkdir(join(root, 'pglite'), { mode: 0o755 });
    await chmod(join(root, 'pglite'), 0o755);
    await mkdir(join(root, '.pglite-initdb-interrupted'));
    await writeFile(join(root, '.pglite-initdb-interrupted', 'PG_VERSION'), '17');
    const db = await openDatabase({ dataDir: root, logger });
    try {
      expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
    expect(await mode(join(root, 'pglite'))).toBe(0o700);
    expect(await readdir(root)).toEqual(['pglite']);
  });

  it('refuses to create a database over a pglite directory holding other files, and leaves them alone', async () => {
    await mkdir(join(root, 'pglite'));
    await writeFile(join(root, 'pglite', 'notes.txt'), 'mine');
    await expect(openDatabase({ dataDir: root, logger })).rejects.toMatchObject({ code: 'ANOMALOG_PGLITE_INIT' });
    expect(await readdir(join(root, 'pglite'))).toEqual(['notes.txt']);
    expect(await readdir(root)).toEqual(['pglite']);
  });
});
