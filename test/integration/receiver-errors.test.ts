import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { metricValue, startTestReceiver, type TestReceiver } from '../helpers/otlp-receiver.js';
import { decodeExportResponse, decodeStatus, encodeRequest, grpcExport, postLogs, simpleRequest } from '../helpers/otlp-raw.js';

const LIMIT = 64 * 1024;
let receiver: TestReceiver;
beforeAll(async () => {
  receiver = await startTestReceiver({ env: { ANOMALOG_MAX_REQUEST_BYTES: String(LIMIT) } });
});
afterAll(() => receiver.stop());

const good = encodeRequest(simpleRequest(2, 'after-bad'));
const PROTOBUF = { 'content-type': 'application/x-protobuf' };
const JSON_TYPE = { 'content-type': 'application/json' };
/** Valid protobuf larger than the limit once inflated. */
const oversized = encodeRequest(simpleRequest(1, 'big', 'x'.repeat(LIMIT + 10)));
/** Compresses to ~1 KiB, inflates to 64 MiB: must be refused without inflating it whole. */
const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));

async function expectGrpcStillServes(): Promise<void> {
  const answer = await grpcExport(receiver.grpcPort, good);
  expect(answer.error).toBeUndefined();
}

async function expectHttpStillServes(): Promise<void> {
  expect((await postLogs(receiver.httpUrl, good)).status).toBe(200);
}

