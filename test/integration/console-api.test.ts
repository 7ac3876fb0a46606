/**
 * What the console is served and reads: the page and its bundle before the
 * token with their security headers, and the read endpoints behind it
 * (anomalies filtered and paged, one anomaly, patterns with window counts,
 * services, settings), on a running embedded service and on both databases.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsole } from '../../src/console/console-routes.js';
import { createAnomalyRepo } from '../../src/store/anomaly-repo.js';
import { type Database } from '../../src/store/database.js';
import { createPatternRepo } from '../../src/store/pattern-repo.js';
import { createSdkExporter, createSdkProvider } from '../helpers/otlp-sdk.js';
import { openTestDatabase } from '../helpers/test-database.js';
import { waitFor } from '../helpers/slack-server.js';
import { makeAnomaly } from '../helpers/slack-fixtures.js';
import { startTestService } from '../helpers/test-service.js';

const logger = pino({ level: 'silent' });
const TOKEN = 'console-api-token-19be';
const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

describe.each(['postgres', 'pglite'] as const)('console queries on %s', (kind) => {
  let db: Database;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ db, close } = await openTestDatabase(kind, 'console_db', logger));
  });
  afterAll(() => close());

  it('pages through anomalies newest first without a gap or a repeat, even where detection times tie', async () => {
    const repo = createAnomalyRepo(db);
    // 25 anomalies over 10 distinct times: pages of 4 cut through ties.
    const all = Array.from({ length: 25 }, (_v, i) => makeAnomaly({ id: `page-${String(i).padStart(2, '0')}`, service: 'paging', detectedAt: T0 + Math.floor(i / 3) * 1000 }));
    await repo.insert(all);
    const seen: string[] = [];
    let before: { detectedAt: number; id: string } | undefined;
    for (;;) {
      const page = await repo.recent({ service: 'paging', limit: 4, before });
      seen.push(...page.map((a) => a.id));
      if (page.length < 4) break;
      before = { detectedAt: page.at(-1)!.detectedAt, id: page.at(-1)!.id };
    }
    const expected = [...all].sort((a, b) => b.detectedAt - a.detectedAt || (a.id < b.id ? 1 : -1)).map((a) => a.id);
    expect(seen).toEqual(expected);
    // Without an id, the cursor takes what is strictly older.
    expect((await repo.recent({ service: 'paging', before: { detectedAt: T0 + 1000, id: '' } })).map((a) => a.id)).toEqual(['page-02', 'page-01', 'page-00']);
  });

  it('filters anomalies by kinds, levels and time, and reads one by id', async () => {
    const repo = createAnomalyRepo(db);
    await repo.insert([
      makeAnomaly({ id: 'f-1', service: 'filters', kind: 'new_pattern', level: 'error', detectedAt: T0 + 1 }),
      makeAnomaly({ id: 'f-2', service: 'filters', kind: 'frequency_spike', level: 'info', detectedAt: T0 + 2 }),
      makeAnomaly({ id: 'f-3', service: 'filters', kind: 'new_pattern', level: 'fatal', detectedAt: T0 + 3 }),
      makeAnomaly({ id: 'f-4', service: 'filters', kind: 'pattern_limit', level: 'warn', detectedAt: T0 + 4 }),
    ]);
    const ids = async (q: Parameters<typeof repo.recent>[0]) => (await repo.recent({ service: 'filters', ...q })).map((a) => a.id);
    expect(await ids({ kinds: ['new_pattern'] })).toEqual(['f-3', 'f-1']);
    expect(await ids({ levels: ['error', 'fatal'] })).toEqual(['f-3', 'f-1']);
    expect(await ids({ kinds: ['new_pattern', 'pattern_limit'], levels: ['warn', 'error'] })).toEqual(['f-4', 'f-1']);
    expect(await ids({ sinceMs: T0 + 3 })).toEqual(['f-4', 'f-3']);
    expect(await repo.get('f-2')).toMatchObject({ id: 'f-2', kind: 'frequency_spike', samples: expect.any(Array), attributes: { 'http.route': '/charge' } });
    expect(await repo.get('no-such-anomaly')).toBeUndefined();
  });

  it('sums the mirrored patterns per service', async () => {
    const repo = createPatternRepo(db);
    const row = (id: string, service: string, lastSeen: number) => ({
      id, service, template: 't', example: 'e', level: 'info', count: 1, firstSeen: T0, lastSeen, muted: false, mutedUntil: null,
    });
    await repo.upsert([row('s-1', 'alpha', T0 + 5), row('s-2', 'alpha', T0 + 9), row('s-3', 'beta', T0 + 1)]);
    const mine = (await repo.services()).filter((s) => ['alpha', 'beta'].includes(s.service));
    expect(mine).toEqual([
      { service: 'alpha', patterns: 2, lastSeen: T0 + 9 },
      { service: 'beta', patterns: 1, lastSeen: T0 + 1 },
    ]);
  });
});

describe('the console on a running service', () => {
  let url: string;
  let stop: (() => Promise<void>) | undefined;
  const auth = { authorization: `Bearer ${TOKEN}` };

  async function json(path: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${url}${path}`, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  beforeAll(async () => {
    ({ url, stop } = await startTestService(
      'console-api',
      { ANOMALOG_LEARNING_PERIOD: '0', ANOMALOG_AUTH_TOKEN: TOKEN, ANOMALOG_SPIKE_WINDOW: '10', ANOMALOG_TRACE_URL: 'https://traces.example/t/{traceId}' },
      { logger },
    ));
    const provider = createSdkProvider(createSdkExporter('http/protobuf', { grpcUrl: '', httpUrl: url }, { token: TOKEN }), { 'service.name': 'billing' });
    const otel = provider.getLogger('console-api');
    for (let i = 0; i < 3; i++) otel.emit({ severityText: 'INFO', body: `invoice ${i} sent to customer ${i * 7}` });
    otel.emit({ severityText: 'ERROR', body: 'ledger export to warehouse failed: connection reset by peer' });
    otel.emit({ severityText: 'WARN', body: 'invoice renderer fell back to the plain template' });
    await provider.forceFlush();
    await provider.shutdown();
  }, 60_000);

  afterAll(() => stop?.());

  it('serves the page and its bundle without the token, with a content security policy and nosniff', async () => {
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await page.text();
    const script = /<script type="module" src="(\/console\/app\.js\?v=\w+)">/.exec(html)?.[1];
    const style = /<link rel="stylesheet" href="(\/console\/app\.css\?v=\w+)">/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect(style).toBeDefined();
    // Nothing but this host: no absolute URL anywhere in the page.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);

    const js = await fetch(`${url}${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    const code = await js.text();
    expect(code).toContain('/api/anomalies');
    expect(code).not.toMatch(/innerHTML|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    const css = await fetch(`${url}${style}`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const etag = css.headers.get('etag')!;
    expect((await fetch(`${url}/console/app.css`, { headers: { 'if-none-match': etag } })).status).toBe(304);

    expect((await fetch(`${url}/`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${url}/`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${url}/console/other.js`)).status).toBe(404);
    expect((await fetch(`${url}/favicon.ico`)).status).toBe(204);
  });

  it('keeps every /api read behind the token', async () => {
    for (const path of ['/api/settings', '/api/services', '/api/anomalies', '/api/patterns', '/api/anomalies/x']) {
      expect((await fetch(`${url}${path}`)).status).toBe(401);
      expect((await fetch(`${url}${path}`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    }
    const { status, body } = await json('/api/settings');
    expect(status).toBe(200);
    expect(body).toEqual({ traceUrl: 'https://traces.example/t/{traceId}', windowSeconds: 10, learningPeriodSeconds: 0 });
  });

  it('lists anomalies briefly for the list, with the next page’s cursor, and in full one by one', async () => {
    await waitFor(async () => ((await json('/api/anomalies')).body.anomalies as unknown[]).length >= 2, 10_000);
    const brief = await json('/api/anomalies?view=brief&limit=1');
    const [first] = brief.body.anomalies as Array<Record<string, unknown>>;
    expect(first).not.toHaveProperty('samples');
    expect(first).not.toHaveProperty('attributes');
    expect(brief.body.next).toEqual({ before: first!.detectedAt, beforeId: first!.id });
    const second = await json(`/api/anomalies?view=brief&limit=1&before=${first!.detectedAt as number}&beforeId=${first!.id as string}`);
    expect((second.body.anomalies as Array<{ id: string }>)[0]!.id).not.toBe(first!.id);
    expect((await json('/api/anomalies?limit=1000')).body.next).toBeNull();

    expect(((await json('/api/anomalies?level=error,fatal')).body.anomalies as Array<{ message: string }>).map((a) => a.message)).toEqual([
      'ledger export to warehouse failed: connection reset by peer',
    ]);
    expect((await json('/api/anomalies?kind=frequency_spike')).body.anomalies).toEqual([]);
    expect(await json('/api/anomalies?level=loud')).toEqual({ status: 400, body: { error: 'level: "loud" is not a known level' } });
    expect((await json('/api/anomalies?kind=DROP%20TABLE')).status).toBe(400);
    expect((await json('/api/anomalies?before=soon')).status).toBe(400);

    const one = await json(`/api/anomalies/${encodeURIComponent(first!.id as string)}`);
    expect(one.status).toBe(200);
    expect(one.body.anomaly).toMatchObject({ id: first!.id, samples: expect.any(Array), attributes: expect.any(Object) });
    expect(await json('/api/anomalies/nothing-here')).toEqual({ status: 404, body: { error: 'no such anomaly' } });
  });

  it('gives each pattern its recent window counts, current window last', async () => {
    const { body } = await json('/api/patterns?service=billing&windows=5');
    expect(body.windowSeconds).toBe(10);
    const patterns = body.patterns as Array<{ template: string; recentCounts: number[]; lastSeen: number }>;
    const invoices = patterns.find((p) => p.template.startsWith('invoice <NUM> sent'))!;
    expect(invoices.recentCounts).toHaveLength(5);
    // Sent moments ago: all three in the last window or two.
    expect(invoices.recentCounts.slice(-2).reduce((a, b) => a + b, 0)).toBe(3);
    expect(patterns.map((p) => p.lastSeen)).toEqual([...patterns.map((p) => p.lastSeen)].sort((a, b) => b - a));
    expect(patterns.every((p) => !('centroid' in p))).toBe(true);
    expect(((await json('/api/patterns?service=billing')).body.patterns as Array<Record<string, unknown>>)[0]).not.toHaveProperty('recentCounts');
    expect((await json('/api/patterns?windows=31')).status).toBe(400);
    expect((await json('/api/patterns?windows=-1')).status).toBe(400);
  });

  it('lists services with their learning state, pattern count and last record', async () => {
    await waitFor(async () => ((await json('/api/services')).body.services as unknown[]).length > 0, 10_000);
    const { body } = await json('/api/services');
    expect(body.services).toEqual([
      { service: 'billing', known: true, learned: true, learningUntil: null, patterns: 3, lastRecord: expect.any(Number) },
    ]);
  });

  it('refuses a mute sent by a page of another site, and takes the console’s own', async () => {
    const patterns = (await json('/api/patterns?service=billing')).body.patterns as Array<{ id: string; muted: boolean }>;
    const id = patterns[0]!.id;
    const mute = (site: string) =>
      json(`/api/patterns/${id}/mute`, { method: 'POST', headers: { 'content-type': 'application/json', 'sec-fetch-site': site }, body: JSON.stringify({ until: null }) });
    expect(await mute('cross-site')).toEqual({ status: 403, body: { error: 'requests from pages of other sites are refused' } });
    expect(await mute('same-site')).toMatchObject({ status: 403 });
    expect(((await json('/api/patterns?service=billing')).body.patterns as Array<{ id: string; muted: boolean }>).find((p) => p.id === id)!.muted).toBe(false);
    expect(await mute('same-origin')).toEqual({ status: 200, body: { id, muted: true, until: null } });
    expect((await json(`/api/patterns/${id}/mute`, { method: 'DELETE', headers: { 'sec-fetch-site': 'same-origin' } })).status).toBe(200);
  });
});

describe('the console without its bundle', () => {
  let server: Server;
  beforeAll(async () => {
    const routes = await createConsole({ logger, assetsDir: join(tmpdir(), 'anomalog-no-such-console') });
    server = createServer((req, res) => {
      void routes.handle(req, res, new URL(req.url ?? '/', 'http://x')).then((done) => {
        if (!done) res.writeHead(418).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('answers 503 saying how to build it, and leaves other paths to the service', async () => {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(/the console is not built .*run `npm run build`/);
    expect((await fetch(`${base}/v1/logs`)).status).toBe(418);
  });
});
