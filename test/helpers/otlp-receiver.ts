/** Start a real receiver on port 0 for tests; entries handed to the pipeline are collected. */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/config.js';
import type { LogEntry, Pipeline } from '../../src/log-entry.js';
import { mappedInto, type ExportSink } from '../../src/otlp/accepted-export.js';
import { createReceiver, type HttpExtension, type Readiness } from '../../src/receiver/receiver.js';
import { LOOPBACK_ANY_PORT } from '../../src/demo/loopback.js';

export interface TestReceiver {
  grpcPort: number;
  httpPort: number;
  grpcUrl: string;
  httpUrl: string;
  /** Every entry the pipeline accepted, in order. */
  entries: LogEntry[];
  registry: Registry;
  stop(): Promise<void>;
}

export async function startTestReceiver(options: {
  env?: Record<string, string>;
  /** Wraps the collecting pipeline: decide per call whether to accept. */
  pipeline?: (entries: LogEntry[], accept: Pipeline) => Promise<void>;
  /** Takes accepted exports instead of the collecting pipeline (entries then stays empty). */
  sink?: ExportSink;
  extension?: HttpExtension;
  readiness?: Readiness;
} = {}): Promise<TestReceiver> {
  const config = loadConfig({ ...LOOPBACK_ANY_PORT, ...options.env });
  const entries: LogEntry[] = [];
  const accept: Pipeline = (batch) => {
    entries.push(...batch);
    return Promise.resolve();
  };
  const registry = new Registry();
  const receiver = createReceiver({
    config,
    sink: options.sink ?? mappedInto(options.pipeline ? (batch) => options.pipeline!(batch, accept) : accept),
    logger: pino({ level: 'silent' }),
    registry,
    ...(options.extension ? { extension: options.extension } : {}),
    ...(options.readiness ? { readiness: options.readiness } : {}),
  });
  const { grpcPort, httpPort } = await receiver.start();
  const scheme = config.tls ? 'https' : 'http';
  return {
    grpcPort,
    httpPort,
    grpcUrl: `${scheme}://127.0.0.1:${grpcPort}`,
    httpUrl: `${scheme}://127.0.0.1:${httpPort}`,
    entries,
    registry,
    stop: () => receiver.stop(),
  };
}

/** The value of one sample of a metric in the registry, or 0. */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  const sample = metric?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return sample?.value ?? 0;
}
