/** Real Redis for queue and worker tests: a unique key prefix per test, removed afterwards. */
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { LEVELS, type AttributeValue, type Attributes, type LogEntry } from '../../src/log-entry.js';
import type { AcceptedExport } from '../../src/otlp/accepted-export.js';
import { inspectExport } from '../../src/otlp/inspect-export.js';
import { encodeRequest } from '../helpers/otlp-raw.js';

export const silent = pino({ level: 'silent' });

export interface RedisFixture {
  redis: Redis;
  prefix: string;
  cleanup(): Promise<void>;
}

export function connect(url = 'redis://127.0.0.1:6379'): Redis {
  return new Redis(url, { maxRetriesPerRequest: 2, retryStrategy: (n) => Math.min(50 * 2 ** n, 500) });
}

export async function redisFixture(): Promise<RedisFixture> {
  const redis = connect();
  await redis.ping();
  const prefix = `anomalog-test-${randomUUID()}`;
  return {
    redis,
    prefix,
    async cleanup() {
      // The prefix is unique to this test and contains no glob characters.
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        if (found.length > 0) await redis.del(...found);
        cursor = next;
      } while (cursor !== '0');
      redis.disconnect();
    },
  };
}

export function entry(service: string, message: string, extra: Partial<LogEntry> = {}): LogEntry {
  return { time: 1_700_000_000_000, service, level: 'info', message, traceId: '', spanId: '', attributes: {}, resource: { 'service.name': service }, scope: 'test', ...extra };
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

export function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

function anyValue(value: AttributeValue): Record<string, unknown> {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: value } : { doubleValue: value };
  if (value === null) return {};
  if (Array.isArray(value)) return { arrayValue: { values: value.map(anyValue) } };
  return { kvlistValue: { values: keyValues(value) } };
}

const keyValues = (attributes: Attributes) => Object.entries(attributes).map(([key, value]) => ({ key, value: anyValue(value) }));

/**
 * The entries as an export a receiver took over OTLP/protobuf: one ResourceLogs
 * per run of entries of one service, every record usable. Entries that hold
 * what OTLP carries (a time in whole ms, info-like levels at their first
 * severity number) come back from the queue equal.
 */
export function acceptedOf(entries: readonly LogEntry[]): AcceptedExport {
  const resourceLogs: Array<{ resource: unknown; scopeLogs: Array<{ scope: { name: string }; logRecords: unknown[] }> }> = [];
  let last: LogEntry | undefined;
  for (const e of entries) {
    if (!last || last.service !== e.service || JSON.stringify(last.resource) !== JSON.stringify(e.resource) || last.scope !== e.scope) {
      resourceLogs.push({ resource: { attributes: keyValues(e.resource) }, scopeLogs: [{ scope: { name: e.scope }, logRecords: [] }] });
    }
    last = e;
    resourceLogs.at(-1)!.scopeLogs[0]!.logRecords.push({
      timeUnixNano: String(BigInt(e.time) * 1_000_000n),
      severityNumber: LEVELS.indexOf(e.level) * 4 + 1,
      body: { stringValue: e.message },
      attributes: keyValues(e.attributes),
      traceId: Buffer.from(e.traceId, 'hex'),
      spanId: Buffer.from(e.spanId, 'hex'),
    });
  }
  return acceptedOfBytes(encodeRequest({ resourceLogs }));
}

/** An OTLP/protobuf request as the receiver takes it, every service admitted. */
export function acceptedOfBytes(bytes: Buffer): AcceptedExport {
  const decoded = inspectExport(bytes);
  return { ...decoded, resources: decoded.summary.resources, arrivalMs: Date.now() };
}
