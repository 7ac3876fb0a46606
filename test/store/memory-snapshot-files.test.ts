/** The memory store's snapshot files are private to the service's user. */
import { chmod, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryPatternStore } from '../../src/store/memory-pattern-store.js';

const logger = pino({ level: 'silent' });
const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'anomalog-snapshot-files-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function snapshotFiles(dataDir: string): Promise<string[]> {
  const names = (await readdir(dataDir)).sort();
  expect(names).toEqual([expect.stringMatching(/^patterns-[\w-]+\.vectors$/), 'patterns.json']);
  return names.map((name) => join(dataDir, name));
}

describe('memory store snapshot files', () => {
  it('writes the snapshot 0600 into a data directory it creates 0700', async () => {
    const dataDir = join(root, 'nested', 'data');
    const store = await createMemoryPatternStore({ dataDir, snapshotIntervalSeconds: 3600, logger });
    await store.startService('orders', 1);
    await store.close();
    expect(await mode(dataDir)).toBe(0o700);
    for (const file of await snapshotFiles(dataDir)) expect(await mode(file)).toBe(0o600);
  });

  it('replaces a world-readable snapshot from an older version with an owner-only one', async () => {
    const first = await createMemoryPatternStore({ dataDir: root, snapshotIntervalSeconds: 3600, logger });
    await first.startService('orders', 1);
    await first.close();
    for (const file of await snapshotFiles(root)) await chmod(file, 0o644);

    const second = await createMemoryPatternStore({ dataDir: root, snapshotIntervalSeconds: 3600, logger });
    expect((await second.loadService('orders')).state.firstSeen).toBe(1);
    await second.close();
    for (const file of await snapshotFiles(root)) expect(await mode(file)).toBe(0o600);
  });
});
