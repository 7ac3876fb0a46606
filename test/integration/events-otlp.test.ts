import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttp2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type protobuf from 'protobufjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createOtlpEventsExporter, EVENT_NAME } from '../../src/alerts/otlp-events.js';
import { loadOtlpRoot } from '../../src/otlp/proto-root.js';
import { makeAnomaly } from '../helpers/slack-fixtures.js';
import { waitFor } from '../helpers/slack-server.js';

const logger = pino({ level: 'silent' });
const requestType = (): protobuf.Type => loadOtlpRoot().lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');

type Decoded = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function decode(bytes: Uint8Array): Decoded {
  return requestType().toObject(requestType().decode(bytes), { longs: String, bytes: String, defaults: false });
}

/** Flattens KeyValue lists into a plain object of their scalar values. */
function attrs(list: Decoded[] = []): Record<string, unknown> {
  return Object.fromEntries(
    list.map((kv) => {
      const v = kv.value ?? {};
      const scalar = v.stringValue ?? v.doubleValue ?? v.intValue ?? v.boolValue ?? (v.kvlistValue ? 'kvlist' : undefined);
      return [kv.key, scalar];
    }),
  );
}

const hex = (b64: string): string => Buffer.from(b64, 'base64').toString('hex');

interface Sink {
  url: string;
  requests: Array<{ decoded: Decoded; encoding: string | undefined; tenant: unknown }>;
  close(): Promise<void>;
}

