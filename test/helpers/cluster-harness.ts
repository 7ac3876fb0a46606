/**
 * Runs a set of separate anomalog processes (receivers, workers) against one
 * Redis and one Postgres, and sends them exact, countable exports.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { NORMAL, SEVERITY, type Severity } from '../../src/demo/traffic.js';
import { shardOf } from '../../src/shard-of.js';
import { startAnomalog, type AnomalogProcess } from './anomalog-process.js';
import { encodeRequest, postLogs } from './otlp-raw.js';
import { createSdkExporter } from './otlp-sdk.js';
import { ExportResultCode } from '@opentelemetry/core';

export interface Cluster {
  readonly receivers: AnomalogProcess[];
  readonly workers: AnomalogProcess[];
  /** Start one more process with the cluster's environment (and overrides). */
  add(role: 'receiver' | 'worker', env?: Record<string, string>): Promise<AnomalogProcess>;
  /**
   * SIGKILL every process still running: for afterAll, whatever happened. With
   * CLUSTER_LOGS=<dir> set, every process's logs are kept in <dir>/<name>.log.
   */
  killAll(): Promise<void>;
}

export async function startCluster(opts: { name: string; receivers: number; workers: number; env: Record<string, string> }): Promise<Cluster> {
  const receivers: AnomalogProcess[] = [];
  const workers: AnomalogProcess[] = [];
  const all: AnomalogProcess[] = [];
  const add = async (role: 'receiver' | 'worker', env: Record<string, string> = {}) => {
    const p = await startAnomalog({ role, env: { ...opts.env, ...env }, startTimeoutMs: 60_000 });
    all.push(p);
    (role === 'receiver' ? receivers : workers).push(p);
    return p;
  };
  const cluster: Cluster = {
    receivers,
    workers,
    add,
    async killAll() {
      await Promise.all(all.map((p) => p.kill()));
      const dir = process.env.CLUSTER_LOGS;
      if (dir) await writeFile(join(dir, `${opts.name}.log`), all.map((p) => `--- ${p.role} pid ${p.child.pid}\n${p.logs()}`).join('\n'));
    },
  };
  try {
    // Workers first and one by one: each migrates and takes its leases without racing the others.
    for (let i = 0; i < opts.workers; i++) await add('worker');
    await Promise.all(Array.from({ length: opts.receivers }, () => add('receiver')));
  } catch (error) {
    await cluster.killAll();
    throw error;
  }
  return cluster;
}

/**
 * A random suffix that puts `bases` (suffixed) on every one of `shards` shards,
 * so that every worker of the test has some of the traffic.
 */
export function suffixSpanningShards(bases: readonly string[], shards: number): string {
  for (;;) {
    const suffix = `-${randomBytes(3).toString('hex')}`;
    const used = new Set(bases.map((b) => shardOf(`${b}${suffix}`, shards)));
    if (used.size === Math.min(shards, bases.length)) return suffix;
  }
}

export type Line = readonly [severity: Severity, message: string];

/** One OTLP/HTTP protobuf export of `lines` from `service`; resolves with the HTTP status. */
export async function exportLines(httpPort: number, service: string, lines: readonly Line[]): Promise<number> {
  const body = encodeRequest({
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeLogs: [
          {
            scope: { name: 'cluster-test' },
            logRecords: lines.map(([severity, message]) => ({ severityNumber: SEVERITY[severity], body: { stringValue: message } })),
          },
        ],
      },
    ],
  });
  const res = await postLogs(`http://127.0.0.1:${httpPort}`, body);
  await res.arrayBuffer();
  return res.status;
}

/** Like exportLines, but the export must be acknowledged (200). */
export async function exportAcked(httpPort: number, service: string, lines: readonly Line[]): Promise<void> {
  const status = await exportLines(httpPort, service, lines);
  if (status !== 200) throw new Error(`export of ${lines.length} records for ${service} answered ${status}`);
}

/** `count` normal lines of a demo service, cycling through its shapes (all of them, or those at one level). */
export function normalLines(base: string, count: number, only?: Severity): Line[] {
  // A shape's level never varies: one call tells it.
  const shapes = (NORMAL[base] ?? []).filter((shape) => !only || shape()[0] === only);
  if (shapes.length === 0) throw new Error(`no normal traffic for ${base}`);
  return Array.from({ length: count }, (_v, i) => shapes[i % shapes.length]!());
}

export interface CountingSender {
  /** Emit through the SDK (batched, exported in the background with the exporter's retries). */
  emit(lines: readonly Line[]): void;
  /** Records emitted, and records in exports that ended in success / failure. */
  counts(): { emitted: number; acked: number; failed: number };
  shutdown(): Promise<void>;
}


/**
 * The real OTel JS SDK with its OTLP/HTTP protobuf exporter (which retries
 * 429/502/503/504 as Retry-After asks), wrapped only to count which records
 * the exporter reported as delivered.
 */
export function createCountingSender(httpPort: number, service: string): CountingSender {
  const inner = createSdkExporter('http/protobuf', { grpcUrl: '', httpUrl: `http://127.0.0.1:${httpPort}` }, { timeoutMillis: 30_000 });
  let emitted = 0;
  let acked = 0;
  let failed = 0;
  const exporter: LogRecordExporter = {
    export(records, done) {
      inner.export(records, (result) => {
        if (result.code === ExportResultCode.SUCCESS) acked += records.length;
        else failed += records.length;
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    processors: [new BatchLogRecordProcessor({ exporter, scheduledDelayMillis: 50, maxExportBatchSize: 50, maxQueueSize: 100_000 })],
  });
  const logger = provider.getLogger('cluster-test');
  return {
    emit(lines) {
      for (const [severity, body] of lines) logger.emit({ severityNumber: SEVERITY[severity], body });
      emitted += lines.length;
    },
    counts: () => ({ emitted, acked, failed }),
    async shutdown() {
      await provider.shutdown();
    },
  };
}
