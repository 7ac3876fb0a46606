/**
 * ANOMALOG_MAX_SERVICES and ANOMALOG_SERVICE_IDLE_TTL through the running
 * service: OTLP exports over gRPC and HTTP, the partial_success answer, the
 * metrics and what the detector and its snapshot keep. Once on the embedded
 * default, once on Redis (a Redis database of its own, claimed for the test) + Postgres.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { LOOPBACK_ANY_PORT } from '../../src/demo/loopback.js';
import { startService, type RunningService } from '../../src/service/start-service.js';
import { createRedisServiceAdmission } from '../../src/store/redis-service-admission.js';
import { decodeExportResponse, encodeRequest, grpcExport } from '../helpers/otlp-raw.js';
import { createScratchDatabase } from '../helpers/postgres-scratch.js';

const logger = pino({ level: process.env.TEST_LOG ?? 'silent' });

/** One export: `count` records for each service named. */
function request(...services: Array<[service: string, count: number]>): Record<string, unknown> {
  return {
    resourceLogs: services.map(([service, count]) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeLogs: [{ logRecords: Array.from({ length: count }, (_v, i) => ({ severityNumber: 9, body: { stringValue: `job ${i} finished in ${i * 3} ms` } })) }],
    })),
  };
}

async function exportGrpc(port: number, ...services: Array<[string, number]>) {
  const { error, response } = await grpcExport(port, encodeRequest(request(...services)));
  if (error) throw error;
  return decodeExportResponse(response!).partialSuccess;
}

