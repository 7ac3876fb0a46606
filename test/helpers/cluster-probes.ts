/** Read-only looks at a running cluster: Postgres rows, the pattern API, readiness, the Redis queue. */
import pg from 'pg';
import type { Redis } from 'ioredis';
import { CONSUMER_GROUP, createQueueKeys } from '../../src/redis-keys.js';

const queueKeys = createQueueKeys();

export async function sql<T extends Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

export interface AnomalyRow extends Record<string, unknown> {
  id: string;
  service: string;
  kind: string;
  pattern_id: string;
  message: string;
}

export interface AlertRow extends Record<string, unknown> {
  id: string;
  service: string;
  pattern_id: string;
  status: string;
  severity: string;
}

export function anomaliesOf(url: string, services: readonly string[]): Promise<AnomalyRow[]> {
  return sql<AnomalyRow>(url, 'SELECT id, service, kind, pattern_id, message FROM log_anomalies WHERE service = ANY($1) ORDER BY detected_at', [services]);
}

export function alertsOf(url: string, services: readonly string[]): Promise<AlertRow[]> {
  return sql<AlertRow>(url, 'SELECT id, service, pattern_id, status, severity FROM alerts WHERE service = ANY($1)', [services]);
}

export interface PatternView {
  id: string;
  service: string;
  template: string;
  count: number;
}

/** The operator API of a worker (what `anomalog patterns --service` prints). */
export async function patternsOf(httpPort: number, service: string): Promise<PatternView[]> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/api/patterns?service=${encodeURIComponent(service)}`);
  if (res.status !== 200) throw new Error(`GET /api/patterns answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { patterns: PatternView[] }).patterns;
}

/** Records counted over all of a service's patterns. */
export async function countedRecords(httpPort: number, service: string): Promise<number> {
  return (await patternsOf(httpPort, service)).reduce((sum, p) => sum + p.count, 0);
}

export async function readiness(httpPort: number): Promise<{ ready: boolean; checks: Record<string, string> }> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
  const body = (await res.json()) as { ready: boolean; checks: Record<string, string> };
  if ((res.status === 200) !== body.ready) throw new Error(`/readyz status ${res.status} disagrees with its body ${JSON.stringify(body)}`);
  return body;
}

/** Records queued and not yet acknowledged, over all shards. */
export async function backlog(redis: Redis, shards: number): Promise<number> {
  const values = await redis.mget(Array.from({ length: shards }, (_v, s) => queueKeys.backlog(s)));
  return values.reduce((sum, v) => sum + Number(v ?? 0), 0);
}

/** Stream entries a consumer has read and not acknowledged, per consumer name. */
export async function pendingByConsumer(redis: Redis, shards: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let s = 0; s < shards; s++) {
    const reply = (await redis.call('XPENDING', queueKeys.stream(s), CONSUMER_GROUP).catch(() => [0, null, null, null])) as [number, unknown, unknown, [string, string][] | null];
    for (const [name, count] of reply[3] ?? []) out.set(name, (out.get(name) ?? 0) + Number(count));
  }
  return out;
}

/** The consumer name holding each shard's lease (undefined when free). */
export async function leaseHolders(redis: Redis, shards: number): Promise<Array<string | undefined>> {
  const values = await redis.mget(Array.from({ length: shards }, (_v, s) => queueKeys.lease(s)));
  return values.map((v) => v ?? undefined);
}

/** Consumer names carry the process id: `${hostname}-${pid}-${random}`. */
export function pidOfConsumer(name: string): number {
  return Number(/-(\d+)-[0-9a-f]+$/.exec(name)?.[1]);
}

/** The sum of every series of one Prometheus metric a process exposes on /metrics. */
export async function metricTotal(httpPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^(\w+)(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (match?.[1] === name) sum += Number(match[2]);
  }
  return sum;
}

/** True once every one of these processes holds at least one shard lease. */
export async function eachHoldsALease(redis: Redis, shards: number, pids: readonly number[]): Promise<boolean> {
  const holders = new Set((await leaseHolders(redis, shards)).map((name) => (name ? pidOfConsumer(name) : 0)));
  return pids.every((pid) => holders.has(pid));
}

/** Which of these processes holds the shard's lease now, if any. */
export async function leaseHolderAmong<P extends { child: { pid?: number | undefined } }>(redis: Redis, shards: number, shard: number, processes: readonly P[]): Promise<P | undefined> {
  const name = (await leaseHolders(redis, shards))[shard];
  return name === undefined ? undefined : processes.find((p) => p.child.pid === pidOfConsumer(name));
}
