import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, credentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadOtlpRoot } from '../../src/otlp/proto-root.js';
import type { HttpExtension } from '../../src/receiver/receiver.js';
import { metricValue, startTestReceiver, type TestReceiver } from '../helpers/otlp-receiver.js';
import { encodeRequest, grpcExport, grpcUnary, postLogs, simpleRequest } from '../helpers/otlp-raw.js';
import { createSdkExporter, createSdkProvider } from '../helpers/otlp-sdk.js';

const TOKEN = 's3cret-token';
const body = encodeRequest(simpleRequest(1, 'auth'));

describe('with ANOMALOG_AUTH_TOKEN set', () => {
  let receiver: TestReceiver;
  const extension: HttpExtension = {
    async handle(_req, res, url) {
      if (url.pathname !== '/api/ping') return false;
      res.end('pong');
      return true;
    },
  };
  beforeAll(async () => {
    receiver = await startTestReceiver({ env: { ANOMALOG_AUTH_TOKEN: TOKEN }, extension });
  });
  afterAll(() => receiver.stop());

  test('gRPC answers UNAUTHENTICATED without a token or with a wrong one', async () => {
    expect((await grpcExport(receiver.grpcPort, body)).error?.code).toBe(status.UNAUTHENTICATED);
    expect((await grpcExport(receiver.grpcPort, body, { token: 'wrong' })).error?.code).toBe(status.UNAUTHENTICATED);
    expect((await grpcExport(receiver.grpcPort, body, { token: `${TOKEN}x` })).error?.code).toBe(status.UNAUTHENTICATED);
  });

  test('gRPC accepts the right bearer token', async () => {
    expect((await grpcExport(receiver.grpcPort, body, { token: TOKEN })).error).toBeUndefined();
  });

  test('HTTP answers 401 without a token or with a wrong one, and 200 with the right one', async () => {
    expect((await postLogs(receiver.httpUrl, body)).status).toBe(401);
    expect((await postLogs(receiver.httpUrl, body, { 'content-type': 'application/x-protobuf', authorization: 'Bearer nope' })).status).toBe(401);
    expect((await postLogs(receiver.httpUrl, body, { 'content-type': 'application/x-protobuf', authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await postLogs(receiver.httpUrl, body, { 'content-type': 'application/x-protobuf', authorization: `bearer ${TOKEN}` })).status).toBe(200);
  });

  test('the OTel SDK exporters get through with the token in metadata and headers', async () => {
    for (const encoding of ['grpc', 'http/protobuf', 'http/json'] as const) {
      const provider = createSdkProvider(createSdkExporter(encoding, receiver, { token: TOKEN }), { 'service.name': `auth-${encoding}` });
      provider.getLogger('t').emit({ body: 'hello' });
      await provider.forceFlush();
      await provider.shutdown();
      expect(receiver.entries.filter((e) => e.service === `auth-${encoding}`)).toHaveLength(1);
    }
  });

  test('extension routes need the token too', async () => {
    expect((await fetch(`${receiver.httpUrl}/api/ping`)).status).toBe(401);
    const res = await fetch(`${receiver.httpUrl}/api/ping`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await res.text()).toBe('pong');
    expect((await fetch(`${receiver.httpUrl}/api/none`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
  });

  test('health, readiness and (without ANOMALOG_METRICS_AUTH) metrics stay open', async () => {
    expect((await fetch(`${receiver.httpUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${receiver.httpUrl}/readyz`)).status).toBe(200);
    expect((await fetch(`${receiver.httpUrl}/metrics`)).status).toBe(200);
  });

  test('gRPC refuses a gzip bomb with a wrong token as UNAUTHENTICATED, without inflating it', async () => {
    // 64 MiB of zeros: grpc-js compresses it to ~64 KiB on the wire. Were it inflated
    // before the token check, the answer would be RESOURCE_EXHAUSTED (over the 20 MiB limit).
    const zeros = Buffer.alloc(64 * 1024 * 1024);
    const rssBefore = process.memoryUsage().rss;
    const started = Date.now();
    const { error } = await grpcExport(receiver.grpcPort, zeros, { token: 'wrong', gzip: true });
    expect(error?.code).toBe(status.UNAUTHENTICATED);
    expect(Date.now() - started).toBeLessThan(5_000);
    // The error code above is the proof; this bound only has to stay under the 64 MiB an inflated body
    // would take, above what the client's own compression of the zeros adds here (up to 17 MiB seen
    // while the whole suite ran beside it).
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(32 * 1024 * 1024);
    expect(await metricValue(receiver.registry, 'anomalog_rejected_requests_total', { transport: 'grpc', reason: 'unauthenticated' })).toBeGreaterThan(0);
  });

  test('gRPC refuses a well-formed gzip export with a wrong token', async () => {
    expect((await grpcExport(receiver.grpcPort, body, { token: 'wrong', gzip: true })).error?.code).toBe(status.UNAUTHENTICATED);
    expect((await grpcExport(receiver.grpcPort, body, { token: TOKEN, gzip: true })).error).toBeUndefined();
  });
});

describe('operational endpoints with a token', () => {
  const readiness = { check: () => Promise.resolve({ ready: false, checks: { postgres: 'connection refused by 10.0.0.5:5432' } }) };
  const bearer = { authorization: `Bearer ${TOKEN}` };

  test('/readyz tells anyone whether it is ready, and only token holders why', async () => {
    const receiver = await startTestReceiver({ env: { ANOMALOG_AUTH_TOKEN: TOKEN }, readiness });
    try {
      const open = await fetch(`${receiver.httpUrl}/readyz`);
      expect(open.status).toBe(503);
      expect(await open.json()).toEqual({ ready: false });
      const detailed = await fetch(`${receiver.httpUrl}/readyz`, { headers: bearer });
      expect(detailed.status).toBe(503);
      expect(await detailed.json()).toEqual({ ready: false, checks: { postgres: 'connection refused by 10.0.0.5:5432' } });
      const wrong = await fetch(`${receiver.httpUrl}/readyz`, { headers: { authorization: 'Bearer nope' } });
      expect(await wrong.json()).toEqual({ ready: false });
    } finally {
      await receiver.stop();
    }
  });

  test('ANOMALOG_METRICS_AUTH=true puts /metrics behind the token; /healthz stays open', async () => {
    const receiver = await startTestReceiver({ env: { ANOMALOG_AUTH_TOKEN: TOKEN, ANOMALOG_METRICS_AUTH: 'true' } });
    try {
      const refused = await fetch(`${receiver.httpUrl}/metrics`);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer');
      expect((await fetch(`${receiver.httpUrl}/metrics`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
      const scraped = await fetch(`${receiver.httpUrl}/metrics`, { headers: bearer });
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('anomalog_rejected_requests_total{transport="http",reason="unauthenticated"} 2');
      expect((await fetch(`${receiver.httpUrl}/healthz`)).status).toBe(200);
    } finally {
      await receiver.stop();
    }
  });
});

describe('without ANOMALOG_AUTH_TOKEN', () => {
  test('both transports accept requests that carry no token', async () => {
    const receiver = await startTestReceiver();
    try {
      expect((await grpcExport(receiver.grpcPort, body)).error).toBeUndefined();
      expect((await postLogs(receiver.httpUrl, body)).status).toBe(200);
    } finally {
      await receiver.stop();
    }
  });
});

describe('health and readiness', () => {
  const root = loadOtlpRoot();
  const checkRequest = root.lookupType('grpc.health.v1.HealthCheckRequest');
  const checkResponse = root.lookupType('grpc.health.v1.HealthCheckResponse');
  const check = (port: number, service: string) =>
    grpcUnary(port, '/grpc.health.v1.Health/Check', Buffer.from(checkRequest.encode({ service }).finish()));

  test('grpc.health.v1.Health/Check reports SERVING for the server and the logs service, NOT_FOUND otherwise', async () => {
    const receiver = await startTestReceiver();
    try {
      for (const service of ['', 'opentelemetry.proto.collector.logs.v1.LogsService']) {
        const { response } = await check(receiver.grpcPort, service);
        expect(checkResponse.toObject(checkResponse.decode(response!))).toEqual({ status: 1 });
      }
      expect((await check(receiver.grpcPort, 'other.Service')).error?.code).toBe(status.NOT_FOUND);
      const garbage = await grpcUnary(receiver.grpcPort, '/grpc.health.v1.Health/Check', Buffer.from([0x0a, 0xff]));
      expect(garbage.error?.code).toBe(status.INVALID_ARGUMENT);
      expect((await check(receiver.grpcPort, '')).error).toBeUndefined();
    } finally {
      await receiver.stop();
    }
  });

  test('a Health/Watch stream hears NOT_SERVING and ends when the receiver stops, without holding up shutdown', async () => {
    const receiver = await startTestReceiver();
    const client = new Client(`127.0.0.1:${receiver.grpcPort}`, credentials.createInsecure());
    const identity = (b: Buffer): Buffer => b;
    const stream = client.makeServerStreamRequest('/grpc.health.v1.Health/Watch', identity, identity, Buffer.from(checkRequest.encode({ service: '' }).finish()));
    const statuses: number[] = [];
    const ended = new Promise<void>((resolve) => {
      stream.on('data', (b: Buffer) => statuses.push((checkResponse.decode(b) as unknown as { status: number }).status));
      stream.on('status', () => resolve());
      stream.on('error', () => undefined);
    });
    while (statuses.length === 0) await new Promise((r) => setTimeout(r, 5));
    const started = Date.now();
    await receiver.stop();
    await ended;
    client.close();
    expect(statuses).toEqual([1, 2]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  test('/readyz answers 503 with the checks when readiness says not ready', async () => {
    let ready = false;
    const receiver = await startTestReceiver({
      readiness: { check: () => Promise.resolve({ ready, checks: { postgres: ready ? 'ok' : 'connection refused' } }) },
    });
    try {
      const res = await fetch(`${receiver.httpUrl}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ ready: false, checks: { postgres: 'connection refused' } });
      ready = true;
      expect((await fetch(`${receiver.httpUrl}/readyz`)).status).toBe(200);
    } finally {
      await receiver.stop();
    }
  });
});

describe('TLS', () => {
  let dir: string;
  let receiver: TestReceiver;
  let ca: Buffer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'anomalog-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert,
    ], { stdio: 'ignore' });
    ca = readFileSync(cert);
    receiver = await startTestReceiver({ env: { ANOMALOG_TLS_CERT: cert, ANOMALOG_TLS_KEY: key } });
  });
  afterAll(async () => {
    await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('gRPC serves over TLS and refuses plaintext', async () => {
    expect((await grpcExport(receiver.grpcPort, body, { ca })).error).toBeUndefined();
    expect((await grpcExport(receiver.grpcPort, body)).error?.code).toBe(status.UNAVAILABLE);
  });

  test('names the variable when a certificate file cannot be read', async () => {
    await expect(startTestReceiver({ env: { ANOMALOG_TLS_CERT: join(dir, 'missing.pem'), ANOMALOG_TLS_KEY: join(dir, 'key.pem') } })).rejects.toThrow(
      /^ANOMALOG_TLS_CERT: cannot read .*missing\.pem/,
    );
  });

  test('HTTP serves over TLS', async () => {
    const statusCode = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpsRequest(`${receiver.httpUrl}/v1/logs`, { method: 'POST', ca, servername: 'localhost', headers: { 'content-type': 'application/x-protobuf' } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(statusCode).toBe(200);
    expect(receiver.entries).toHaveLength(2);
  });
});
