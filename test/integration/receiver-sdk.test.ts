import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createSdkExporter, createSdkProvider, type SdkEncoding } from '../helpers/otlp-sdk.js';
import { metricValue, startTestReceiver, type TestReceiver } from '../helpers/otlp-receiver.js';

let receiver: TestReceiver;
beforeAll(async () => {
  receiver = await startTestReceiver();
});
afterAll(() => receiver.stop());

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

describe.each<[SdkEncoding, boolean]>([
  ['grpc', false],
  ['http/protobuf', false],
  ['http/json', false],
  ['grpc', true],
  ['http/protobuf', true],
  ['http/json', true],
])('the OTel JS SDK over %s (gzip %s)', (encoding, gzip) => {
  test('delivers records whose mapped fields match what was emitted', async () => {
    const service = `svc-${encoding}-${gzip}`;
    const provider = createSdkProvider(createSdkExporter(encoding, receiver, { gzip }), { 'service.name': service, 'deployment.environment': 'test' });
    const logger = provider.getLogger('io.anomalog.test', '1.0.0');
    const spanContext = { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED };
    logger.emit({
      timestamp: new Date(1_700_000_000_123),
      severityNumber: SeverityNumber.ERROR2,
      severityText: 'ERROR',
      body: 'payment gateway timeout after 3000 ms',
      attributes: { 'http.status_code': 504, retry: true, ratio: 0.5, tags: ['a', 'b'] },
      context: trace.setSpanContext(ROOT_CONTEXT, spanContext),
    });
    logger.emit({ severityText: 'warning', body: { msg: 'slow query', ms: 1200 } });
    logger.emit({ severityNumber: SeverityNumber.DEBUG, body: { user: 'u1', action: 'login' } });
    const before = Date.now();
    await provider.forceFlush();
    await provider.shutdown();

    const mine = receiver.entries.filter((e) => e.service === service);
    expect(mine).toHaveLength(3);
    // One export per record, sent concurrently: arrival order is not guaranteed.
    const byLevel = (level: string) => mine.find((e) => e.level === level);
    const [first, second, third] = [byLevel('error'), byLevel('warn'), byLevel('debug')];
    expect(first).toEqual({
      time: 1_700_000_000_123,
      service,
      level: 'error',
      message: 'payment gateway timeout after 3000 ms',
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      attributes: { 'http.status_code': 504, retry: true, ratio: 0.5, tags: ['a', 'b'] },
      resource: expect.objectContaining({ 'service.name': service, 'deployment.environment': 'test' }),
      scope: 'io.anomalog.test',
    });
    // No timestamp given: the SDK sets observed time (and time), both close to now.
    expect(Math.abs(second!.time - before)).toBeLessThan(60_000);
    expect(second).toMatchObject({ level: 'warn', message: 'slow query', traceId: '', spanId: '' });
    expect(third).toMatchObject({ level: 'debug', message: '{"action":"login","user":"u1"}' });
  });
});

test('counts accepted records per transport in /metrics', async () => {
  const text = await (await fetch(`${receiver.httpUrl}/metrics`)).text();
  expect(text).toContain('anomalog_received_log_records_total{transport="grpc"} 6');
  expect(text).toContain('anomalog_received_log_records_total{transport="http"} 12');
  expect(text).toContain('anomalog_request_duration_seconds_bucket');
  expect(await metricValue(receiver.registry, 'anomalog_rejected_log_records_total')).toBe(0);
});
