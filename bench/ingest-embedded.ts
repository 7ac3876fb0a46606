/**
 * The embedded default as a user starts it (`anomalog serve`, what `npm start`
 * runs; no REDIS_URL or DATABASE_URL; a fresh data directory; learning period
 * off) under the load client. An export is acknowledged once detected and
 * committed, so acknowledged records/s is the full pipeline's rate. Between
 * windows the client pauses and this process measures decode-only on the same
 * bytes, so each run has its own ratio.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAnomalog } from '../test/helpers/anomalog-process.js';
import { decodeOnlyRate } from './ingest-decode.js';
import { startIngestLoad } from './ingest-load.js';
import { measureWindow, type WindowResult } from './ingest-window.js';
import { track } from './scale-cleanup.js';
import { sleep } from './scale-report.js';

export interface EmbeddedRun {
  window: WindowResult;
  decodeRate: number;
}

export interface EmbeddedPlan {
  requests: readonly Buffer[];
  runs: number;
  seconds: number;
  decodeSeconds: number;
  warmupSeconds: number;
  concurrency: number;
  /** Flags for the service's node, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** Settings on top of the defaults, e.g. ANOMALOG_DETECTION_THREADS. */
  env?: Record<string, string>;
}

/** After the client resumes: let the exports in flight reach the steady state before the window opens. */
const SETTLE_MS = 1_000;

export async function measureEmbedded(plan: EmbeddedPlan): Promise<EmbeddedRun[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'anomalog-bench-ingest-'));
  const service = await startAnomalog({
    env: { ANOMALOG_DATA_DIR: dataDir, ANOMALOG_LEARNING_PERIOD: '0', ANOMALOG_LOG_LEVEL: 'warn', ...plan.env },
    nodeArgs: plan.nodeArgs,
    startTimeoutMs: 60_000,
  });
  const stopService = track(async () => {
    const code = await service.stop();
    await rm(dataDir, { recursive: true, force: true });
    if (code !== 0) throw new Error(`anomalog serve exited with ${code}:\n${service.logs().slice(-2_000)}`);
  });
  try {
    const load = await startIngestLoad(service.grpcPort, plan.requests);
    const stopLoad = track(() => load.close());
    try {
      const probes = { load, processes: { service: [service.child.pid!], client: [load.pid] } };
      load.start(plan.concurrency);
      await sleep(plan.warmupSeconds * 1_000);
      const runs: EmbeddedRun[] = [];
      for (let run = 0; run < plan.runs; run++) {
        if (run > 0) {
          load.start(plan.concurrency);
          await sleep(SETTLE_MS);
        }
        const window = await measureWindow(probes, plan.seconds);
        await load.stop();
        runs.push({ window, decodeRate: decodeOnlyRate(plan.requests, plan.decodeSeconds) });
      }
      return runs;
    } finally {
      await stopLoad();
    }
  } finally {
    await stopService();
  }
}
