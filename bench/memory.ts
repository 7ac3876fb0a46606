/**
 * `npm run bench:memory`: resident memory of the embedded default, `anomalog serve`
 * run as a real process with no learning period. Idle on a fresh data directory
 * and on a second start; then, each on a fresh directory, after floods sent from
 * this process over OTLP/gRPC in exports of 1,000 records: 50,000 and 200,000
 * distinct service names (one record each) and 100,000 distinct templates in one
 * service. Records the service refused (partial_success) are counted, so the
 * figures say what was really held; the snapshot size is measured after SIGTERM,
 * once the service has written it and exited.
 *
 * Flags: --scale F  multiplies the flood sizes (default 1)
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { status } from '@grpc/grpc-js';
import { decodeExportResponse, encodeRequest, grpcExport } from '../test/helpers/otlp-raw.js';
import { startAnomalog, type AnomalogProcess } from '../test/helpers/anomalog-process.js';
import { stopAll, track } from './scale-cleanup.js';
import { sampleProcess } from './scale-procfs.js';
import { fmt, sleep } from './scale-report.js';

process.once('SIGINT', () => {
  console.error('\ninterrupted: stopping the service');
  void stopAll().finally(() => process.exit(130));
});

const RECORDS_PER_EXPORT = 1_000;
const IN_FLIGHT = 2;
/** Time for start-up (or flood) garbage to be collected before RSS is read. */
const SETTLE_MS = 5_000;
const RETRY_DELAY_MS = 250;
const MB = 2 ** 20;

interface Row {
  scenario: string;
  sent: number;
  accepted: number;
  rssBytes: number;
  peakRssBytes: number;
  /** patterns.json + vectors after shutdown; undefined for the idle rows. */
  snapshotBytes?: number;
  seconds: number;
}

interface LogRecord {
  service: string;
  message: string;
}

/**
 * A word for `n`: letters g–z only, so no hex masking, and `n` is scrambled
 * (an odd multiplier is a bijection mod 2^32) so consecutive words share little.
 */
function word(n: number): string {
  let x = Math.imul(n, 0x9e3779b1) >>> 0;
  let out = '';
  do {
    out += String.fromCharCode(103 + (x % 20));
    x = Math.floor(x / 20);
  } while (x > 0);
  return out;
}

function exportBody(records: LogRecord[]): Buffer {
  const timeUnixNano = String(BigInt(Date.now()) * 1_000_000n);
  const byService = new Map<string, LogRecord[]>();
  for (const r of records) {
    const list = byService.get(r.service);
    if (list) list.push(r);
    else byService.set(r.service, [r]);
  }
  return encodeRequest({
    resourceLogs: [...byService].map(([service, list]) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeLogs: [{ scope: { name: 'bench-memory' }, logRecords: list.map((r) => ({ timeUnixNano, severityNumber: 9, severityText: 'INFO', body: { stringValue: r.message } })) }],
    })),
  });
}

/** Sends one export until it is answered, retrying while the service says UNAVAILABLE; resolves with the records it rejected. */
async function deliver(port: number, body: Buffer): Promise<number> {
  for (;;) {
    const { error, response } = await grpcExport(port, body);
    if (!error) return decodeExportResponse(response!).partialSuccess?.rejectedLogRecords ?? 0;
    if (error.code !== status.UNAVAILABLE) throw new Error(`export failed: ${error.message}`);
    await sleep(RETRY_DELAY_MS);
  }
}

/** Sends `total` records, `record(i)` each, a few exports in flight; resolves with the number accepted. */
async function flood(port: number, total: number, record: (i: number) => LogRecord): Promise<number> {
  let next = 0;
  let rejected = 0;
  const lane = async (): Promise<void> => {
    while (next < total) {
      const from = next;
      next = Math.min(total, next + RECORDS_PER_EXPORT);
      const records = Array.from({ length: next - from }, (_v, k) => record(from + k));
      const refused = await deliver(port, exportBody(records));
      rejected += refused;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  return total - rejected;
}

async function start(dataDir: string): Promise<{ service: AnomalogProcess; stop: () => Promise<void> }> {
  const passed = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('ANOMALOG_') && e[1] !== undefined));
  const service = await startAnomalog({
    env: { ...passed, ANOMALOG_DATA_DIR: dataDir, ANOMALOG_LEARNING_PERIOD: '0', ANOMALOG_LOG_LEVEL: 'error' },
    startTimeoutMs: 120_000,
  });
  const stop = track(async () => {
    const code = await service.stop();
    if (code !== 0) throw new Error(`anomalog exited with ${code}:\n${service.logs().slice(-2_000)}`);
  });
  return { service, stop };
}

