/**
 * Rows Postgres refuses for their content, written through the repositories on
 * real Postgres and on PGlite: the other rows of the batch are stored, a
 * refused row is stored made safe or set aside (logged and counted), and an
 * outage still throws so the caller retries.
 */
import { Writable } from 'node:stream';
import pg from 'pg';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTransient } from '../../src/errors.js';
import { createAnomalyRepo } from '../../src/store/anomaly-repo.js';
import { type Database, type Queryable } from '../../src/store/database.js';
import { createPatternRepo, type PatternMirrorRow } from '../../src/store/pattern-repo.js';
import { createSetAsideReporter, safeJsonValue, type SetAsideRow } from '../../src/store/refused-rows.js';
import { openTestDatabase } from '../helpers/test-database.js';
import { makeAnomaly } from '../helpers/slack-fixtures.js';

const silent = pino({ level: 'silent' });

function pattern(over: Partial<PatternMirrorRow>): PatternMirrorRow {
  return {
    id: `p-${Math.random().toString(36).slice(2)}`, service: 'billing', template: 'timeout after <NUM> ms', example: 'timeout after 30 ms',
    level: 'warn', count: 1, firstSeen: 1_000, lastSeen: 2_000, muted: false, mutedUntil: null, ...over,
  };
}

describe('safeJsonValue', () => {
  it('makes every key and string safe at any depth, keeps __proto__ an ordinary key and other values as they are', () => {
    const value = JSON.parse('{"__proto__":{"a\\u0000":["\\ud800",1,true,null,{"k":"\\udc00x"}]},"n":2.5}') as Record<string, unknown>;
    const safe = safeJsonValue(value as never) as Record<string, unknown>;
    expect(Object.getPrototypeOf(safe)).toBe(Object.prototype);
    expect(JSON.stringify(safe)).toBe('{"__proto__":{"a\ufffd":["\ufffd",1,true,null,{"k":"\ufffdx"}]},"n":2.5}');
    expect(safeJsonValue([Number.NaN, Number.POSITIVE_INFINITY, 'ok'])).toEqual([null, null, 'ok']);
  });
});

