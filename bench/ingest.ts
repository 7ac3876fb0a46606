/**
 * `npm run bench:ingest`: the full pipeline a user runs, under a separate load
 * client process (pre-encoded 1,000-record OTLP/gRPC exports, 20 services,
 * 5 attributes, 8 in flight), with three kinds of body built from Loghub-2k
 * lines (raw lines with their headers, header-less messages, kvlist bodies):
 * - embedded default (`anomalog serve`), with decode-only of the same bytes per run;
 * - production: 1 receiver + 1 worker over Redis and Postgres, the receiver's
 *   acknowledged rate and the worker's committed rate;
 * - the transport's ceiling: the receiver into a counting sink (not the product);
 * - a CPU profile (node --cpu-prof) of the embedded service over one window;
 * - production-profile: CPU profiles of the receiver and of the worker over one window.
 *
 * Flags: --seconds N (per window)  --runs N  --kinds raw,message,kvlist
 *        --sections embedded,production,ceiling,profile,production-profile
 *        --threads N (ANOMALOG_DETECTION_THREADS of the embedded service; its default when not given)
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createScratchDatabase } from '../test/helpers/postgres-scratch.js';
import { formatSummary, summariseProfiles, type CpuProfile } from './cpu-profile.js';
import { MAX_LINE_CHARS, loadIngestSources } from './ingest-corpus.js';
import { measureEmbedded, type EmbeddedRun } from './ingest-embedded.js';
import { RAISED_MAX_BACKLOG, measureProduction, type ProductionPlan, type ProductionResult } from './ingest-production.js';
import { BODY_KINDS, RECORDS_PER_REQUEST, buildLoghubRequests, type BodyKind } from './ingest-request.js';
import { measureSink } from './ingest-sink.js';
import type { WindowResult } from './ingest-window.js';
import { stopAll, stopAllOnInterrupt, track } from './scale-cleanup.js';
import { startBenchRedis } from './scale-redis.js';
import { fmt, median } from './scale-report.js';

const CONCURRENCY = 8;
/** Requests in each kind's pool: every service walks through all of its system's lines once. */
const POOL = 40;
const WARMUP_SECONDS = 3;
const SECTIONS = ['embedded', 'production', 'ceiling', 'profile', 'production-profile'] as const;
type Section = (typeof SECTIONS)[number];

const LABELS: Record<BodyKind, string> = { raw: 'raw lines (with header)', message: 'messages (no header)', kvlist: 'JSON kvlist' };

stopAllOnInterrupt();

function parseFlags() {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '6' },
      runs: { type: 'string', default: '3' },
      kinds: { type: 'string', default: BODY_KINDS.join(',') },
      sections: { type: 'string', default: SECTIONS.join(',') },
      threads: { type: 'string' },
    },
    strict: true,
  });
  const seconds = Number(values.seconds);
  const runs = Number(values.runs);
  const kinds = values.kinds.split(',') as BodyKind[];
  const sections = new Set(values.sections.split(',') as Section[]);
  if (!(seconds > 0) || !(Number.isInteger(runs) && runs >= 1)) throw new Error('--seconds and --runs must be positive');
  if (kinds.some((k) => !BODY_KINDS.includes(k))) throw new Error(`--kinds: any of ${BODY_KINDS.join(',')}`);
  if ([...sections].some((s) => !SECTIONS.includes(s))) throw new Error(`--sections: any of ${SECTIONS.join(',')}`);
  const env: Record<string, string> = values.threads === undefined ? {} : { ANOMALOG_DETECTION_THREADS: values.threads };
  return { seconds, runs, kinds, sections, env };
}

const cores = (w: WindowResult): string =>
  [...Object.entries(w.cores).map(([name, c]) => `${name} ${c.toFixed(2)}`), `others ${w.otherCores.toFixed(2)}`].join(', ');
