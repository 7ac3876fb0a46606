import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('gives the documented defaults on an empty environment', () => {
    const c = loadConfig({});
    expect(c.host).toBe('127.0.0.1');
    expect(c.grpcPort).toBe(4317);
    expect(c.httpPort).toBe(4318);
    expect(c.maxRequestBytes).toBe(20 * 1024 * 1024);
    expect(c.detection.similarity).toBe(0.85);
    expect(c.detection.learningPeriodSeconds).toBe(3600);
    expect(c.detection.newPatternMinLevel).toBe('warn');
    expect(c.detection.spikeWindowSeconds).toBe(60);
    expect(c.alerts.windowSeconds).toBe(1);
    expect(c.alerts.cooldownSeconds).toBe(1800);
    expect(c.alerts.slackMinSeverity).toBe('warning');
    expect(c.alerts.eventsProtocol).toBe('grpc');
    expect(c.embeddings.provider).toBe('local');
    expect(c.embeddings.model).toBe('text-embedding-3-small');
    expect(c.redisUrl).toBeUndefined();
    expect(c.databaseUrl).toBeUndefined();
    expect(c.apiUrl).toBe('http://127.0.0.1:4318');
    expect(loadConfig({ ANOMALOG_HTTP_PORT: '9000' }).apiUrl).toBe('http://127.0.0.1:9000');
    expect(loadConfig({ ANOMALOG_URL: 'https://anomalog.internal:8443/' }).apiUrl).toBe('https://anomalog.internal:8443');
  });

  it('names the bad variable when a value does not parse', () => {
    expect(() => loadConfig({ ANOMALOG_GRPC_PORT: 'forty' })).toThrow(/ANOMALOG_GRPC_PORT/);
    expect(() => loadConfig({ ANOMALOG_SIMILARITY: '1.5' })).toThrow(/ANOMALOG_SIMILARITY/);
    expect(() => loadConfig({ ANOMALOG_NEW_PATTERN_MIN_LEVEL: 'loud' })).toThrow(/ANOMALOG_NEW_PATTERN_MIN_LEVEL/);
    expect(() => loadConfig({ SLACK_WEBHOOK_URL: 'not a url' })).toThrow(ConfigError);
  });

  it('parses the hardening settings: durations with units, flags, and caps', () => {
    const c = loadConfig({});
    expect(c.requestTimeoutMs).toBe(30_000);
    expect(c.stuckAfterMs).toBe(60_000);
    expect(c.metricsAuth).toBe(false);
    expect(c.queue.maxDeliveries).toBe(5);
    expect(c.limits).toEqual({ maxServices: 10_000, serviceIdleTtlMs: 7 * 86_400_000, maxPatternsPerService: 5_000, maxStoredChars: 8192 });
    const set = loadConfig({ ANOMALOG_REQUEST_TIMEOUT: '5s', ANOMALOG_SERVICE_IDLE_TTL: '2h', ANOMALOG_STUCK_AFTER: '90', ANOMALOG_METRICS_AUTH: 'true' });
    expect([set.requestTimeoutMs, set.limits.serviceIdleTtlMs, set.stuckAfterMs, set.metricsAuth]).toEqual([5_000, 7_200_000, 90_000, true]);
    expect(() => loadConfig({ ANOMALOG_REQUEST_TIMEOUT: '30 seconds' })).toThrow(/ANOMALOG_REQUEST_TIMEOUT/);
    expect(() => loadConfig({ ANOMALOG_REQUEST_TIMEOUT: '30d' })).toThrow(/ANOMALOG_REQUEST_TIMEOUT/);
    expect(() => loadConfig({ ANOMALOG_SERVICE_IDLE_TTL: '0s' })).toThrow(/ANOMALOG_SERVICE_IDLE_TTL/);
    expect(() => loadConfig({ ANOMALOG_METRICS_AUTH: 'maybe' })).toThrow(/ANOMALOG_METRICS_AUTH/);
  });

  it('takes an http(s) ANOMALOG_TRACE_URL as written, placeholders and all, and refuses other schemes', () => {
    expect(loadConfig({}).traceUrl).toBeUndefined();
    const url = 'https://grafana.example/explore?traceId={traceId}&spanId={spanId}';
    expect(loadConfig({ ANOMALOG_TRACE_URL: url }).traceUrl).toBe(url);
    expect(() => loadConfig({ ANOMALOG_TRACE_URL: 'javascript:alert(1)//{traceId}' })).toThrow(/ANOMALOG_TRACE_URL/);
    expect(() => loadConfig({ ANOMALOG_TRACE_URL: 'traces/{traceId}' })).toThrow(/ANOMALOG_TRACE_URL/);
  });

  it('requires TLS cert and key together', () => {
    expect(() => loadConfig({ ANOMALOG_TLS_CERT: '/tmp/cert.pem' })).toThrow(/ANOMALOG_TLS_KEY/);
  });

  it('parses event headers in the OTLP headers format', () => {
    const c = loadConfig({ ANOMALOG_EVENTS_HEADERS: 'authorization=Bearer%20x,x-team=sre' });
    expect(c.alerts.eventsHeaders).toEqual({ authorization: 'Bearer x', 'x-team': 'sre' });
    expect(() => loadConfig({ ANOMALOG_EVENTS_HEADERS: 'novalue' })).toThrow(/ANOMALOG_EVENTS_HEADERS/);
  });

  it('reads a YAML file named by ANOMALOG_CONFIG, with the environment taking precedence', () => {
    const dir = mkdtempSync(join(tmpdir(), 'anomalog-config-'));
    const file = join(dir, 'anomalog.yaml');
    writeFileSync(file, 'ANOMALOG_GRPC_PORT: 5317\nANOMALOG_SPIKE_WINDOW: 30\n');
    const c = loadConfig({ ANOMALOG_CONFIG: file, ANOMALOG_SPIKE_WINDOW: '10' });
    expect(c.grpcPort).toBe(5317);
    expect(c.detection.spikeWindowSeconds).toBe(10);
    writeFileSync(file, 'ANOMALOG_GRPC_PROT: 5317\n');
    expect(() => loadConfig({ ANOMALOG_CONFIG: file })).toThrow(/unknown setting ANOMALOG_GRPC_PROT/);
  });

  it('freezes the result', () => {
    const c = loadConfig({});
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.detection)).toBe(true);
  });
});