async function settledSample(service: AnomalogProcess): Promise<{ rssBytes: number; peakRssBytes: number }> {
  await sleep(SETTLE_MS);
  return sampleProcess(service.child.pid!);
}

async function snapshotBytes(dataDir: string): Promise<number> {
  const names = (await readdir(dataDir)).filter((n) => n === 'patterns.json' || /^patterns-.*\.vectors$/.test(n));
  const sizes = await Promise.all(names.map(async (n) => (await stat(join(dataDir, n))).size));
  return sizes.reduce((a, b) => a + b, 0);
}

async function idleRows(root: string): Promise<Row[]> {
  const dataDir = join(root, 'idle');
  const rows: Row[] = [];
  for (const scenario of ['idle, fresh data dir', 'idle, second start']) {
    const started = Date.now();
    const { service, stop } = await start(dataDir);
    const seconds = (Date.now() - started) / 1000;
    rows.push({ scenario, sent: 0, accepted: 0, ...(await settledSample(service)), seconds });
    await stop();
  }
  return rows;
}

async function floodRow(root: string, scenario: string, total: number, record: (i: number) => LogRecord): Promise<Row> {
  const dataDir = join(root, scenario.replace(/\W+/g, '-'));
  const { service, stop } = await start(dataDir);
  const started = Date.now();
  const accepted = await flood(service.grpcPort, total, record);
  const seconds = (Date.now() - started) / 1000;
  const sample = await settledSample(service);
  await stop();
  return { scenario, sent: total, accepted, ...sample, snapshotBytes: await snapshotBytes(dataDir), seconds };
}

function print(rows: Row[]): void {
  const header = ['scenario', 'records sent', 'accepted', 'RSS MB', 'peak RSS MB', 'snapshot MB', 'seconds'];
  const lines = rows.map((r) => [
    r.scenario,
    fmt(r.sent),
    fmt(r.accepted),
    (r.rssBytes / MB).toFixed(0),
    (r.peakRssBytes / MB).toFixed(0),
    r.snapshotBytes === undefined ? '–' : (r.snapshotBytes / MB).toFixed(1),
    r.seconds.toFixed(1),
  ]);
  console.log(`| ${header.join(' | ')} |\n|${header.map(() => ' --- ').join('|')}|`);
  for (const line of lines) console.log(`| ${line.join(' | ')} |`);
  console.log('\nseconds: start-up for the idle rows, the flood (sent and answered) for the others; peak includes start-up.');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { scale: { type: 'string', default: '1' } }, strict: true });
  const scale = Number(values.scale);
  if (!(scale > 0)) throw new Error('--scale must be a positive number');
  const n = (count: number): number => Math.max(RECORDS_PER_EXPORT, Math.round(count * scale));
  const root = await mkdtemp(join(tmpdir(), 'anomalog-bench-memory-'));
  try {
    const rows = await idleRows(root);
    const services = (count: number) => floodRow(root, `${fmt(count)} services`, count, (i) => ({ service: `service-${i}`, message: 'session opened for user' }));
    rows.push(await services(n(50_000)));
    rows.push(await services(n(200_000)));
    const templates = n(100_000);
    // Five words of their own per message: no two share a word, so none fold into one template.
    rows.push(
      await floodRow(root, `${fmt(templates)} templates, one service`, templates, (i) => ({
        service: 'template-flood',
        message: Array.from({ length: 5 }, (_v, k) => word(i * 5 + k)).join(' '),
      })),
    );
    print(rows);
  } finally {
    await stopAll();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
