/**
 * The embedded default fits a small host: `anomalog serve` (a real process) idles
 * under 300 MB resident on its first start, which creates the database, and on a
 * later one.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleProcess } from '../../bench/scale-procfs.js';
import { startAnomalog } from '../helpers/anomalog-process.js';

const IDLE_LIMIT_MB = 300;
/** Long enough for start-up garbage to be collected and the snapshot timer to settle. */
const SETTLE_MS = 3_000;

async function idleRssMb(dataDir: string): Promise<number> {
  const service = await startAnomalog({ env: { ANOMALOG_DATA_DIR: dataDir }, startTimeoutMs: 60_000 });
  try {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    return (await sampleProcess(service.child.pid!)).rssBytes / 2 ** 20;
  } finally {
    expect(await service.stop()).toBe(0);
  }
}

describe('embedded default footprint', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'anomalog-footprint-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it(`idles under ${IDLE_LIMIT_MB} MB RSS on a fresh data directory and again on a restart`, async () => {
    const first = await idleRssMb(join(dataDir, 'data'));
    const second = await idleRssMb(join(dataDir, 'data'));
    expect(first).toBeLessThan(IDLE_LIMIT_MB);
    expect(second).toBeLessThan(IDLE_LIMIT_MB);
  }, 150_000);
});
