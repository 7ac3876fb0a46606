import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEntry } from '../../src/log-entry.js';
import type { Anomaly } from '../../src/anomaly.js';
import { createStoredDeadLetters } from '../../src/service/stored-dead-letters.js';
import { type Database } from '../../src/store/database.js';
import { createDeadLetterRepo } from '../../src/store/dead-letter-repo.js';
import { openTestDatabase } from '../helpers/test-database.js';
import { metricValue } from '../helpers/otlp-receiver.js';
import { makeAnomaly } from '../helpers/slack-fixtures.js';

const logger = pino({ level: 'silent' });

/** Text Postgres refuses in text and jsonb columns, and text a terminal would interpret. */
const HOSTILE = 'NUL \u0000, lone \ud800 and \udc00, ESC \u001b[31m, bidi \u202e';

const entry = (message: string): LogEntry => ({
  time: 1_700_000_000_000, service: 'checkout', level: 'error', message, traceId: '', spanId: '', attributes: { note: HOSTILE }, resource: { 'service.name': 'checkout' }, scope: 'test',
});

describe.each(['postgres', 'pglite'] as const)('dead letters table on %s', (kind) => {
  let db: Database;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ db, close } = await openTestDatabase(kind, 'dead_letters', logger));
  });
  afterAll(() => close());

  it('stores work whatever its text, and hands it back exactly on replay', async () => {
    const registry = new Registry();
    const stored = createStoredDeadLetters({ repo: createDeadLetterRepo(db), logger, registry });
    const entries = [entry(`export with ${HOSTILE}`)];
    const anomalies: Anomaly[] = [makeAnomaly({ id: 'hostile-1', message: HOSTILE })];
    await stored.add({ kind: 'entries', entries }, { error: new Error(`refused: ${HOSTILE}`), deliveries: 5 });
    await stored.add({ kind: 'anomalies', stage: 'alert', anomalies }, { error: 'not an Error', deliveries: 5 });
    expect(await metricValue(registry, 'anomalog_dead_lettered_batches_total')).toBe(2);

    const replayed: { entries: LogEntry[][]; anomalies: Anomaly[][] } = { entries: [], anomalies: [] };
    const view = stored.view({ entries: async (e) => void replayed.entries.push(e), anomalies: async (a) => void replayed.anomalies.push(a) });
    const [second, first] = await view.list(10);
    expect(first).toMatchObject({ source: 'export', records: 1, deliveries: 5, error: 'refused: NUL \ufffd, lone \ufffd and \ufffd, ESC \u001b[31m, bidi \u202e' });
    expect(second).toMatchObject({ source: 'anomalies/alert', records: 1, error: 'not an Error' });
    expect(first!.createdAt).toBeGreaterThan(Date.now() - 60_000);

    expect(await view.replay(first!.id)).toBe(true);
    expect(await view.replay(second!.id)).toBe(true);
    expect(replayed.entries).toEqual([entries]);
    expect(replayed.anomalies).toEqual([anomalies]);
    expect(await view.list(10)).toEqual([]);
    expect(await view.replay(first!.id)).toBe(false);
    // Ids of another store's shape are not this table's.
    expect(await view.replay('1700000000000-0')).toBe(false);
  });

  it('keeps only the newest rows beyond its limit and says how many it dropped', async () => {
    const repo = createDeadLetterRepo(db, 3);
    const add = (n: number) => repo.add({ source: 'export', kind: 'entries', records: n, payload: '[]', error: `e${n}`, deliveries: 1 });
    const drops: number[] = [];
    for (let n = 1; n <= 5; n++) drops.push((await add(n)).dropped);
    expect(drops).toEqual([0, 0, 0, 1, 1]);
    expect((await repo.list(10)).map((d) => d.error)).toEqual(['e5', 'e4', 'e3']);
    expect((await repo.list(2)).map((d) => d.error)).toEqual(['e5', 'e4']);
  });
});
