/**
 * `novelty.js --data heldout|loghub --otlp`: issue 10's protocol through the
 * product. Per system, in a data directory of its own (the embedded default:
 * memory pattern store snapshotted there, PGlite; no Redis, no Postgres, no
 * Slack, no event export): the first half of its Content lines is written to a
 * file as JSON Lines (a multi-line message stays one) and taught with
 * `anomalog learn FILE --service NAME --format jsonl`; then `anomalog
 * serve` starts on free ports and the second half is streamed to it with the
 * OpenTelemetry JS SDK's OTLP/gRPC exporter, in order, one export per record
 * (each awaited until acknowledged, and the service acknowledges an export only
 * once its anomalies are stored), every record at ERROR. The new_pattern
 * anomalies are read back from GET /api/anomalies; each carries the attributes
 * of the record that raised it, among them the `bench.line` we sent, which
 * names the line. Scored as the in-process run is (novelty-halves.ts).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { CLI_PATH, cliNodeFlags, startAnomalog } from '../test/helpers/anomalog-process.js';
import { createSdkExporter, createSdkProvider } from '../test/helpers/otlp-sdk.js';
import { loadLoghubSystem, type DataChoice } from './loghub.js';
import { halfOf, reportHalves, scoreHalves, type SystemNovelty } from './novelty-halves.js';

const run = promisify(execFile);

/** The record attribute that names the line (0-based index into the system's lines). */
const LINE_ATTRIBUTE = 'bench.line';

/** An exporter whose exports can be awaited: the SDK's SimpleLogRecordProcessor starts an export per record and never waits. */
class AwaitedExporter implements LogRecordExporter {
  private pending: Array<Promise<ExportResult>> = [];

  constructor(private readonly inner: LogRecordExporter) {}

  export(records: ReadableLogRecord[], done: (result: ExportResult) => void): void {
    this.pending.push(
      new Promise((resolve) =>
        this.inner.export(records, (result) => {
          resolve(result);
          done(result);
        }),
      ),
    );
  }

  /** Resolves once every export started so far is acknowledged; throws if one failed. */
  async settle(): Promise<void> {
    for (const result of await Promise.all(this.pending.splice(0))) {
      if (result.code !== ExportResultCode.SUCCESS) throw new Error(`OTLP export failed: ${result.error?.message ?? 'no reason given'}`, { cause: result.error });
    }
  }

