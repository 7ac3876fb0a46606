/**
 * `npm run bench:memory`: resident memory of the embedded default, `anomalog serve`
 * run as a real process with no learning period. Idle on a fresh data directory
 * and on a second start; then, each on a fresh directory, after floods sent from
 * this process over OTLP/gRPC: 50,000 and 200,000 distinct service names (one
 * record each) and 100,000 distinct templates in one service, in exports of
 * 1,000 records; ten exports of twenty 1,000,000-character lines (20 MB each,
 * under the default ANOMALOG_MAX_REQUEST_BYTES) in one service. Records the
 * service refused (partial_success) are counted, so the figures say what was
 * really held. Beside RSS from /proc: the V8 heap in use from the service's
 * /metrics (nodejs_heap_size_used_bytes), after the settle and at its highest
 * during the flood (read once a second), and the patterns the service keeps
 * (GET /api/patterns). The snapshot size is measured after SIGTERM, once the
 * service has written it and exited.
 *
 * Flags: --scale F  multiplies the 1,000-record floods (default 1)
 *        --in-flight N  exports in flight during a flood (default 2)
 *        --scenarios idle,services,templates,huge-lines  (default: all)
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { status } from '@grpc/grpc-js';
import { decodeExportResponse, encodeRequest, grpcExport } from '../test/helpers/otlp-raw.js';
import { startAnomalog, type AnomalogProcess } from '../test/helpers/anomalog-process.js';
import { stopAll, stopAllOnInterrupt, track } from './scale-cleanup.js';
import { sampleProcess } from './scale-procfs.js';
import { fmt, sleep } from './scale-report.js';
import { scrapeMetric } from './scale-stack.js';

stopAllOnInterrupt();

const RECORDS_PER_EXPORT = 1_000;
/** Time for start-up (or flood) garbage to be collected before RSS is read. */
const SETTLE_MS = 5_000;
const RETRY_DELAY_MS = 250;
const HEAP_SAMPLE_MS = 1_000;
const HEAP_METRIC = 'nodejs_heap_size_used_bytes';
const MB = 2 ** 20;
/** The huge-lines flood: ten exports of twenty lines of 1,000,000 characters. */
const HUGE = { exports: 10, linesPerExport: 20, lineChars: 1_000_000 };
const SCENARIOS = ['idle', 'services', 'templates', 'huge-lines'] as const;
type Scenario = (typeof SCENARIOS)[number];