const medianOf = (ws: readonly WindowResult[], f: (w: WindowResult) => number): number => median(ws.map(f));
const medianCores = (ws: readonly WindowResult[]): string =>
  [...Object.keys(ws[0]!.cores).map((name) => medianOf(ws, (w) => w.cores[name]!).toFixed(2)), medianOf(ws, (w) => w.otherCores).toFixed(2)].join(' / ');

/** Median over the windows of a group's CPU per record of `rate`. */
const cpuPerRecord = (ws: readonly WindowResult[], group: string, rate: (w: WindowResult) => number): number => medianOf(ws, (w) => (w.cores[group]! / rate(w)) * 1e6);

function printEmbedded(kind: BodyKind, runs: EmbeddedRun[]): void {
  for (const [i, r] of runs.entries()) {
    console.log(
      `  ${kind} run ${i + 1}: ${fmt(r.window.ackedRate)} records/s, decode-only ${fmt(r.decodeRate)}, ratio ${(r.window.ackedRate / r.decodeRate).toFixed(3)}; ` +
        `refused ${r.window.refused}; CPU cores: ${cores(r.window)}`,
    );
  }
}

function printProduction(kind: BodyKind, result: ProductionResult): void {
  for (const [i, w] of result.windows.entries()) {
    console.log(
      `  ${kind} run ${i + 1}: committed ${fmt(w.committedRate)} records/s, receiver acknowledged ${fmt(w.ackedRate)}; refused ${w.refused}; ` +
        `CPU µs/record: receiver ${cpuPerRecord([w], 'receiver', (x) => x.ackedRate).toFixed(1)}, worker ${cpuPerRecord([w], 'worker', (x) => x.committedRate).toFixed(1)}; CPU cores: ${cores(w)}`,
    );
  }
  console.log(`  ${kind}: backlog when the client stopped ${fmt(result.backlogAtEnd)} records`);
}

/** The .cpuprofile files node --cpu-prof wrote in `dir`, summarised over the window (the monotonic clock is the machine's, so any process's window serves). */
/**
 * One process's profiles (a file per thread) over the window: busy time per
 * thread, where all of it goes, and the main thread alone when there are threads.
 */
async function profileSummary(dir: string, window: { fromUs: number; toUs: number }): Promise<string> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error(`no .cpuprofile written in ${dir}`);
  const profiles = await Promise.all(files.map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8')) as CpuProfile));
  // Node names each file CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread.
  const threadOf = (f: string) => f.split('.')[4];
  const perThread = files.map((f, i) => {
    const one = summariseProfiles([profiles[i]!], window);
    return `${threadOf(f) === '0' ? 'main' : `thread ${threadOf(f)}`} ${((one.totalMs - one.idleMs) / 1000).toFixed(1)} s`;
  });
  const lines = [`busy per thread over the window: ${perThread.join(', ')}`, formatSummary(summariseProfiles(profiles, window))];
  const main = files.findIndex((f) => threadOf(f) === '0');
  if (files.length > 1 && main >= 0) lines.push('the main thread alone:', formatSummary(summariseProfiles([profiles[main]!], window)).replace(/^/gm, '  '));
  return lines.join('\n').replace(/^/gm, '  ');
}

async function profileProduction(plan: Omit<ProductionPlan, 'nodeArgs' | 'runs'>): Promise<void> {
  const dirs = { receiver: await mkdtemp(join(tmpdir(), 'anomalog-bench-cpuprof-r-')), worker: await mkdtemp(join(tmpdir(), 'anomalog-bench-cpuprof-w-')) };
  try {
    const prof = (dir: string) => ['--cpu-prof', '--cpu-prof-dir', dir];
    const result = await measureProduction({ ...plan, runs: 1, nodeArgs: { receiver: prof(dirs.receiver), worker: prof(dirs.worker) } });
    const w = result.windows[0]!;
    console.log(
      `  profiled run (not in the medians): committed ${fmt(w.committedRate)} records/s, receiver acknowledged ${fmt(w.ackedRate)}; ` +
        `CPU µs/record: receiver ${cpuPerRecord([w], 'receiver', (x) => x.ackedRate).toFixed(1)}, worker ${cpuPerRecord([w], 'worker', (x) => x.committedRate).toFixed(1)}; window of ${w.seconds.toFixed(1)} s`,
    );
    for (const role of ['receiver', 'worker'] as const) console.log(`  ${role}:\n${await profileSummary(dirs[role], w)}`);
  } finally {
    await Promise.all(Object.values(dirs).map((d) => rm(d, { recursive: true, force: true })));
  }
}