  async forceFlush(): Promise<void> {
    await this.inner.forceFlush?.();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/** Where the time of one system went, and what did not add up (empty when all did). */
interface SystemRun {
  learnMs: number;
  startMs: number;
  streamMs: number;
  exports: number;
  totalMs: number;
  learnOutput: string;
  problems: string[];
}

/** A clean environment for the CLI: nothing of ours leaks in (no REDIS_URL, DATABASE_URL, Slack or events endpoint). */
function cliEnv(dataDir: string): Record<string, string> {
  return { PATH: process.env.PATH ?? '', ANOMALOG_DATA_DIR: dataDir, ANOMALOG_LOG_LEVEL: 'warn' };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** The sum of a counter's series in the /metrics text (0 when it has none yet). */
async function counter(base: string, name: string): Promise<number> {
  const res = await fetch(`${base}/metrics`);
  if (!res.ok) throw new Error(`GET ${base}/metrics: ${res.status}`);
  let total = 0;
  for (const line of (await res.text()).split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

interface ApiAnomaly {
  id: string;
  kind: string;
  message: string;
  timestamp: number;
  detectedAt: number;
  attributes: Record<string, unknown>;
}

/** Every new_pattern anomaly of the service, through the console's API, a page of 1,000 at a time. */
async function newPatternAnomalies(base: string, service: string): Promise<ApiAnomaly[]> {
  const all: ApiAnomaly[] = [];
  let cursor = '';
  for (;;) {
    const page = await getJson<{ anomalies: ApiAnomaly[]; next: { before: number; beforeId: string } | null }>(
      `${base}/api/anomalies?service=${encodeURIComponent(service)}&kind=new_pattern&limit=1000${cursor}`,
    );
    all.push(...page.anomalies);
    if (!page.next) return all;
    cursor = `&before=${page.next.before}&beforeId=${encodeURIComponent(page.next.beforeId)}`;
  }
}

/** Polls until the service has taken `records` records and its count of new_pattern anomalies stops moving. */
async function settled(base: string, service: string, records: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  let last = -1;
  for (;;) {
    const received = await counter(base, 'anomalog_received_log_records_total');
    const found = (await newPatternAnomalies(base, service)).length;
    const detected = await counter(base, 'anomalog_anomalies_total');
    if (received >= records && found === last && found <= detected) return;
    if (Date.now() > deadline) throw new Error(`${service}: not settled after 60 s (received ${received} of ${records}, ${found} new_pattern anomalies stored)`);
    last = found;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function otlpHalfNovelty(name: string, dir: string, runs: SystemRun[]): Promise<SystemNovelty> {
  const began = Date.now();
  const { lines } = loadLoghubSystem(name, dir);
  const half = halfOf(lines);
  const service = name.toLowerCase();
  const root = await mkdtemp(join(tmpdir(), 'anomalog-novelty-otlp-'));
  const dataDir = join(root, 'data');
  await mkdir(dataDir);
  const env = cliEnv(dataDir);
  const problems: string[] = [];
  try {
    const taught = join(root, `${service}.log`);
    await writeFile(taught, lines.slice(0, half).map((l) => `${JSON.stringify(l.content)}\n`).join(''));
    const learnStart = Date.now();
    const learned = await run(process.execPath, [...cliNodeFlags(), CLI_PATH, 'learn', taught, '--service', service, '--format', 'jsonl'], { env, maxBuffer: 16 * 1024 * 1024 });
    const learnMs = Date.now() - learnStart;

    const serveStart = Date.now();
    const anomalog = await startAnomalog({ env });
    const base = `http://127.0.0.1:${anomalog.httpPort}`;
    try {
      const health = await fetch(`${base}/healthz`);
      if (!health.ok) throw new Error(`${service}: /healthz answered ${health.status}`);
      const startMs = Date.now() - serveStart;

      const streamStart = Date.now();
      const exporter = new AwaitedExporter(createSdkExporter('grpc', { grpcUrl: `http://127.0.0.1:${anomalog.grpcPort}`, httpUrl: base }, { timeoutMillis: 30_000 }));
      const provider = createSdkProvider(exporter, { 'service.name': service });
      const logger = provider.getLogger('anomalog-novelty-bench');
      for (let i = half; i < lines.length; i++) {
        logger.emit({ severityNumber: SeverityNumber.ERROR, severityText: 'ERROR', body: lines[i]!.content, timestamp: Date.now(), attributes: { [LINE_ATTRIBUTE]: i } });
        await exporter.settle();
      }
      await provider.shutdown();
      await settled(base, service, lines.length - half);
      const streamMs = Date.now() - streamStart;

      const rejected = await counter(base, 'anomalog_rejected_log_records_total');
      if (rejected > 0) problems.push(`${rejected} records rejected`);
      const { deadLetters } = await getJson<{ deadLetters: unknown[] }>(`${base}/api/dead-letters`);
      if (deadLetters.length > 0) problems.push(`${deadLetters.length} dead letters`);

      const raised: Array<{ line: number; anomaly: ApiAnomaly }> = [];
      for (const anomaly of await newPatternAnomalies(base, service)) {
        const line = anomaly.attributes[LINE_ATTRIBUTE];
        if (typeof line !== 'number' || !Number.isInteger(line) || line < half || line >= lines.length) {
          problems.push(`anomaly ${anomaly.id} names no streamed line (${LINE_ATTRIBUTE} = ${JSON.stringify(line)})`);
          continue;
        }
        if (anomaly.message !== lines[line]!.content) problems.push(`anomaly ${anomaly.id} on line ${line + 1}: message differs from the line's Content`);
        raised.push({ line, anomaly });
      }
      // In the order they were raised: by line (one export per line), then as stored.
      raised.sort((a, b) => a.line - b.line || a.anomaly.detectedAt - b.anomaly.detectedAt || a.anomaly.id.localeCompare(b.anomaly.id));

      const code = await anomalog.stop();
      if (code !== 0) problems.push(`anomalog serve exited with ${code}`);
      runs.push({ learnMs, startMs, streamMs, exports: lines.length - half, totalMs: Date.now() - began, learnOutput: learned.stdout.trim(), problems });
      return scoreHalves(name, lines, half, raised.map((r) => r.line));
    } finally {
      await anomalog.stop();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

export async function otlpHalvesNovelty(data: DataChoice): Promise<void> {
  const began = Date.now();
  const runs: SystemRun[] = [];
  const results = await reportHalves(
    data,
    'end to end: first half taught with `anomalog learn`, second half streamed over OTLP/gRPC to `anomalog serve` at ERROR, one record per export',
    (name, dir) => otlpHalfNovelty(name, dir, runs),
  );
  const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  const sum = (f: (r: SystemRun) => number): number => runs.reduce((a, r) => a + f(r), 0);
  console.log(
    `wall time ${seconds(Date.now() - began)}: learn ${seconds(sum((r) => r.learnMs))}, serve start-up ${seconds(sum((r) => r.startMs))}, ` +
      `streaming ${seconds(sum((r) => r.streamMs))} (${sum((r) => r.exports)} exports)`,
  );
  const verbose = data.rest.includes('--verbose');
  results.forEach((r, i) => {
    const runOf = runs[i]!;
    if (verbose) console.log(`  ${r.name}: ${runOf.learnOutput} (${seconds(runOf.totalMs)})`);
    for (const p of runOf.problems) console.log(`  ${r.name}: ${p}`);
  });
}