interface Row {
  scenario: string;
  sent: number;
  accepted: number;
  rssBytes: number;
  peakRssBytes: number;
  /** V8 heap in use after the settle. */
  heapBytes: number;
  /** The highest heap in use read during the flood; undefined for the idle rows. */
  peakHeapBytes?: number;
  /** Patterns the service keeps, over all services. */
  patterns: number;
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

/** Sends `total` records, `record(i)` each, `perExport` to an export, `inFlight` exports at once; resolves with the number accepted. */
async function flood(port: number, plan: Flood, inFlight: number): Promise<number> {
  let next = 0;
  let rejected = 0;
  const lane = async (): Promise<void> => {
    while (next < plan.total) {
      const from = next;
      next = Math.min(plan.total, next + plan.perExport);
      const records = Array.from({ length: next - from }, (_v, k) => plan.record(from + k));
      const refused = await deliver(port, exportBody(records));
      rejected += refused;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return plan.total - rejected;
}

/** Reads the service's heap in use once a second until stopped; resolves with the highest reading. */
function watchHeap(httpPort: number): { stop: () => Promise<number> } {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      peak = Math.max(peak, await scrapeMetric(httpPort, HEAP_METRIC));
      await sleep(HEAP_SAMPLE_MS);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return peak;
    },
  };
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

/** RSS first, before the reads over HTTP allocate in the service. */
async function settledSample(service: AnomalogProcess): Promise<{ rssBytes: number; peakRssBytes: number; heapBytes: number; patterns: number }> {
  await sleep(SETTLE_MS);
  const { rssBytes, peakRssBytes } = await sampleProcess(service.child.pid!);
  const heapBytes = await scrapeMetric(service.httpPort, HEAP_METRIC);
  const res = await fetch(`http://127.0.0.1:${service.httpPort}/api/patterns`);
  if (!res.ok) throw new Error(`GET /api/patterns answered ${res.status}`);
  const answer = (await res.json()) as { patterns: unknown[] };
  return { rssBytes, peakRssBytes, heapBytes, patterns: answer.patterns.length };
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

interface Flood {
  scenario: string;
  total: number;
  perExport: number;
  record: (i: number) => LogRecord;
}

async function floodRow(root: string, plan: Flood, inFlight: number): Promise<Row> {
  const dataDir = join(root, plan.scenario.replace(/\W+/g, '-'));
  const { service, stop } = await start(dataDir);
  const started = Date.now();
  const heap = watchHeap(service.httpPort);
  const accepted = await flood(service.grpcPort, plan, inFlight);
  const peakHeapBytes = await heap.stop();
  const seconds = (Date.now() - started) / 1000;
  const sample = await settledSample(service);
  await stop();
  return { scenario: plan.scenario, sent: plan.total, accepted, ...sample, peakHeapBytes, snapshotBytes: await snapshotBytes(dataDir), seconds };
}

function print(rows: Row[], inFlight: number): void {
  const header = ['scenario', 'records sent', 'accepted', 'patterns kept', 'RSS MB', 'peak RSS MB', 'heap used MB', 'peak heap used MB', 'snapshot MB', 'seconds'];
  const mb = (bytes: number | undefined, digits = 0): string => (bytes === undefined ? '–' : (bytes / MB).toFixed(digits));
  const lines = rows.map((r) => [
    r.scenario,
    fmt(r.sent),
    fmt(r.accepted),
    fmt(r.patterns),
    mb(r.rssBytes),
    mb(r.peakRssBytes),
    mb(r.heapBytes),
    mb(r.peakHeapBytes),
    mb(r.snapshotBytes, 1),
    r.seconds.toFixed(1),
  ]);
  console.log(`| ${header.join(' | ')} |\n|${header.map(() => ' --- ').join('|')}|`);
  for (const line of lines) console.log(`| ${line.join(' | ')} |`);
  console.log(
    `\n${inFlight} export(s) in flight; RSS and heap read ${SETTLE_MS / 1000} s after start-up or the flood; peak RSS includes start-up; ` +
      `peak heap read every ${HEAP_SAMPLE_MS / 1000} s during the flood; seconds: start-up for the idle rows, the flood (sent and answered) for the others.`,
  );
}

/** `count` words of their own for `i`: no two records share a word, so none fold into one template. */
const ownWords = (i: number, count: number): string => Array.from({ length: count }, (_v, k) => word(i * count + k)).join(' ');

function floods(n: (count: number) => number): Record<Exclude<Scenario, 'idle'>, Flood[]> {
  const services = (count: number): Flood => ({
    scenario: `${fmt(count)} services`,
    total: count,
    perExport: RECORDS_PER_EXPORT,
    record: (i) => ({ service: `service-${i}`, message: 'session opened for user' }),
  });
  const templates = n(100_000);
  // Words of ~7 characters: enough of them to fill a line past lineChars, then cut to it exactly.
  const wordsPerLine = Math.ceil(HUGE.lineChars / 6);
  return {
    services: [services(n(50_000)), services(n(200_000))],
    templates: [{ scenario: `${fmt(templates)} templates, one service`, total: templates, perExport: RECORDS_PER_EXPORT, record: (i) => ({ service: 'template-flood', message: ownWords(i, 5) }) }],
    'huge-lines': [
      {
        scenario: `${HUGE.exports * HUGE.linesPerExport} lines of ${fmt(HUGE.lineChars)} chars, one service`,
        total: HUGE.exports * HUGE.linesPerExport,
        perExport: HUGE.linesPerExport,
        record: (i) => ({ service: 'huge-lines', message: ownWords(i, wordsPerLine).slice(0, HUGE.lineChars) }),
      },
    ],
  };
}

function parseFlags() {
  const { values } = parseArgs({
    options: {
      scale: { type: 'string', default: '1' },
      'in-flight': { type: 'string', default: '2' },
      scenarios: { type: 'string', default: SCENARIOS.join(',') },
    },
    strict: true,
  });
  const scale = Number(values.scale);
  const inFlight = Number(values['in-flight']);
  const scenarios = new Set(values.scenarios.split(',') as Scenario[]);
  if (!(scale > 0)) throw new Error('--scale must be a positive number');
  if (!(Number.isInteger(inFlight) && inFlight >= 1)) throw new Error('--in-flight must be a positive whole number');
  if ([...scenarios].some((s) => !SCENARIOS.includes(s))) throw new Error(`--scenarios: any of ${SCENARIOS.join(',')}`);
  return { scale, inFlight, scenarios };
}

async function main(): Promise<void> {
  const { scale, inFlight, scenarios } = parseFlags();
  const n = (count: number): number => Math.max(RECORDS_PER_EXPORT, Math.round(count * scale));
  const root = await mkdtemp(join(tmpdir(), 'anomalog-bench-memory-'));
  try {
    const rows = scenarios.has('idle') ? await idleRows(root) : [];
    const plans = floods(n);
    for (const scenario of SCENARIOS) {
      if (scenario === 'idle' || !scenarios.has(scenario)) continue;
      for (const plan of plans[scenario]) rows.push(await floodRow(root, plan, inFlight));
    }
    print(rows, inFlight);
  } finally {
    await stopAll();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