describe.each(['postgres', 'pglite'] as const)('rows refused for their content on %s', (kind) => {
  let db: Database;
  let close: () => Promise<void>;
  const setAside: SetAsideRow[] = [];
  const onSetAside = (row: SetAsideRow) => void setAside.push(row);

  beforeAll(async () => {
    ({ db, close } = await openTestDatabase(kind, 'refused', silent));
  }, 60_000);
  afterAll(() => close());

  it('stores the good anomalies of a batch and the made-safe one with a NUL and unpaired surrogates', async () => {
    setAside.length = 0;
    const repo = createAnomalyRepo(db, { onSetAside });
    const service = `nul-${kind}`;
    const bad = makeAnomaly({
      id: `${service}-bad`, service, message: 'disk\u0000full', template: 'disk\u0000<*>', samples: ['a\u0000', 'b\ud800'],
      attributes: { 'k\u0000': 'v\u0000', nested: { list: ['\udc00', 1] } }, resource: { 'service.name': service, r: 'x\ud800' },
    });
    const good = Array.from({ length: 5 }, (_, i) => makeAnomaly({ id: `${service}-good-${i}`, service, detectedAt: bad.detectedAt - 1 - i }));
    await repo.insert([good[0]!, good[1]!, bad, ...good.slice(2)]);

    const rows = await repo.recent({ service });
    expect(rows.map((r) => r.id).sort()).toEqual([bad.id, ...good.map((a) => a.id)].sort());
    expect(rows.find((r) => r.id === bad.id)).toMatchObject({
      message: 'disk\ufffdfull',
      template: 'disk\ufffd<*>',
      samples: ['a\ufffd', 'b\ufffd'],
      attributes: { 'k\ufffd': 'v\ufffd', nested: { list: ['\ufffd', 1] } },
    });
    expect(setAside).toEqual([]);
    // Stored, so due for alerting under its own id like any other.
    expect((await repo.commit([bad])).map((a) => a.id)).toEqual([bad.id]);
  });

  it('stores a full batch holding one NUL in two statements (as sent, then made safe), not one per row', async () => {
    setAside.length = 0;
    let statements = 0;
    const counting: Queryable = {
      query: <R>(sql: string, params?: unknown[]) => {
        statements += 1;
        return db.query<R>(sql, params);
      },
      exec: (sql: string) => db.exec(sql),
    };
    const service = `batch-${kind}`;
    const batch = Array.from({ length: 1_000 }, (_, i) =>
      makeAnomaly({ id: `${service}-${i}`, service, message: i === 500 ? 'nul \u0000 here' : `clean ${i}`, attributes: { i } }),
    );
    await createAnomalyRepo(counting, { onSetAside }).insert(batch);
    expect(statements).toBe(2);
    const rows = await createAnomalyRepo(db).recent({ service, limit: 2_000 });
    expect(rows).toHaveLength(1_000);
    // Made safe, a clean row is stored exactly as sent.
    expect(rows.find((r) => r.id === `${service}-7`)).toMatchObject({ message: 'clean 7', attributes: { i: 7 } });
    expect(rows.find((r) => r.id === `${service}-500`)!.message).toBe('nul \ufffd here');
    expect(setAside).toEqual([]);
  });

  it('sets aside an anomaly refused even made safe, reports it, and stores the rest', async () => {
    setAside.length = 0;
    const repo = createAnomalyRepo(db, { onSetAside });
    const service = `range-${kind}`;
    // count is an integer column: no text fix makes 2^40 fit.
    const refused = makeAnomaly({ id: `${service}-refused`, service, count: 2 ** 40, message: 'x\u0000' });
    const good = [makeAnomaly({ id: `${service}-a`, service }), makeAnomaly({ id: `${service}-b`, service })];
    await repo.insert([good[0]!, refused, good[1]!]);
    expect((await repo.recent({ service })).map((r) => r.id).sort()).toEqual(good.map((a) => a.id).sort());
    expect(setAside).toHaveLength(1);
    expect(setAside[0]).toMatchObject({ table: 'log_anomalies', id: refused.id, error: expect.objectContaining({ code: '22003' }) });
  });

  it('throws a refused row when nobody takes set-aside rows (a one-shot command fails loudly)', async () => {
    const repo = createAnomalyRepo(db);
    await expect(repo.insert([makeAnomaly({ count: 2 ** 40 })])).rejects.toMatchObject({ code: '22003' });
  });

  it('mirrors the good patterns of a batch, the made-safe one, and sets aside one refused even made safe', async () => {
    setAside.length = 0;
    const repo = createPatternRepo(db, { onSetAside });
    const service = `patterns-${kind}`;
    const nul = pattern({ service, template: 'boom\u0000<*>', example: 'boom\u0000 1' });
    const tooMany = pattern({ service, count: 1e30 });
    const good = [pattern({ service }), pattern({ service })];
    await repo.upsert([good[0]!, nul, tooMany, good[1]!]);
    const listed = await repo.list({ service });
    expect(listed.map((p) => p.id).sort()).toEqual([nul.id, ...good.map((p) => p.id)].sort());
    expect(listed.find((p) => p.id === nul.id)).toMatchObject({ template: 'boom\ufffd<*>', example: 'boom\ufffd 1' });
    expect(setAside).toEqual([expect.objectContaining({ table: 'log_patterns', id: tooMany.id })]);
  });
});

describe('set-aside reporting and outages', () => {
  it('logs each set-aside row with its table and id and counts it in anomalog_set_aside_rows_total', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) });
    const registry = new Registry();
    const report = createSetAsideReporter({ logger: pino({ level: 'info' }, sink), registry });
    report({ table: 'log_anomalies', id: 'a-1', error: Object.assign(new Error('invalid input syntax for type json'), { code: '22P02' }) });
    report({ table: 'log_anomalies', id: 'a-2', error: new Error('x') });
    report({ table: 'log_patterns', id: 'p-1', error: new Error('y') });
    const metrics = await registry.metrics();
    expect(metrics).toContain('anomalog_set_aside_rows_total{table="log_anomalies"} 2');
    expect(metrics).toContain('anomalog_set_aside_rows_total{table="log_patterns"} 1');
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({ level: 50, table: 'log_anomalies', id: 'a-1', err: { code: '22P02' } });
  });

  it('throws an outage (nothing listening) instead of setting rows aside, so the caller retries', async () => {
    const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/none', connectionTimeoutMillis: 2_000 });
    const down: Queryable = {
      query: async <R>(sql: string, params?: unknown[]) => ({ rows: (await pool.query(sql, params)).rows as R[] }),
      exec: async (sql: string) => void (await pool.query(sql)),
    };
    const setAside: SetAsideRow[] = [];
    try {
      const error = await createAnomalyRepo(down, { onSetAside: (row) => void setAside.push(row) }).insert([makeAnomaly({ message: 'a\u0000' })]).catch((e: unknown) => e);
      expect(isTransient(error)).toBe(true);
      const patternError = await createPatternRepo(down, { onSetAside: (row) => void setAside.push(row) }).upsert([pattern({})]).catch((e: unknown) => e);
      expect(isTransient(patternError)).toBe(true);
      expect(setAside).toEqual([]);
    } finally {
      await pool.end();
    }
  });
});
