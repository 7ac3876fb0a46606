import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnomalyRepo } from '../../src/store/anomaly-repo.js';
import { type Database } from '../../src/store/database.js';
import { createPatternRepo } from '../../src/store/pattern-repo.js';
import { openTestDatabase } from '../helpers/test-database.js';
import { makeAnomaly } from '../helpers/slack-fixtures.js';

const logger = pino({ level: 'silent' });

describe.each(['postgres', 'pglite'] as const)('repositories on %s', (kind) => {
  let db: Database;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ db, close } = await openTestDatabase(kind, 'repos', logger));
  });
  afterAll(() => close());

  it('stores anomalies with all their fields and keeps one row when the same id is inserted twice', async () => {
    const repo = createAnomalyRepo(db);
    const a = makeAnomaly({ id: 'dup-1', service: 'checkout', attributes: { nested: { ok: true }, n: 3 } });
    await repo.insert([a]);
    await repo.insert([a, makeAnomaly({ id: 'dup-1', service: 'checkout', reason: 'changed' })]);
    const rows = await repo.recent({ service: 'checkout' });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: 'dup-1',
      service: 'checkout',
      reason: a.reason,
      score: a.score,
      traceId: a.traceId,
      spanId: a.spanId,
      detectedAt: a.detectedAt,
      timestamp: a.timestamp,
      samples: a.samples,
      attributes: { nested: { ok: true }, n: 3 },
    });
  });

  it('commits anomalies and hands back those due for alerting until they are marked alerted', async () => {
    const repo = createAnomalyRepo(db);
    const a = makeAnomaly({ id: `due-${kind}-a` });
    const b = makeAnomaly({ id: `due-${kind}-b` });
    expect((await repo.commit([a, b])).map((x) => x.id)).toEqual([a.id, b.id]);
    await repo.markAlerted([a]);
    // The same anomalies committed again (a redelivered batch): only the one never alerted is due.
    expect((await repo.commit([a, b])).map((x) => x.id)).toEqual([b.id]);
  });

  it('writes a large batch and lists recent anomalies by service and time, newest first', async () => {
    const repo = createAnomalyRepo(db);
    const base = Date.UTC(2030, 0, 1); // after every other row of this file
    const batch = Array.from({ length: 2500 }, (_, i) =>
      makeAnomaly({ id: `bulk-${i}`, service: i % 2 ? 'auth' : 'search', detectedAt: base + i * 1000 }),
    );
    await repo.insert(batch);
    const recentAuth = await repo.recent({ service: 'auth', sinceMs: base + 2000 * 1000, limit: 1000 });
    expect(recentAuth.every((r) => r.service === 'auth' && r.detectedAt >= base + 2_000_000)).toBe(true);
    expect(recentAuth).toHaveLength(250);
    expect(recentAuth[0]!.id).toBe('bulk-2499');
    expect((await repo.recent({ limit: 3, sinceMs: base })).map((r) => r.id)).toEqual(['bulk-2499', 'bulk-2498', 'bulk-2497']);
  });

  it('mirrors patterns: upsert refreshes counts forward, mute is stored and listed', async () => {
    const repo = createPatternRepo(db);
    const p = {
      id: 'pat-1', service: 'billing', template: 'timeout after <NUM> ms', example: 'timeout after 30 ms',
      level: 'warn', count: 10, firstSeen: 1_000, lastSeen: 5_000, muted: false, mutedUntil: null,
    };
    await repo.upsert([p]);
    await repo.upsert([{ ...p, count: 7, lastSeen: 4_000 }]);
    await repo.upsert([{ ...p, count: 25, lastSeen: 9_000 }]);
    expect(await repo.list({ service: 'billing' })).toEqual([{ ...p, count: 25, lastSeen: 9_000 }]);

    await repo.setMuted('pat-1', 99_000, true);
    expect((await repo.list({ service: 'billing' }))[0]).toMatchObject({ muted: true, mutedUntil: 99_000 });
    await repo.setMuted('pat-1', null, true);
    expect((await repo.list({ service: 'billing' }))[0]).toMatchObject({ muted: true, mutedUntil: null });
    // The library is the source of truth: a later upsert carries its mute state.
    await repo.upsert([{ ...p, muted: true, mutedUntil: 123_000 }]);
    expect((await repo.list({ service: 'billing' }))[0]).toMatchObject({ muted: true, mutedUntil: 123_000, count: 25 });
    await repo.setMuted('pat-1', null, false);
    expect((await repo.list({}))[0]).toMatchObject({ id: 'pat-1', muted: false, mutedUntil: null });
  });
});