async function metric(service: RunningService, line: RegExp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${service.httpPort}/metrics`)).text();
  const match = text.split('\n').find((l) => line.test(l));
  return match ? Number(match.slice(match.lastIndexOf(' ') + 1)) : 0;
}

async function patternsOf(service: RunningService, name: string): Promise<unknown[]> {
  const res = await fetch(`http://127.0.0.1:${service.httpPort}/api/patterns?service=${encodeURIComponent(name)}`);
  return ((await res.json()) as { patterns: unknown[] }).patterns;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A Redis database no one else uses, claimed with SET NX; flushed when released. */
async function claimRedisDatabase(): Promise<{ url: string; redis: Redis; release(): Promise<void> }> {
  for (let db = 15; db >= 1; db--) {
    const redis = new Redis(`redis://127.0.0.1:6379/${db}`);
    if ((await redis.dbsize()) === 0 && (await redis.set('anomalog-test-claim', '1', 'NX')) === 'OK') {
      return {
        url: `redis://127.0.0.1:6379/${db}`,
        redis,
        async release() {
          await redis.flushdb();
          redis.disconnect();
        },
      };
    }
    redis.disconnect();
  }
  throw new Error('no free Redis database for the test');
}

describe.each(['embedded', 'production'] as const)('ANOMALOG_MAX_SERVICES on the %s setup', (mode) => {
  const suffix = randomBytes(3).toString('hex');
  const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((n) => `limits-${n}-${suffix}`) as [string, string, string, string, string];
  let dataDir: string;
  let scratch: { url: string; drop(): Promise<void> } | undefined;
  let redisDb: Awaited<ReturnType<typeof claimRedisDatabase>> | undefined;
  let service: RunningService;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'anomalog-limits-'));
    const env: Record<string, string> = { ...LOOPBACK_ANY_PORT, ANOMALOG_DATA_DIR: dataDir, ANOMALOG_MAX_SERVICES: '3' };
    if (mode === 'production') {
      scratch = await createScratchDatabase('limits');
      redisDb = await claimRedisDatabase();
      env.DATABASE_URL = scratch.url;
      env.REDIS_URL = redisDb.url;
    }
    service = await startService({ config: loadConfig(env), logger });
  }, 60_000);

  afterAll(async () => {
    await service?.stop();
    await redisDb?.release();
    await scratch?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses the records of services past the cap in partial_success naming the setting, counts them, and keeps taking known services', async () => {
    expect(await exportGrpc(service.grpcPort, [a, 2], [b, 2], [c, 2])).toBeUndefined();

    const partial = await exportGrpc(service.grpcPort, [d, 3], [a, 2]);
    expect(partial?.rejectedLogRecords).toBe(3);
    expect(partial?.errorMessage).toContain('service limit ANOMALOG_MAX_SERVICES=3 reached');
    expect(partial?.errorMessage).toContain(d);

    // Known services go on being accepted, over either transport.
    expect(await exportGrpc(service.grpcPort, [b, 1])).toBeUndefined();
    const http = await fetch(`http://127.0.0.1:${service.httpPort}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // The object form is valid OTLP/JSON (camelCase names, enum numbers).
      body: JSON.stringify(request([c, 1], [e, 4])),
    });
    expect(http.status).toBe(200);
    const body = (await http.json()) as { partialSuccess?: { rejectedLogRecords?: string | number; errorMessage?: string } };
    expect(Number(body.partialSuccess?.rejectedLogRecords)).toBe(4);
    expect(body.partialSuccess?.errorMessage).toContain('ANOMALOG_MAX_SERVICES=3');

    expect(await metric(service, /^anomalog_rejected_log_records_total\{transport="grpc",reason="service_limit"\}/)).toBe(3);
    expect(await metric(service, /^anomalog_rejected_log_records_total\{transport="http",reason="service_limit"\}/)).toBe(4);
    expect(await metric(service, /^anomalog_received_log_records_total\{transport="grpc"\}/)).toBe(9);
    expect(await metric(service, /^anomalog_admitted_services /)).toBe(3);
    // On Redis the slots are shared by every receiver.
    if (redisDb) expect((await redisDb.redis.zrange('anomalog:services', '0', '-1')).sort()).toEqual([a, b, c]);

    // The refused records never reached the detector; the admitted ones did.
    await waitFor('the admitted records to be detected', async () => (await patternsOf(service, a)).length > 0);
    expect(await patternsOf(service, d)).toEqual([]);
    expect(await patternsOf(service, e)).toEqual([]);
  });
});

describe('ANOMALOG_SERVICE_IDLE_TTL on the embedded setup', () => {
  let dataDir: string;
  let service: RunningService | undefined;

  afterAll(async () => {
    await service?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('forgets an idle service on a timer: its slot, its patterns and its snapshot entries', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'anomalog-idle-'));
    const env = { ...LOOPBACK_ANY_PORT, ANOMALOG_DATA_DIR: dataDir, ANOMALOG_MAX_SERVICES: '1', ANOMALOG_SERVICE_IDLE_TTL: '2s' };
    const running = await startService({ config: loadConfig(env), logger });
    service = running;
    const old = `idle-old-${randomBytes(3).toString('hex')}`;
    const next = `idle-new-${randomBytes(3).toString('hex')}`;
    expect(await exportGrpc(running.grpcPort, [old, 2])).toBeUndefined();
    expect(await patternsOf(running, old)).toHaveLength(1);
    expect((await exportGrpc(running.grpcPort, [next, 1]))?.rejectedLogRecords).toBe(1);

    await waitFor('the sweep to forget the idle service', async () =>
      (await metric(running, /^anomalog_idle_services_forgotten_total\{part="admission"\}/)) >= 1 &&
      (await metric(running, /^anomalog_idle_services_forgotten_total\{part="detector"\}/)) >= 1,
    );
    expect(await patternsOf(running, old)).toEqual([]);
    expect(await exportGrpc(running.grpcPort, [next, 1])).toBeUndefined();

    await running.stop();
    service = undefined;
    const snapshot = JSON.parse(await readFile(join(dataDir, 'patterns.json'), 'utf8')) as { services: Array<{ service: string }>; extra: { miners: object } };
    expect(snapshot.services.map((s) => s.service)).toEqual([next]);
    expect(Object.keys(snapshot.extra.miners)).toEqual([next]);
  }, 60_000);
});

describe('Redis service admission shared by receivers', () => {
  it('never lets two receivers together admit more services than the cap, and frees idle slots', async () => {
    const prefix = `anomalog-test-${randomBytes(6).toString('hex')}`;
    const clients = [new Redis('redis://127.0.0.1:6379'), new Redis('redis://127.0.0.1:6379')];
    let clock = 1_000_000;
    const limits = { maxServices: 5, serviceIdleTtlMs: 60_000 };
    const [one, two] = clients.map((redis) => createRedisServiceAdmission({ redis, prefix, limits, now: () => clock })) as [
      ReturnType<typeof createRedisServiceAdmission>,
      ReturnType<typeof createRedisServiceAdmission>,
    ];
    try {
      const names = Array.from({ length: 8 }, (_v, i) => `svc-${i}`);
      const [x, y] = await Promise.all([one.admit(names.slice(0, 4)), two.admit(names.slice(4))]);
      expect(x.refused.length + y.refused.length).toBe(3);
      const admitted = names.filter((n) => !x.refused.includes(n) && !y.refused.includes(n));
      expect(await clients[0]!.zcard(`${prefix}:services`)).toBe(5);
      // A known service is admitted by either receiver, which refreshes its last-seen time.
      clock += 30_000;
      expect((await two.admit([admitted[0]!])).refused).toEqual([]);

      clock += 31_000;
      expect(await one.forgetIdle(clock - limits.serviceIdleTtlMs)).toBe(4);
      expect((await one.admit([x.refused[0] ?? y.refused[0]!])).refused).toEqual([]);
    } finally {
      await clients[0]!.del(`${prefix}:services`);
      for (const client of clients) client.disconnect();
    }
  });
});