describe('gRPC', () => {
  test('answers INVALID_ARGUMENT with a message for malformed protobuf, then keeps serving', async () => {
    const { error } = await grpcExport(receiver.grpcPort, Buffer.from([0x0a, 0xff, 0xff, 0x01, 0x02]));
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
    expect(error?.details).toMatch(/malformed ExportLogsServiceRequest/);
    await expectGrpcStillServes();
  });

  test('answers RESOURCE_EXHAUSTED for a request over ANOMALOG_MAX_REQUEST_BYTES, then keeps serving', async () => {
    const { error } = await grpcExport(receiver.grpcPort, oversized);
    expect(error?.code).toBe(status.RESOURCE_EXHAUSTED);
    await expectGrpcStillServes();
  });

  test('refuses a gzip bomb with RESOURCE_EXHAUSTED, then keeps serving', async () => {
    // grpc-js compresses the 64 MiB of zeros itself: the wire carries only the small compressed frame.
    const { error } = await grpcExport(receiver.grpcPort, Buffer.alloc(64 * 1024 * 1024), { gzip: true });
    expect(error?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(error?.details).toMatch(/decompresses to a size larger/);
    await expectGrpcStillServes();
  });

  test('accepts a gzip-compressed request', async () => {
    const { error } = await grpcExport(receiver.grpcPort, encodeRequest(simpleRequest(3, 'grpc-gzip')), { gzip: true });
    expect(error).toBeUndefined();
    expect(receiver.entries.filter((e) => e.service === 'grpc-gzip')).toHaveLength(3);
  });

  test('answers partial success naming the rejected records', async () => {
    const request = simpleRequest(3, 'grpc-partial');
    (request.resourceLogs as { scopeLogs: { logRecords: Record<string, unknown>[] }[] }[])[0]!.scopeLogs[0]!.logRecords[1]!.traceId = Buffer.alloc(4, 7);
    const { error, response } = await grpcExport(receiver.grpcPort, encodeRequest(request));
    expect(error).toBeUndefined();
    expect(decodeExportResponse(response!).partialSuccess).toEqual({
      rejectedLogRecords: 1,
      errorMessage: '1 log record(s) rejected; first: log record of grpc-partial: trace_id must be 16 bytes, got 4',
    });
    expect(receiver.entries.filter((e) => e.service === 'grpc-partial')).toHaveLength(2);
    expect(await metricValue(receiver.registry, 'anomalog_rejected_log_records_total', { transport: 'grpc' })).toBe(1);
  });

  test('answers an empty response on full success', async () => {
    const { response } = await grpcExport(receiver.grpcPort, good);
    expect(response).toHaveLength(0);
  });
});

describe('HTTP', () => {
  test('answers 400 with a protobuf google.rpc.Status for malformed protobuf, then keeps serving', async () => {
    const res = await postLogs(receiver.httpUrl, Buffer.from([0x0a, 0xff, 0xff, 0x01]));
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    const body = decodeStatus(Buffer.from(await res.arrayBuffer()));
    expect(body.code).toBe(status.INVALID_ARGUMENT);
    expect(body.message).toMatch(/malformed ExportLogsServiceRequest/);
    await expectHttpStillServes();
  });

  test('answers 400 with a JSON google.rpc.Status for malformed JSON, then keeps serving', async () => {
    const res = await postLogs(receiver.httpUrl, '{"resourceLogs": [', JSON_TYPE);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toMatchObject({ code: status.INVALID_ARGUMENT, message: expect.stringMatching(/malformed JSON/) });
    await expectHttpStillServes();
  });

  test('answers 400 for a body that is not valid gzip', async () => {
    const res = await postLogs(receiver.httpUrl, good, { ...PROTOBUF, 'content-encoding': 'gzip' });
    expect(res.status).toBe(400);
    await expectHttpStillServes();
  });

  test('answers 413 for a body over ANOMALOG_MAX_REQUEST_BYTES, then keeps serving', async () => {
    const res = await postLogs(receiver.httpUrl, oversized);
    expect(res.status).toBe(413);
    expect(decodeStatus(Buffer.from(await res.arrayBuffer())).code).toBe(status.RESOURCE_EXHAUSTED);
    await expectHttpStillServes();
  });

  test('answers 413 for a chunked upload that grows past the limit, then keeps serving', async () => {
    const statusCode = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(`${receiver.httpUrl}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      // No content-length: the limit must be enforced while reading.
      for (let i = 0; i < 4; i++) req.write(oversized.subarray(0, LIMIT / 2));
      req.end();
    });
    expect(statusCode).toBe(413);
    await expectHttpStillServes();
  });

  test('answers 413 for a gzip body that inflates past the limit, then keeps serving', async () => {
    const small = encodeRequest(simpleRequest(1, 'big', 'y'.repeat(LIMIT * 2)));
    const res = await postLogs(receiver.httpUrl, small, PROTOBUF, { gzip: true });
    expect(res.status).toBe(413);
    await expectHttpStillServes();
  });

  test('refuses a gzip bomb with 413 and keeps serving', async () => {
    const rssBefore = process.memoryUsage().rss;
    const res = await postLogs(receiver.httpUrl, bomb, { ...PROTOBUF, 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(decodeStatus(Buffer.from(await res.arrayBuffer()))).toMatchObject({ code: status.RESOURCE_EXHAUSTED, message: expect.stringMatching(/decompressed/) });
    // Inflating it whole would have cost 64 MiB.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(32 * 1024 * 1024);
    await expectHttpStillServes();
  });

  test('accepts gzip-compressed protobuf and JSON', async () => {
    expect((await postLogs(receiver.httpUrl, encodeRequest(simpleRequest(2, 'http-gzip')), PROTOBUF, { gzip: true })).status).toBe(200);
    const json = JSON.stringify({ resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'http-gzip' } }] }, scopeLogs: [{ logRecords: [{ body: { stringValue: 'j' } }] }] }] });
    const res = await postLogs(receiver.httpUrl, json, JSON_TYPE, { gzip: true });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    expect(receiver.entries.filter((e) => e.service === 'http-gzip')).toHaveLength(3);
  });

  test('answers an empty protobuf body on full success', async () => {
    const res = await postLogs(receiver.httpUrl, good);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });

  test('answers partial success in the request encoding', async () => {
    const bad = { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'ok' } }, { spanId: Buffer.alloc(2, 1) }] }] }] };
    const proto = await postLogs(receiver.httpUrl, encodeRequest(bad));
    expect(proto.status).toBe(200);
    expect(decodeExportResponse(Buffer.from(await proto.arrayBuffer())).partialSuccess?.rejectedLogRecords).toBe(1);

    const json = { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'ok' } }, { spanId: 'abcdabcd' }] }] }] };
    const res = await postLogs(receiver.httpUrl, JSON.stringify(json), JSON_TYPE);
    expect(await res.json()).toEqual({
      partialSuccess: { rejectedLogRecords: '1', errorMessage: '1 log record(s) rejected; first: log record of unknown_service: span_id must be 8 bytes, got 4' },
    });
    expect(await metricValue(receiver.registry, 'anomalog_rejected_log_records_total', { transport: 'http' })).toBe(2);
  });

  test('answers 404 for an unknown path', async () => {
    const res = await postLogs(receiver.httpUrl, good, PROTOBUF, { path: '/v1/traces' });
    expect(res.status).toBe(404);
  });

  test('answers 405 with Allow for a wrong method', async () => {
    const res = await postLogs(receiver.httpUrl, '', PROTOBUF, { method: 'GET' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    const postToHealth = await postLogs(receiver.httpUrl, '', {}, { method: 'POST', path: '/healthz' });
    expect(postToHealth.status).toBe(405);
  });

  test('answers 415 for an unsupported content type or encoding', async () => {
    expect((await postLogs(receiver.httpUrl, 'hello', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await postLogs(receiver.httpUrl, good, { ...PROTOBUF, 'content-encoding': 'br' })).status).toBe(415);
    await expectHttpStillServes();
  });

  test('accepts a content type with parameters', async () => {
    const res = await postLogs(receiver.httpUrl, '{}', { 'content-type': 'application/json; charset=utf-8' });
    expect(res.status).toBe(200);
  });
});
