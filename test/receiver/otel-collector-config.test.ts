import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, test } from 'vitest';

interface Pipeline { receivers: string[]; processors: string[]; exporters: string[] }
interface CollectorConfig {
  receivers: Record<string, { protocols?: Record<string, { endpoint: string }> }>;
  processors: Record<string, unknown>;
  exporters: Record<string, Record<string, unknown>>;
  service: { pipelines: Record<string, Pipeline> };
}

const config = parse(readFileSync(new URL('../../otel-collector.yaml', import.meta.url), 'utf8')) as CollectorConfig;

describe('otel-collector.yaml', () => {
  test('defines every component its pipelines use', () => {
    for (const pipeline of Object.values(config.service.pipelines)) {
      for (const name of pipeline.receivers) expect(config.receivers).toHaveProperty([name]);
      for (const name of pipeline.processors) expect(config.processors).toHaveProperty([name]);
      for (const name of pipeline.exporters) expect(config.exporters).toHaveProperty([name]);
    }
  });

  test('sends logs to anomalog with gzip, a bearer token and retries, and through memory_limiter first', () => {
    const logs = config.service.pipelines.logs!;
    expect(logs.receivers).toEqual(['otlp', 'filelog']);
    expect(logs.processors).toEqual(['memory_limiter', 'batch']);
    expect(logs.exporters).toEqual(['otlp/anomalog', 'debug']);
    const exporter = config.exporters['otlp/anomalog']!;
    expect(exporter).toMatchObject({ compression: 'gzip', tls: { insecure: true }, retry_on_failure: { enabled: true } });
    expect((exporter.headers as Record<string, string>).authorization).toMatch(/^Bearer \$\{env:ANOMALOG_AUTH_TOKEN\}$/);
  });

  test('receives anomaly events on 4319/4320 and never routes them back to anomalog', () => {
    const events = config.service.pipelines['logs/anomalies']!;
    expect(events.receivers).toEqual(['otlp/anomalog_events']);
    expect(events.exporters).not.toContain('otlp/anomalog');
    expect(config.receivers['otlp/anomalog_events']!.protocols).toEqual({
      grpc: { endpoint: '0.0.0.0:4319' },
      http: { endpoint: '0.0.0.0:4320' },
    });
    const logsReceivers = config.service.pipelines.logs!.receivers;
    expect(logsReceivers).not.toContain('otlp/anomalog_events');
  });
});
