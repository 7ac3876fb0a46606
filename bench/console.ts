/**
 * npm run bench:console [-- --anomalies 10000 --runs 3]
 *
 * Console page load with many anomalies stored (target < 1 s with 10,000):
 * the anomalies are written through the anomaly repo into the embedded
 * default's PGlite, the service is started on that data directory, and
 * Debian's Chromium loads the page in a fresh tab per run. Timed from the
 * navigation's start to the first rendered anomaly list (the page's
 * `anomalog:anomalies-shown` mark), and also as the wall time from goto() to
 * the first row; the median of the runs is the figure.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { LOOPBACK_ANY_PORT } from '../src/demo/loopback.js';
import { LEVELS } from '../src/log-entry.js';
import type { Anomaly, AnomalyKind } from '../src/anomaly.js';
import { openMigratedDatabase } from '../src/service/open-stores.js';
import { startService } from '../src/service/start-service.js';
import { createAnomalyRepo } from '../src/store/anomaly-repo.js';
import { launchChromium } from '../test/helpers/browser.js';
import { median } from './scale-report.js';

const { values } = parseArgs({ options: { anomalies: { type: 'string', default: '10000' }, runs: { type: 'string', default: '3' } } });
const total = Number(values.anomalies);
const runs = Number(values.runs);
const TARGET_MS = 1000;
const KINDS: AnomalyKind[] = ['new_pattern', 'new_pattern', 'new_pattern', 'frequency_spike'];

/** A stored anomaly about as large as real ones: a long-ish message, three samples, a few attributes. */
function anomaly(i: number, now: number): Anomaly {
  const service = `service-${i % 40}`;
  const message = `Request ${i} to upstream inventory-${i % 7} failed after ${100 + (i % 900)} ms: connection reset by peer (attempt ${i % 5} of 5)`;
  return {
    id: `bench-${i}`,
    kind: KINDS[i % KINDS.length]!,
    service,
    level: LEVELS[3 + (i % 3)]!,
    patternId: `pattern-${i % 500}`,
    template: 'Request <NUM> to upstream <*> failed after <DURATION>: connection reset by peer (attempt <NUM> of <NUM>)',
    message,
    samples: [message, message.replace('reset', 'refused'), message.replace('peer', 'proxy')],
    score: (i % 100) / 100,
    reason: `A new ERROR pattern appeared in ${service}.`,
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    // Spread over the last 20 hours: all inside the page's default range (24 h).
    timestamp: now - i * 7_000,
    detectedAt: now - i * 7_000,
    count: 1 + (i % 30),
    attributes: { 'http.route': '/api/orders/{id}', 'http.status_code': 502, 'net.peer.name': `inventory-${i % 7}` },
    resource: { 'service.name': service, 'deployment.environment': 'prod' },
  };
}

const logger = pino({ level: 'error' });
const dataDir = await mkdtemp(join(tmpdir(), 'anomalog-bench-console-'));
const config = loadConfig({ ...LOOPBACK_ANY_PORT, ANOMALOG_DATA_DIR: dataDir, ANOMALOG_LOG_LEVEL: 'error' });

const db = await openMigratedDatabase(config, logger);
const now = Date.now();
const started = Date.now();
await createAnomalyRepo(db).insert(Array.from({ length: total }, (_v, i) => anomaly(i, now)));
await db.close();
console.log(`stored ${total.toLocaleString('en-US')} anomalies in PGlite in ${((Date.now() - started) / 1000).toFixed(1)} s`);

const service = await startService({ config, logger });
const url = `http://127.0.0.1:${service.httpPort}`;
const browser = await launchChromium();
const results: Array<{ mark: number; wall: number; rows: number }> = [];
try {
  const check = (await (await fetch(`${url}/api/anomalies?limit=1000`)).json()) as { anomalies: unknown[]; next: unknown };
  if (check.anomalies.length !== Math.min(1000, total)) throw new Error(`the API answered ${check.anomalies.length} anomalies`);
  for (let run = 1; run <= runs; run++) {
    const page = await browser.context.newPage();
    const before = Date.now();
    await page.goto(url);
    await page.locator('table.anomalies tbody tr[data-id]').first().waitFor({ timeout: 30_000 });
    const wall = Date.now() - before;
    const mark = await page.evaluate(() => performance.getEntriesByName('anomalog:anomalies-shown')[0]?.startTime ?? NaN);
    const rows = await page.locator('table.anomalies tbody tr[data-id]').count();
    results.push({ mark, wall, rows });
    console.log(`run ${run}: first anomaly list rendered ${mark.toFixed(0)} ms after navigation start (${wall} ms from goto to first row), ${rows} rows`);
    await page.close();
  }
} finally {
  await browser.close();
  await service.stop();
  await rm(dataDir, { recursive: true, force: true });
}

const figure = median(results.map((r) => r.mark));
console.log(`median of ${runs}: ${figure.toFixed(0)} ms to the first rendered list (wall ${median(results.map((r) => r.wall))} ms); target < ${TARGET_MS} ms: ${figure < TARGET_MS ? 'met' : 'NOT met'}`);
