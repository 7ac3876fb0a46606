import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createReceiverMetrics } from '../../src/receiver/receiver-metrics.js';
import { REFUSAL_LOG_INTERVAL_MS, createRefusals } from '../../src/receiver/refusals.js';
import { metricValue } from '../helpers/otlp-receiver.js';

function setup() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const registry = new Registry();
  let clock = 1_000_000;
  const refusals = createRefusals({ metrics: createReceiverMetrics(registry), logger: pino({ level: 'info' }, sink), now: () => clock });
  return { lines, registry, refusals, advance: (ms: number) => (clock += ms) };
}

describe('refusals', () => {
  it('counts every refusal but logs one line per transport and reason per interval, then says how many it held back', async () => {
    const { lines, registry, refusals, advance } = setup();
    for (let i = 0; i < 1000; i++) refusals.refuse('http', 'timeout', 'slow body');
    refusals.refuse('grpc', 'timeout', 'slow message');
    refusals.refuse('http', 'inflight', 'busy');
    expect(await metricValue(registry, 'anomalog_rejected_requests_total', { transport: 'http', reason: 'timeout' })).toBe(1000);
    expect(lines.map((l) => [l.transport, l.reason])).toEqual([
      ['http', 'timeout'],
      ['grpc', 'timeout'],
      ['http', 'inflight'],
    ]);
    expect(lines[0]).toMatchObject({ level: 40, msg: 'request refused', detail: 'slow body' });

    advance(REFUSAL_LOG_INTERVAL_MS);
    refusals.refuse('http', 'timeout', 'slow body');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatchObject({ reason: 'timeout', suppressedSinceLastLine: 999 });
  });

  it('logs the error behind a pipeline refusal', () => {
    const { lines, refusals } = setup();
    refusals.refuse('grpc', 'pipeline_unavailable', 'queue full', new Error('redis down'));
    expect((lines[0]!.err as { message: string }).message).toBe('redis down');
  });
});
