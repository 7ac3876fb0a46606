import { status } from '@grpc/grpc-js';
import { describe, expect, test } from 'vitest';
import { loadOtlpRoot } from '../../src/otlp/proto-root.js';
import type { LogEntry, Pipeline } from '../../src/log-entry.js';
import { startTestReceiver } from '../helpers/otlp-receiver.js';
import { decodeStatus, encodeRequest, grpcExport, postLogs, simpleRequest } from '../helpers/otlp-raw.js';
import { createSdkExporter, createSdkProvider } from '../helpers/otlp-sdk.js';

const refuse = (): Promise<void> => Promise.reject(new Error('queue full'));

function retryDelayOf(statusDetails: Buffer): number | undefined {
  const root = loadOtlpRoot();
  const detail = decodeStatus(statusDetails).details?.[0];
  if (detail?.type_url !== 'type.googleapis.com/google.rpc.RetryInfo') return undefined;
  const info = root.lookupType('google.rpc.RetryInfo').toObject(root.lookupType('google.rpc.RetryInfo').decode(detail.value), { longs: Number });
  return (info as { retryDelay: { seconds: number } }).retryDelay.seconds;
}

/** A pipeline that holds every batch until release() is called. */
function gate(): { pipeline: (entries: LogEntry[], accept: Pipeline) => Promise<void>; release(): void; waiting(): number } {
  const held: (() => void)[] = [];
  return {
    pipeline: (entries, accept) => new Promise<void>((resolve) => held.push(() => resolve(accept(entries)))),
    release: () => held.splice(0).forEach((go) => go()),
    waiting: () => held.length,
  };
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in 5 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('a pipeline that refuses', () => {
  test('makes gRPC answer UNAVAILABLE with RetryInfo', async () => {
    const receiver = await startTestReceiver({ pipeline: refuse });
    try {
      const { error } = await grpcExport(receiver.grpcPort, encodeRequest(simpleRequest(2)));
      expect(error?.code).toBe(status.UNAVAILABLE);
      const details = error!.metadata.get('grpc-status-details-bin')[0];
      expect(retryDelayOf(details as Buffer)).toBe(1);
    } finally {
      await receiver.stop();
    }
  });

  test('makes HTTP answer 503 with Retry-After', async () => {
    const receiver = await startTestReceiver({ pipeline: refuse });
    try {
      const res = await postLogs(receiver.httpUrl, encodeRequest(simpleRequest(2)));
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(decodeStatus(Buffer.from(await res.arrayBuffer())).code).toBe(status.UNAVAILABLE);
    } finally {
      await receiver.stop();
    }
  });

  test('lets the OTel HTTP exporter retry until the pipeline accepts, losing nothing', async () => {
    let calls = 0;
    const receiver = await startTestReceiver({
      pipeline: (entries, accept) => (++calls <= 2 ? refuse() : accept(entries)),
    });
    try {
      const provider = createSdkProvider(createSdkExporter('http/protobuf', receiver, { timeoutMillis: 20_000 }), { 'service.name': 'retried' });
      provider.getLogger('t').emit({ body: 'survives backpressure' });
      await provider.forceFlush();
      await provider.shutdown();
      expect(calls).toBe(3);
      expect(receiver.entries.map((e) => e.message)).toEqual(['survives backpressure']);
    } finally {
      await receiver.stop();
    }
  });
});

describe('ANOMALOG_MAX_INFLIGHT', () => {
  test('answers UNAVAILABLE / 503 beyond the limit and serves again once requests finish', async () => {
    const held = gate();
    const receiver = await startTestReceiver({ env: { ANOMALOG_MAX_INFLIGHT: '2' }, pipeline: held.pipeline });
    try {
      const body = encodeRequest(simpleRequest(1, 'inflight'));
      const first = grpcExport(receiver.grpcPort, body);
      const second = postLogs(receiver.httpUrl, body);
      await until(() => held.waiting() === 2);
      expect((await grpcExport(receiver.grpcPort, body)).error?.code).toBe(status.UNAVAILABLE);
      const refused = await postLogs(receiver.httpUrl, body);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      held.release();
      expect((await first).error).toBeUndefined();
      expect((await second).status).toBe(200);
      const third = postLogs(receiver.httpUrl, body);
      await until(() => held.waiting() === 1);
      held.release();
      expect((await third).status).toBe(200);
      expect(receiver.entries).toHaveLength(3);
    } finally {
      held.release();
      await receiver.stop();
    }
  });
});

describe('graceful shutdown', () => {
  test('finishes in-flight requests on both transports, so every acknowledged record is in the sink', async () => {
    const held = gate();
    const receiver = await startTestReceiver({ pipeline: held.pipeline });
    const acknowledged: number[] = [];
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 6; i++) {
      const body = encodeRequest(simpleRequest(10, `shutdown-${i}`));
      sends.push(
        i % 2 === 0
          ? grpcExport(receiver.grpcPort, body).then((a) => void (a.error ? undefined : acknowledged.push(10)))
          : postLogs(receiver.httpUrl, body).then((r) => void (r.status === 200 ? acknowledged.push(10) : undefined)),
      );
    }
    await until(() => held.waiting() === 6);
    const stopped = receiver.stop();
    // Stopping must wait for the held requests rather than cut them off.
    await new Promise((r) => setTimeout(r, 100));
    held.release();
    await stopped;
    await Promise.all(sends);
    expect(acknowledged).toHaveLength(6);
    expect(receiver.entries).toHaveLength(acknowledged.reduce((a, b) => a + b, 0));
    // And nothing new is accepted afterwards.
    await expect(postLogs(receiver.httpUrl, encodeRequest(simpleRequest(1)))).rejects.toThrow();
    expect((await grpcExport(receiver.grpcPort, encodeRequest(simpleRequest(1)))).error?.code).toBe(status.UNAVAILABLE);
  });
});
