import { gzipSync } from 'node:zlib';
import { status } from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeExportResponse, decodeStatus, encodeRequest, grpcExport, postLogs, simpleRequest } from '../helpers/otlp-raw.js';
import { startTestReceiver, type TestReceiver } from '../helpers/otlp-receiver.js';
import { mutated, mutatedJsonText, requestBytes } from './otlp-arbitraries.js';

const runs = (n: number): number => n * Number(process.env.ANOMALOG_FUZZ_SCALE ?? 1);
/** Far beyond a healthy answer on localhost, far below a hang. */
const ANSWER_MS = 2_000;

let receiver: TestReceiver;
beforeAll(async () => {
  receiver = await startTestReceiver();
});
afterAll(async () => {
  await receiver.stop();
});

async function timed<T>(work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  expect(performance.now() - started).toBeLessThan(ANSWER_MS);
  return result;
}

/** 200 with an ExportLogsServiceResponse, or 400 with a google.rpc.Status INVALID_ARGUMENT: nothing else. */
async function expectProtobufAnswer(response: Response): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  expect([200, 400]).toContain(response.status);
  expect(response.headers.get('content-type')).toBe('application/x-protobuf');
  if (response.status === 200) decodeExportResponse(body);
  else expect(decodeStatus(body).code).toBe(status.INVALID_ARGUMENT);
}

async function expectStillServing(): Promise<void> {
  const before = receiver.entries.length;
  expect((await postLogs(receiver.httpUrl, encodeRequest(simpleRequest(3)))).status).toBe(200);
  expect((await grpcExport(receiver.grpcPort, encodeRequest(simpleRequest(2)))).error).toBeUndefined();
  expect(receiver.entries.length).toBe(before + 5);
}

describe('front-door fuzzing over real sockets', () => {
  it('answers mutated OTLP/HTTP protobuf bodies (plain and gzip) with 200 or 400 and a well-formed body, and keeps serving', async () => {
    await fc.assert(fc.asyncProperty(mutated(requestBytes), fc.boolean(), async (body, gzip) => {
      await expectProtobufAnswer(await timed(() => postLogs(receiver.httpUrl, body, undefined, { gzip })));
    }), { numRuns: runs(60) });
    await expectStillServing();
  });

  it('answers damaged gzip streams with 400, not a crash', async () => {
    await fc.assert(fc.asyncProperty(requestBytes, fc.nat(), fc.nat(7), async (valid, at, bit) => {
      const zipped = Buffer.from(gzipSync(valid));
      zipped[at % zipped.length]! ^= 1 << bit;
      const response = await timed(() => postLogs(receiver.httpUrl, zipped, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' }));
      await expectProtobufAnswer(response);
    }), { numRuns: runs(40) });
    await expectStillServing();
  });

  it('answers mutated OTLP/HTTP JSON bodies with 200 or 400 and a JSON body, and keeps serving', async () => {
    await fc.assert(fc.asyncProperty(mutatedJsonText, async (text) => {
      const response = await timed(() => postLogs(receiver.httpUrl, text, { 'content-type': 'application/json' }));
      expect([200, 400]).toContain(response.status);
      const body = (await response.json()) as { code?: number; message?: string };
      if (response.status === 400) {
        expect(body.code).toBe(status.INVALID_ARGUMENT);
        expect(typeof body.message).toBe('string');
      }
    }), { numRuns: runs(60) });
    await expectStillServing();
  });

  it('answers mutated OTLP/gRPC requests with OK or INVALID_ARGUMENT, and keeps serving', async () => {
    await fc.assert(fc.asyncProperty(mutated(requestBytes), async (body) => {
      const { error, response } = await timed(() => grpcExport(receiver.grpcPort, body));
      if (error) expect(error.code).toBe(status.INVALID_ARGUMENT);
      else decodeExportResponse(response ?? Buffer.alloc(0));
    }), { numRuns: runs(40) });
    await expectStillServing();
  });
});
