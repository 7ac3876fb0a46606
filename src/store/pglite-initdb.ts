/**
 * Creates the embedded database (PGlite's initdb) in a short-lived child process.
 * In-process, initdb runs a second Postgres and copies its files through a tarball,
 * and Node keeps about 500 MB of that resident for the life of the service; in a
 * child it all goes back to the OS when the child exits. The database is built in a
 * temporary directory beside its final place and renamed there once complete, so a
 * crash never leaves half a database for the next start to resume.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { PGliteOptions } from '@electric-sql/pglite';

export class PgliteInitError extends Error {
  readonly code = 'ANOMALOG_PGLITE_INIT';
}

/** What the child runs: argv is [node, PGlite module URL, directory, options as JSON]. */
const PROGRAM = `
const [, moduleUrl, dir, options] = process.argv;
const { PGlite } = await import(moduleUrl);
const db = await PGlite.create(dir, JSON.parse(options));
await db.close();
`;

/** Enough of the child's stderr to say why it failed. */
const STDERR_KEPT = 4096;

/**
 * Creates a new database at `dir` (which must not hold one yet; an empty directory
 * is replaced). `options` are the ones the database will be opened with, so
 * initdb's own Postgres is sized the same way.
 */
export async function createPgliteDatabase(dir: string, options: Pick<PGliteOptions, 'startParams'>): Promise<void> {
  const parent = dirname(dir);
  const prefix = `.${basename(dir)}-initdb-`;
  // Left by a creation that was killed before its rename.
  for (const name of await readdir(parent)) {
    if (name.startsWith(prefix)) await rm(join(parent, name), { recursive: true, force: true });
  }
  const tmp = await mkdtemp(join(parent, prefix));
  try {
    await runChild([import.meta.resolve('@electric-sql/pglite'), tmp, JSON.stringify(options)]);
    await rename(tmp, dir).catch((error: unknown) => {
      throw new PgliteInitError(`cannot move the new database into ${dir}: ${(error as Error).message}`, { cause: error });
    });
  } finally {
    // A no-op once renamed; otherwise the half-made database goes.
    await rm(tmp, { recursive: true, force: true });
  }
}

function runChild(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', PROGRAM, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEPT);
    });
    child.once('error', (error) => reject(new PgliteInitError(`cannot start the initdb process: ${error.message}`, { cause: error })));
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new PgliteInitError(`initdb process exited with ${signal ?? code}: ${stderr.trim()}`));
    });
  });
}
