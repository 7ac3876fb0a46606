/**
 * The embedded default (PGlite, no Redis) against work that keeps failing: an
 * anomaly the database refuses for what it is (a trigger stands for any such
 * refusal) is set aside after ANOMALOG_MAX_DELIVERIES attempts, the export is
 * acknowledged and the exports after it are detected; the operator lists and
 * replays it. /api answers bad requests with 400.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli-runner.js';
import { loadConfig } from '../../src/config.js';
import { LOOPBACK_ANY_PORT } from '../../src/demo/loopback.js';
import { startService, type RunningService } from '../../src/service/start-service.js';
import { openDatabase } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { exportLines } from '../helpers/cluster-harness.js';
import { metricTotal, readiness } from '../helpers/cluster-probes.js';

const silent = pino({ level: 'silent' });

/** Runs SQL on the data directory's PGlite while no service holds it. */
async function onDatabase(dataDir: string, sql: string): Promise<void> {
  const db = await openDatabase({ dataDir, logger: silent });
  try {
    await migrate(db, silent);
    await db.exec(sql);
  } finally {
    await db.close();
  }
}

const REFUSE_POISON = `
  CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF NEW.message LIKE '%POISON%' THEN RAISE EXCEPTION 'anomaly refused by the test trigger'; END IF;
    RETURN NEW;
  END $$;
  CREATE TRIGGER refuse_poison BEFORE INSERT ON log_anomalies FOR EACH ROW EXECUTE FUNCTION refuse_poison();`;

interface Listed {
  id: string;
  source: string;
  records: number;
  deliveries: number;
  error: string;
}

describe('dead letters on the embedded default', () => {
  let dataDir: string;
  let service: RunningService | undefined;
  let url: string;
  const start = async () => {
    service = await startService({
      config: loadConfig({ ...LOOPBACK_ANY_PORT, ANOMALOG_DATA_DIR: dataDir, ANOMALOG_LEARNING_PERIOD: '0', ANOMALOG_MAX_DELIVERIES: '2' }),
      logger: silent,
    });
    url = `http://127.0.0.1:${service.httpPort}`;
  };
  const messages = async () => ((await (await fetch(`${url}/api/anomalies?limit=1000`)).json()) as { anomalies: Array<{ message: string }> }).anomalies.map((a) => a.message);

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'anomalog-dead-letters-'));
    await onDatabase(dataDir, REFUSE_POISON);
    await start();
  }, 60_000);

  afterAll(async () => {
    await service?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('acknowledges an export whose anomaly the database keeps refusing, sets that anomaly aside, and detects the exports after it', async () => {
    const status = await exportLines(service!.httpPort, 'billing', [
      ['error', 'ledger export POISON failed for batch 7'],
      ['error', 'invoice renderer crashed on template 7'],
    ]);
    expect(status).toBe(200);
    expect(await messages()).toEqual(['invoice renderer crashed on template 7']);

    const listed = await runCli(['dead-letters', '--url', url, '--json']);
    expect(listed.code).toBe(0);
    const letters = JSON.parse(listed.stdout) as Listed[];
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ source: 'anomalies/commit', records: 1, deliveries: 2 });
    expect(letters[0]!.error).toContain('anomaly refused by the test trigger');
    const table = await runCli(['dead-letters', '--url', url]);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+CREATED\s+SOURCE\s+RECORDS\s+DELIVERIES\s+ERROR$/);
    expect(table.stdout).toContain('anomalies/commit');

    expect(await exportLines(service!.httpPort, 'billing', [['error', 'payment webhook timed out after 30 s']])).toBe(200);
    expect(await messages()).toContain('payment webhook timed out after 30 s');
    expect(await metricTotal(service!.httpPort, 'anomalog_dead_lettered_batches_total')).toBe(1);
    const ready = await readiness(service!.httpPort);
    expect(ready.ready).toBe(true);
    expect(ready.checks.pipeline).toBe('0 anomalies held');
  });

  it('answers 400 for a bad limit, a malformed path or body and a bad dead-letter id, without the store in the message', async () => {
    const status = async (path: string, init?: RequestInit) => {
      const res = await fetch(`${url}${path}`, init);
      return [res.status, ((await res.json()) as { error?: string }).error ?? ''] as const;
    };
    for (const limit of ['abc', '0', '-1', '1.5', '1e3', '99999999999999999999']) {
      const [code, error] = await status(`/api/anomalies?limit=${limit}`);
      expect([limit, code, error]).toEqual([limit, 400, 'limit must be a whole number from 1 to 1000']);
    }
    expect((await status('/api/dead-letters?limit=x'))[0]).toBe(400);
    // Larger asks are capped, not refused.
    expect((await status('/api/anomalies?limit=5000'))[0]).toBe(200);
    expect((await status('/api/anomalies?since=yesterday'))[0]).toBe(400);
    expect(await status('/api/patterns/%E0%A4%A/mute', { method: 'DELETE' })).toEqual([400, 'malformed percent-encoding in the path']);
    expect(await status('/api/patterns/p1/mute', { method: 'PUT', body: '{"until":' })).toEqual([400, 'request body is not valid JSON']);
    expect((await status('/api/dead-letters/DROP%20TABLE/replay', { method: 'POST' }))[0]).toBe(400);
    expect((await status('/api/dead-letters/%ZZ/replay', { method: 'POST' }))[0]).toBe(400);
    expect(await status('/api/dead-letters/987654/replay', { method: 'POST' })).toEqual([404, 'no dead letter 987654']);
    expect((await status('/api/dead-letters/1/replay'))[0]).toBe(405);
    expect(await status('/api/nothing-here')).toEqual([404, 'no such API path']);
  });

  it('keeps dead letters across a restart and replays one once its cause is fixed', async () => {
    await service!.stop();
    service = undefined;
    await onDatabase(dataDir, 'DROP TRIGGER refuse_poison ON log_anomalies');
    await start();
    const [letter] = JSON.parse((await runCli(['dead-letters', '--url', url, '--json'])).stdout) as Listed[];
    expect(letter).toBeDefined();

    const replayed = await runCli(['dead-letters', 'replay', letter!.id, '--url', url]);
    expect(replayed).toMatchObject({ code: 0, stdout: `replayed dead letter ${letter!.id}: its work is queued again\n` });
    expect(await messages()).toContain('ledger export POISON failed for batch 7');
    expect((await runCli(['dead-letters', '--url', url])).stdout).toBe('no dead letters\n');

    const again = await runCli(['dead-letters', 'replay', letter!.id, '--url', url]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`no dead letter ${letter!.id}`);
  });
});
