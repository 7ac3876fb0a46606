/**
 * The receiver when the service admission (ANOMALOG_MAX_SERVICES; kept in Redis
 * in production) cannot be asked: every export is refused as retryable on both
 * transports, nothing reaches the pipeline, and the exports are taken once it
 * answers again.
 */
import { status } from '@grpc/grpc-js';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { LOOPBACK_ANY_PORT } from '../../src/demo/loopback.js';
import { DependencyUnavailableError } from '../../src/errors.js';
import type { LogEntry } from '../../src/log-entry.js';
import { mappedInto } from '../../src/otlp/accepted-export.js';
import { createReceiver, type Receiver } from '../../src/receiver/receiver.js';
import { createMemoryServiceAdmission, type ServiceAdmission } from '../../src/store/service-admission.js';
import { metricValue } from '../helpers/otlp-receiver.js';
import { decodeStatus, encodeRequest, grpcExport, postLogs, simpleRequest } from '../helpers/otlp-raw.js';

describe('service admission unavailable', () => {
  const entries: LogEntry[] = [];
  const registry = new Registry();
  let down = true;
  let receiver: Receiver;
  let ports: { grpcPort: number; httpPort: number };

  beforeAll(async () => {
    const memory = createMemoryServiceAdmission({ limits: { maxServices: 10, serviceIdleTtlMs: 60_000 } });
    // The admission port as a Redis outage leaves it: every call rejects.
    const admission: ServiceAdmission = {
      maxServices: memory.maxServices,
      admit: (services) => (down ? Promise.reject(new DependencyUnavailableError('redis', 'connect ECONNREFUSED 127.0.0.1:6379')) : memory.admit(services)),
      forgetIdle: (before) => memory.forgetIdle(before),
    };
    receiver = createReceiver({
      config: loadConfig(LOOPBACK_ANY_PORT),
      sink: mappedInto(async (batch) => void entries.push(...batch)),
      logger: pino({ level: 'silent' }),
      registry,
      admission,
    });
    ports = await receiver.start();
  });
  afterAll(() => receiver.stop());

  test('refuses exports as retryable on both transports, passes nothing on, and takes them once admission answers', async () => {
    const body = encodeRequest(simpleRequest(2, 'while-down'));
    const grpc = await grpcExport(ports.grpcPort, body);
    expect(grpc.error?.code).toBe(status.UNAVAILABLE);
    const http = await postLogs(`http://127.0.0.1:${ports.httpPort}`, body);
    expect(http.status).toBe(503);
    expect(http.headers.get('retry-after')).toBe('1');
    expect(decodeStatus(Buffer.from(await http.arrayBuffer()))).toMatchObject({ code: status.UNAVAILABLE, message: expect.stringMatching(/admission unavailable/) });
    expect(entries).toEqual([]);
    for (const transport of ['grpc', 'http']) {
      expect(await metricValue(registry, 'anomalog_rejected_requests_total', { transport, reason: 'admission_unavailable' })).toBe(1);
      expect(await metricValue(registry, 'anomalog_received_log_records_total', { transport })).toBe(0);
    }

    down = false;
    expect((await grpcExport(ports.grpcPort, body)).error).toBeUndefined();
    expect((await postLogs(`http://127.0.0.1:${ports.httpPort}`, body)).status).toBe(200);
    expect(entries.filter((e) => e.service === 'while-down')).toHaveLength(4);
  });
});
