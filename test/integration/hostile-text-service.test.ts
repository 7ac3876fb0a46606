/**
 * Hostile text through the running service, as a property: arbitrary Unicode
 * (NUL, unpaired surrogates, control and bidi characters, now and then 1 MB) in
 * every OTLP string field of an ERROR record, over OTLP/HTTP protobuf or JSON.
 * After each such export a clean error of another service must still be
 * detected and listed by the operator API within seconds — one stored row the
 * database refused used to block every later export. Once on the embedded
 * default (PGlite), once on production (Redis Streams and Postgres).
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/service/start-service.js';
import { hostileFields, hostileLogsRequest, toOtlpJson } from '../fuzz/otlp-arbitraries.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/cluster-redis.js';
import { encodeRequest, postLogs, simpleRequest } from '../helpers/otlp-raw.js';
import { createScratchDatabase } from '../helpers/postgres-scratch.js';
import { unstorable } from '../text/unstorable-text.js';
import { startTestService } from '../helpers/test-service.js';

interface ApiAnomaly {
  kind: string;
  service: string;
  message: string;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.each(['embedded', 'production'] as const)('hostile text through the running service (%s)', (mode) => {
  let service: RunningService;
  let stop: (() => Promise<void>) | undefined;
  let redis: PrivateRedis | undefined;
  let scratch: { url: string; drop(): Promise<void> } | undefined;
  const run = randomBytes(3).toString('hex');
  const logs: string[] = [];

  beforeAll(async () => {
    const env: Record<string, string> = {
      ANOMALOG_LEARNING_PERIOD: '0',
      ANOMALOG_NEW_PATTERN_MIN_LEVEL: 'error',
    };
    if (mode === 'production') {
      // A private Redis: the service's fixed key prefix meets no other test's keys.
      redis = await startPrivateRedis();
      scratch = await createScratchDatabase('hostile');
      env.REDIS_URL = redis.url;
      env.DATABASE_URL = scratch.url;
    }
    // Warnings and errors kept, so a failure shows what the service said.
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logs.push(line) });
    ({ service, stop } = await startTestService('hostile', env, { logger }));
  }, 60_000);

  afterAll(async () => {
    await stop?.();
    await redis?.dispose();
    await scratch?.drop();
  }, 60_000);

  const httpUrl = () => `http://127.0.0.1:${service.httpPort}`;

  /** Of one service, or of all detected since a time. */
  async function anomaliesOf(q: { service: string } | { since: number }): Promise<ApiAnomaly[]> {
    const res = await fetch(`${httpUrl()}/api/anomalies?${new URLSearchParams('service' in q ? q : { since: String(q.since) }).toString()}`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { anomalies: ApiAnomaly[] }).anomalies;
  }

  it('stores hostile errors made safe and still detects a clean error of another service after each', async () => {
    let caseNo = 0;
    await fc.assert(
      fc.asyncProperty(hostileFields, fc.constantFrom('protobuf', 'json'), async (fields, format) => {
        caseNo++;
        const started = Date.now();
        // A prefix no cut reaches, so each case is a new service with a new pattern.
        const prefix = `hostile-${run}-${caseNo}-`;
        const request = hostileLogsRequest(fields, prefix);
        const hostile = format === 'json'
          ? await postLogs(httpUrl(), JSON.stringify(toOtlpJson(request)), { 'content-type': 'application/json' })
          : await postLogs(httpUrl(), encodeRequest(request));
        expect(hostile.status).toBe(200);

        const clean = `clean-${run}-${caseNo}`;
        const res = await postLogs(httpUrl(), encodeRequest(withErrorLevel(simpleRequest(1, clean, `ledger ${caseNo} reconciliation aborted: checksum mismatch`))));
        expect(res.status).toBe(200);
        const detected = await waitFor(`the clean error of ${clean}`, async () => (await anomaliesOf({ service: clean })).find((a) => a.kind === 'new_pattern'));
        expect(detected.message).toMatch(/^ledger \d+ reconciliation aborted/);

        // The hostile record itself was detected and stored, its text made safe.
        const stored = await waitFor(`the hostile error of ${prefix}`, async () =>
          (await anomaliesOf({ since: started })).find((a) => a.kind === 'new_pattern' && a.service.startsWith(prefix)),
        );
        expect(unstorable(stored.service) || unstorable(stored.message)).toBe(false);
      }),
      // The service's state carries over between cases, so a shrunk case would not mean more than the first failure.
      { numRuns: 25, endOnFailure: true },
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\nservice warnings and errors:\n${logs.slice(-20).join('')}`);
    });
    expect(logs.join('')).not.toMatch(/set aside/);
  }, 240_000);

  it('counts attributes dropped past the cap in anomalog_dropped_attributes_total', async () => {
    const request = simpleRequest(1, `wide-${run}`, 'wide record');
    const record = (request.resourceLogs as { scopeLogs: { logRecords: Record<string, unknown>[] }[] }[])[0]!.scopeLogs[0]!.logRecords[0]!;
    record.attributes = Array.from({ length: 300 }, (_, i) => ({ key: `a${i}`, value: { intValue: i } }));
    const before = await droppedAttributes();
    expect((await postLogs(httpUrl(), encodeRequest(request))).status).toBe(200);
    expect((await droppedAttributes()) - before).toBe(300 - 128);
  });

  async function droppedAttributes(): Promise<number> {
    const text = await (await fetch(`${httpUrl()}/metrics`)).text();
    const line = /^anomalog_dropped_attributes_total\{transport="http"\} (\d+)$/m.exec(text);
    return line ? Number(line[1]) : 0;
  }
});

function withErrorLevel(request: Record<string, unknown>): Record<string, unknown> {
  for (const rl of request.resourceLogs as { scopeLogs: { logRecords: Record<string, unknown>[] }[] }[]) {
    for (const sl of rl.scopeLogs) for (const record of sl.logRecords) record.severityNumber = 17;
  }
  return request;
}