async function startGrpcSink(): Promise<Sink> {
  const requests: Sink['requests'] = [];
  const server = new grpc.Server();
  server.addService(
    {
      Export: {
        path: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
        requestStream: false,
        responseStream: false,
        requestSerialize: (v: Buffer) => v,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: () => Buffer.alloc(0), // an empty ExportLogsServiceResponse
        responseDeserialize: (b: Buffer) => b,
      },
    },
    {
      Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        requests.push({ decoded: decode(call.request), encoding: undefined, tenant: call.metadata.get('x-tenant')[0] });
        cb(null, Buffer.alloc(0));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}

async function startHttpSink(port = 0): Promise<Sink> {
  const requests: Sink['requests'] = [];
  const server: HttpServer = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const encoding = req.headers['content-encoding'];
      requests.push({ decoded: decode(encoding === 'gzip' ? gunzipSync(raw) : raw), encoding, tenant: req.headers['x-tenant'] });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port that was free a moment ago, for an endpoint that is down and comes up later. */
async function freePort(): Promise<number> {
  const s = createHttpServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

const allRecords = (sink: Sink): Array<{ resource: Record<string, unknown>; scope: string; record: Decoded }> =>
  sink.requests.flatMap(({ decoded }) =>
    (decoded.resourceLogs ?? []).flatMap((rl: Decoded) =>
      (rl.scopeLogs ?? []).flatMap((sl: Decoded) =>
        (sl.logRecords ?? []).map((record: Decoded) => ({ resource: attrs(rl.resource?.attributes), scope: sl.scope?.name, record })),
      ),
    ),
  );

describe('OTLP anomaly events', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it.each(['grpc', 'http/protobuf'] as const)('exports each anomaly as an anomalog.anomaly event over %s', async (protocol) => {
    const sink = protocol === 'grpc' ? await startGrpcSink() : await startHttpSink();
    cleanup.push(() => sink.close());
    const registry = new Registry();
    const exporter = createOtlpEventsExporter({ endpoint: sink.url, protocol, headers: { 'x-tenant': 'sre' }, logger, registry, flushMs: 20 });
    cleanup.push(() => exporter.shutdown());

    const critical = makeAnomaly({ id: 'evt-1', service: 'payment-gateway', score: 0.93, message: 'charge failed for card 4f3a' });
    const warning = makeAnomaly({
      id: 'evt-2', service: 'search', kind: 'frequency_spike', score: 0.7, traceId: '', spanId: '',
      resource: { 'service.name': 'search', 'k8s.pod.name': 'search-7d9' },
    });
    await exporter.export([critical, warning]);
    await waitFor(() => allRecords(sink).length === 2);

    const records = allRecords(sink);
    const first = records.find((r) => attrs(r.record.attributes)['anomaly.id'] === 'evt-1')!;
    expect(first.scope).toBe('anomalog');
    expect(first.resource).toMatchObject({ 'service.name': 'payment-gateway', 'deployment.environment': 'prod' });
    expect(first.record.eventName).toBe(EVENT_NAME);
    expect(first.record.body.stringValue).toBe(critical.reason);
    expect(first.record.severityNumber).toBe(17);
    expect(first.record.severityText).toBe('ERROR');
    expect(hex(first.record.traceId)).toBe(critical.traceId);
    expect(hex(first.record.spanId)).toBe(critical.spanId);
    expect(attrs(first.record.attributes)).toMatchObject({
      'event.name': EVENT_NAME,
      'anomaly.kind': 'new_pattern',
      'anomaly.score': 0.93,
      'pattern.id': critical.patternId,
      'pattern.template': critical.template,
      'log.record.original': 'charge failed for card 4f3a',
    });
    const second = records.find((r) => attrs(r.record.attributes)['anomaly.id'] === 'evt-2')!;
    expect(second.resource).toEqual({ 'service.name': 'search', 'k8s.pod.name': 'search-7d9' });
    expect(second.record.severityText).toBe('WARN');
    expect(second.record.traceId).toBeUndefined();
    expect(attrs(second.record.attributes)['anomaly.kind']).toBe('frequency_spike');
    expect(sink.requests[0]!.tenant).toBe('sre');
    if (protocol === 'http/protobuf') expect(sink.requests[0]!.encoding).toBe('gzip');
    // The client counts once the sink's response is back, a moment after the sink saw the request.
    await waitFor(async () => / 2$/m.test(await registry.getSingleMetricAsString('anomalog_events_exported_total')));
  });

  it('carries the incident its alert joined as incident.id, and no such attribute before the alert manager has seen it', async () => {
    const sink = await startHttpSink();
    cleanup.push(() => sink.close());
    const exporter = createOtlpEventsExporter({ endpoint: sink.url, protocol: 'http/protobuf', headers: {}, logger, flushMs: 20 });
    cleanup.push(() => exporter.shutdown());
    await exporter.export([makeAnomaly({ id: 'inc-1', incidentId: 'incident:inc-0' }), makeAnomaly({ id: 'inc-2' })]);
    await waitFor(() => allRecords(sink).length === 2);
    const byId = new Map(allRecords(sink).map((r) => [attrs(r.record.attributes)['anomaly.id'], attrs(r.record.attributes)]));
    expect(byId.get('inc-1')!['incident.id']).toBe('incident:inc-0');
    expect(byId.get('inc-2')).not.toHaveProperty('incident.id');
  });

  it('gzips gRPC messages (checked on the raw HTTP/2 frames, which grpc-js servers hide)', async () => {
    const seen: Array<{ encoding: unknown; flag: number; decoded: Decoded }> = [];
    const server = createHttp2Server((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const frame = Buffer.concat(chunks); // 1 byte compressed flag, 4 bytes length, message
        const message = frame.subarray(5, 5 + frame.readUInt32BE(1));
        seen.push({ encoding: req.headers['grpc-encoding'], flag: frame[0]!, decoded: decode(frame[0] ? gunzipSync(message) : message) });
        res.writeHead(200, { 'content-type': 'application/grpc' });
        res.addTrailers({ 'grpc-status': '0' });
        res.end(Buffer.from([0, 0, 0, 0, 0]));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => server.close(() => r())));
    const { port } = server.address() as AddressInfo;
    const exporter = createOtlpEventsExporter({ endpoint: `http://127.0.0.1:${port}`, protocol: 'grpc', headers: {}, logger, flushMs: 10 });
    cleanup.push(() => exporter.shutdown(1_000));
    await exporter.export([makeAnomaly({ id: 'gz-1' })]);
    await waitFor(() => seen.length === 1);
    expect(seen[0]).toMatchObject({ encoding: 'gzip', flag: 1 });
    expect(seen[0]!.decoded.resourceLogs[0].scopeLogs[0].logRecords[0].eventName).toBe(EVENT_NAME);
  });

  it('sends what is still queued when shut down before the batch timer fires', async () => {
    const sink = await startHttpSink();
    cleanup.push(() => sink.close());
    const exporter = createOtlpEventsExporter({ endpoint: sink.url, protocol: 'http/protobuf', headers: {}, logger, flushMs: 60_000 });
    await exporter.export([makeAnomaly({ id: 's-1' }), makeAnomaly({ id: 's-2' }), makeAnomaly({ id: 's-3' })]);
    expect(sink.requests).toHaveLength(0);
    await exporter.shutdown();
    expect(allRecords(sink)).toHaveLength(3);
  });

  it('keeps anomalies while the endpoint is down and sends them once it is up', async () => {
    const port = await freePort();
    const exporter = createOtlpEventsExporter({
      endpoint: `http://127.0.0.1:${port}`, protocol: 'http/protobuf', headers: {}, logger, flushMs: 10,
      retry: { baseMs: 100, maxMs: 300 }, timeoutMs: 1_000,
    });
    cleanup.push(() => exporter.shutdown());
    await exporter.export([makeAnomaly({ id: 'late-1' }), makeAnomaly({ id: 'late-2' })]);
    await new Promise((r) => setTimeout(r, 500));
    const sink = await startHttpSink(port);
    cleanup.push(() => sink.close());
    await waitFor(() => allRecords(sink).length === 2, 10_000);
    expect(allRecords(sink).map((r) => attrs(r.record.attributes)['anomaly.id']).sort()).toEqual(['late-1', 'late-2']);
  });

  it('drops and counts what does not fit in the bounded queue while the endpoint is down', async () => {
    const port = await freePort();
    const registry = new Registry();
    const exporter = createOtlpEventsExporter({
      endpoint: `http://127.0.0.1:${port}`, protocol: 'http/protobuf', headers: {}, logger, registry, maxQueue: 5,
      flushMs: 10, retry: { baseMs: 100, maxMs: 200 }, timeoutMs: 500,
    });
    cleanup.push(() => exporter.shutdown(500));
    await exporter.export(Array.from({ length: 8 }, (_, i) => makeAnomaly({ id: `q-${i}` })));
    expect(await registry.getSingleMetricAsString('anomalog_events_dropped_total')).toMatch(/ 3$/m);
    const sink = await startHttpSink(port);
    cleanup.push(() => sink.close());
    await waitFor(() => allRecords(sink).length === 5, 10_000);
  });
});