async function profileEmbedded(requests: readonly Buffer[], seconds: number, env: Record<string, string>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'anomalog-bench-cpuprof-'));
  try {
    const [run] = await measureEmbedded({
      env,
      requests,
      runs: 1,
      seconds,
      decodeSeconds: 1,
      warmupSeconds: WARMUP_SECONDS,
      concurrency: CONCURRENCY,
      nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir],
    });
    console.log(`  profiled run (not in the medians): ${fmt(run!.window.ackedRate)} records/s; window of ${run!.window.seconds.toFixed(1)} s`);
    console.log(await profileSummary(dir, { fromUs: run!.window.fromUs, toUs: run!.window.toUs }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const flags = parseFlags();
  const started = Date.now();
  console.log(`anomalog bench:ingest, node ${process.version}, load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const sources = loadIngestSources();
  const timeNs = BigInt(Date.now()) * 1_000_000n;
  const pools = new Map(flags.kinds.map((kind) => [kind, buildLoghubRequests(kind, sources, POOL, timeNs)]));
  const lines = sources.reduce((n, s) => n + s.records.length, 0);
  console.log(
    `Loghub-2k: ${sources.length} systems, ${fmt(lines)} lines of ≤ ${MAX_LINE_CHARS} chars; ${RECORDS_PER_REQUEST}-record exports, ${POOL} per pool, ${CONCURRENCY} in flight, ` +
      `${flags.seconds} s per run, ${flags.runs} runs, ${WARMUP_SECONDS} s warm-up`,
  );
  for (const [kind, pool] of pools) console.log(`  ${kind}: ${fmt(pool.reduce((n, b) => n + b.length, 0) / pool.length)} bytes per export`);

  const embedded = new Map<BodyKind, EmbeddedRun[]>();
  if (flags.sections.has('embedded')) {
    console.log('\n## Embedded default: `anomalog serve` (ANOMALOG_LEARNING_PERIOD=0, fresh ANOMALOG_DATA_DIR)');
    for (const [kind, requests] of pools) {
      const runs = await measureEmbedded({ env: flags.env, requests, runs: flags.runs, seconds: flags.seconds, decodeSeconds: flags.seconds / 2, warmupSeconds: WARMUP_SECONDS, concurrency: CONCURRENCY });
      embedded.set(kind, runs);
      printEmbedded(kind, runs);
    }
  }
  const decodeMedian = (kind: BodyKind): number | undefined => {
    const runs = embedded.get(kind);
    return runs ? median(runs.map((r) => r.decodeRate)) : undefined;
  };

  const production = new Map<BodyKind, ProductionResult>();
  if (flags.sections.has('production')) {
    console.log(`\n## Production: 1 receiver + 1 worker, private redis-server (no persistence), scratch Postgres; ANOMALOG_MAX_BACKLOG=${fmt(RAISED_MAX_BACKLOG)}`);
    const db = await createScratchDatabase('bench_ingest');
    const dropDb = track(() => db.drop());
    const redis = await startBenchRedis({ aof: false });
    const stopRedis = track(() => redis.stop());
    try {
      for (const [kind, requests] of pools) {
        const result = await measureProduction({ redis, databaseUrl: db.url, requests, runs: flags.runs, seconds: flags.seconds, warmupSeconds: WARMUP_SECONDS, concurrency: CONCURRENCY });
        production.set(kind, result);
        printProduction(kind, result);
      }
    } finally {
      await stopRedis();
      await dropDb();
    }
  }

  let ceiling: { kind: BodyKind; windows: WindowResult[] } | undefined;
  const firstKind = flags.kinds[0]!;
  if (flags.sections.has('ceiling')) {
    console.log(`\n## Transport ceiling (not the product): receiver → counting sink, ${firstKind} bodies`);
    const windows = await measureSink({ requests: pools.get(firstKind)!, runs: flags.runs, seconds: flags.seconds, warmupSeconds: WARMUP_SECONDS, concurrency: CONCURRENCY });
    ceiling = { kind: firstKind, windows };
    for (const [i, w] of windows.entries()) console.log(`  run ${i + 1}: ${fmt(w.ackedRate)} records/s; CPU cores: ${cores(w)}`);
  }

  if (flags.sections.has('profile')) {
    console.log(`\n## CPU profile: embedded service, ${firstKind} bodies, one ${flags.seconds} s window (node --cpu-prof)`);
    await profileEmbedded(pools.get(firstKind)!, flags.seconds, flags.env);
  }

  if (flags.sections.has('production-profile')) {
    console.log(`\n## CPU profiles: production, receiver and worker, ${firstKind} bodies, one ${flags.seconds} s window (node --cpu-prof)`);
    const db = await createScratchDatabase('bench_ingest_profile');
    const dropDb = track(() => db.drop());
    const redis = await startBenchRedis({ aof: false });
    const stopRedis = track(() => redis.stop());
    try {
      await profileProduction({ redis, databaseUrl: db.url, requests: pools.get(firstKind)!, seconds: flags.seconds, warmupSeconds: WARMUP_SECONDS, concurrency: CONCURRENCY });
    } finally {
      await stopRedis();
      await dropDb();
    }
  }

  console.log(`\n## Summary (medians of ${flags.runs}; ratios within each run, then the median)\n`);
  if (embedded.size > 0) {
    console.log('| embedded default | records/s | decode-only records/s | ratio | CPU cores: service / client / others |');
    console.log('| --- | --- | --- | --- | --- |');
    for (const [kind, runs] of embedded) {
      const ws = runs.map((r) => r.window);
      console.log(
        `| ${LABELS[kind]} | **${fmt(medianOf(ws, (w) => w.ackedRate))}** | ${fmt(decodeMedian(kind)!)} | ${median(runs.map((r) => r.window.ackedRate / r.decodeRate)).toFixed(3)} | ${medianCores(ws)} |`,
      );
    }
    console.log();
  }
  if (production.size > 0) {
    console.log(
      '| production, 1 receiver + 1 worker | committed records/s | receiver acknowledged records/s | committed / decode-only | CPU µs/record: receiver / worker | CPU cores: receiver / worker / redis / client / others |',
    );
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const [kind, result] of production) {
      const committed = medianOf(result.windows, (w) => w.committedRate);
      const decode = decodeMedian(kind);
      console.log(
        `| ${LABELS[kind]} | **${fmt(committed)}** | ${fmt(medianOf(result.windows, (w) => w.ackedRate))} | ${decode ? (committed / decode).toFixed(3) : 'n/a'} | ` +
          `${cpuPerRecord(result.windows, 'receiver', (w) => w.ackedRate).toFixed(1)} / ${cpuPerRecord(result.windows, 'worker', (w) => w.committedRate).toFixed(1)} | ${medianCores(result.windows)} |`,
      );
    }
    console.log();
  }
  if (ceiling) {
    const rate = medianOf(ceiling.windows, (w) => w.ackedRate);
    const decode = decodeMedian(ceiling.kind);
    console.log(
      `transport ceiling (counting sink, ${LABELS[ceiling.kind]}): ${fmt(rate)} records/s${decode ? `, ${(rate / decode).toFixed(2)} of decode-only` : ''}; CPU cores: receiver / client / others ${medianCores(ceiling.windows)}`,
    );
  }
  console.log(`\ntook ${((Date.now() - started) / 1000).toFixed(0)} s; load average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

try {
  await main();
} finally {
  await stopAll();
}
