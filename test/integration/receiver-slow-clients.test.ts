/**
 * Slow and heavy uploads against a real receiver over real sockets: they must
 * not take the in-flight slots, must not outlive ANOMALOG_REQUEST_TIMEOUT, and
 * cannot buffer more than the receive budget.
 */
import { connect as connectHttp2, constants as h2 } from 'node:http2';
import { connect, type Socket } from 'node:net';
import { status } from '@grpc/grpc-js';
import { afterEach, describe, expect, test } from 'vitest';
import { metricValue, startTestReceiver, type TestReceiver } from '../helpers/otlp-receiver.js';
import { decodeStatus, encodeRequest, grpcExport, postLogs, simpleRequest } from '../helpers/otlp-raw.js';

const good = encodeRequest(simpleRequest(2, 'while-slow'));
const sockets: Socket[] = [];
const receivers: TestReceiver[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(receivers.splice(0).map((r) => r.stop()));
});

async function start(env: Record<string, string>): Promise<TestReceiver> {
  const receiver = await startTestReceiver({ env });
  receivers.push(receiver);
  return receiver;
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Opens a raw HTTP/1.1 upload that declares `declared` body bytes and sends `first` of them at once. */
function openUpload(port: number, opts: { declared: number; first: Buffer; contentType?: string }): Socket {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.setEncoding('latin1');
  socket.write(
    `POST /v1/logs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${opts.contentType ?? 'application/x-protobuf'}\r\n` +
      `Content-Length: ${opts.declared}\r\n\r\n`,
  );
  socket.write(opts.first);
  sockets.push(socket);
  return socket;
}

/** Everything the server sends until it closes the connection. */
function answerOf(socket: Socket): Promise<{ head: string; body: Buffer; closedAt: number }> {
  let text = '';
  socket.on('data', (chunk: string) => (text += chunk));
  return new Promise((resolve) => {
    socket.once('close', () => {
      const split = text.indexOf('\r\n\r\n');
      resolve({ head: text.slice(0, split), body: Buffer.from(text.slice(split + 4), 'latin1'), closedAt: Date.now() });
    });
  });
}

describe('slow uploads', () => {
  test('100 uploads sending a byte every 2 s hold no in-flight slot: good gRPC and HTTP exports are served meanwhile', async () => {
    // Fewer slots than slow clients: were a slot taken before the body, every slot would be held.
    const receiver = await start({ ANOMALOG_MAX_INFLIGHT: '64', ANOMALOG_REQUEST_TIMEOUT: '30s' });
    const drips: NodeJS.Timeout[] = [];
    try {
      for (let i = 0; i < 100; i++) {
        const socket = openUpload(receiver.httpPort, { declared: 1000, first: Buffer.from([0x0a]) });
        drips.push(setInterval(() => socket.write(Buffer.from([0x0a])), 2_000));
      }
      await until(async () => (await metricValue(receiver.registry, 'anomalog_receiving_body_bytes')) >= 100, 'all 100 uploads receiving');
      expect(await metricValue(receiver.registry, 'anomalog_inflight_requests')).toBe(0);

      expect((await grpcExport(receiver.grpcPort, good)).error).toBeUndefined();
      expect((await postLogs(receiver.httpUrl, good)).status).toBe(200);
      expect(receiver.entries.filter((e) => e.service === 'while-slow')).toHaveLength(4);
      // Still hanging, still receiving: nothing was cut to make room.
      expect(sockets.every((s) => !s.destroyed)).toBe(true);
    } finally {
      drips.forEach(clearInterval);
    }
  });

  test('a body that does not arrive within ANOMALOG_REQUEST_TIMEOUT gets 408 with a JSON google.rpc.Status, and its connection is closed', async () => {
    const receiver = await start({ ANOMALOG_REQUEST_TIMEOUT: '1s' });
    const sentAt = Date.now();
    const socket = openUpload(receiver.httpPort, { declared: 100, first: Buffer.from('{"resou'), contentType: 'application/json' });
    const answer = await answerOf(socket);
    expect(answer.head).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer.head.toLowerCase()).toContain('content-type: application/json');
    expect(answer.head.toLowerCase()).toContain('connection: close');
    expect(JSON.parse(answer.body.toString('utf8'))).toEqual({ code: status.DEADLINE_EXCEEDED, message: expect.stringMatching(/ANOMALOG_REQUEST_TIMEOUT/) });
    expect(answer.closedAt - sentAt).toBeGreaterThanOrEqual(900);
    expect(answer.closedAt - sentAt).toBeLessThan(5_000);
    expect(await metricValue(receiver.registry, 'anomalog_rejected_requests_total', { transport: 'http', reason: 'timeout' })).toBe(1);
    expect(await metricValue(receiver.registry, 'anomalog_receiving_body_bytes')).toBe(0);
  });

  test('a protobuf body that stalls gets 408 with a protobuf google.rpc.Status', async () => {
    const receiver = await start({ ANOMALOG_REQUEST_TIMEOUT: '1s' });
    const answer = await answerOf(openUpload(receiver.httpPort, { declared: good.length, first: good.subarray(0, 3) }));
    expect(answer.head).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer.head.toLowerCase()).toContain('content-type: application/x-protobuf');
    expect(decodeStatus(answer.body)).toMatchObject({ code: status.DEADLINE_EXCEEDED, message: expect.stringMatching(/not received within 1000 ms/) });
  });

  test('a client that never finishes its headers is cut off with 408 once the request timeout has passed', async () => {
    const receiver = await start({ ANOMALOG_REQUEST_TIMEOUT: '1s' });
    const socket = connect(receiver.httpPort, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.setEncoding('latin1');
    sockets.push(socket);
    const sentAt = Date.now();
    socket.write('POST /v1/logs HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    const answer = await answerOf(socket);
    expect(answer.head).toMatch(/^HTTP\/1\.1 408 /);
    // Node checks its timers once a second: the cut comes between the timeout and a few seconds after.
    expect(answer.closedAt - sentAt).toBeGreaterThanOrEqual(900);
    expect(answer.closedAt - sentAt).toBeLessThan(4_000);
  });

  test('a gRPC message that does not arrive within ANOMALOG_REQUEST_TIMEOUT is answered DEADLINE_EXCEEDED', async () => {
    const receiver = await start({ ANOMALOG_REQUEST_TIMEOUT: '1s' });
    const session = connectHttp2(`http://127.0.0.1:${receiver.grpcPort}`);
    session.on('error', () => undefined);
    try {
      const stream = session.request({
        [h2.HTTP2_HEADER_METHOD]: 'POST',
        [h2.HTTP2_HEADER_PATH]: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
        [h2.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
        te: 'trailers',
      });
      stream.on('error', () => undefined);
      // A length prefix announcing the whole message, then only its first bytes.
      const frame = Buffer.alloc(5);
      frame.writeUInt32BE(good.length, 1);
      stream.write(Buffer.concat([frame, good.subarray(0, 3)]));
      const started = Date.now();
      const grpcStatus = await new Promise<string>((resolve) => {
        // The answer comes trailers-only: grpc-status rides on the response headers.
        stream.once('response', (headers) => resolve(String(headers['grpc-status'])));
      });
      expect(Number(grpcStatus)).toBe(status.DEADLINE_EXCEEDED);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(await metricValue(receiver.registry, 'anomalog_rejected_requests_total', { transport: 'grpc', reason: 'timeout' })).toBe(1);
      expect((await grpcExport(receiver.grpcPort, good)).error).toBeUndefined();
    } finally {
      session.destroy();
    }
  });
});

describe('receive budget', () => {
  test('bodies still arriving hold at most 4 request-sizes: the one that would pass it gets 503 with Retry-After, and uploads resume once the others end', async () => {
    const limit = 64 * 1024;
    const receiver = await start({ ANOMALOG_MAX_REQUEST_BYTES: String(limit) });
    // Four uploads of 60 KiB each, held one byte short of complete: 240 KiB of the 256 KiB budget.
    const held = Array.from({ length: 4 }, () => openUpload(receiver.httpPort, { declared: 60 * 1024, first: Buffer.alloc(60 * 1024 - 1) }));
    await until(async () => (await metricValue(receiver.registry, 'anomalog_receiving_body_bytes')) === 4 * (60 * 1024 - 1), 'four uploads buffered');

    const larger = encodeRequest(simpleRequest(1, 'larger', 'x'.repeat(30 * 1024)));
    const refused = await postLogs(receiver.httpUrl, larger);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(decodeStatus(Buffer.from(await refused.arrayBuffer()))).toMatchObject({ code: status.UNAVAILABLE, message: expect.stringMatching(/request bodies being received/) });
    expect(await metricValue(receiver.registry, 'anomalog_rejected_requests_total', { transport: 'http', reason: 'receive_budget' })).toBe(1);
    // A small export still fits in what is left.
    expect((await postLogs(receiver.httpUrl, good)).status).toBe(200);

    held.forEach((s) => s.destroy());
    await until(async () => (await metricValue(receiver.registry, 'anomalog_receiving_body_bytes')) === 0, 'budget released');
    expect((await postLogs(receiver.httpUrl, larger)).status).toBe(200);
  });
});
