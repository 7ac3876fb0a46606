/**
 * npm run bench:novelty — new-pattern detection on BGL_2k, whose `Label` column
 * marks alert lines by category (`-` is normal). The log is streamed in order as
 * one service, one record per export, with each record's own level and time; the
 * first 10% of lines are taught with learn(). For every alert category whose
 * first line comes after learning: was a new-pattern anomaly raised on that very
 * line (recall)? Of all new-pattern anomalies, how many were on alert lines
 * (precision)? Default configuration, no BGL-specific rules.
 *
 * npm run bench:novelty -- --data heldout|loghub (or --dir PATH) [--verbose] —
 * issue 10's protocol, per system of that folder, each one service: the first half
 * of its Content lines is taught as `anomalog learn` does (level info, batches of
 * 1,000); the second half is processed one record at a time at ERROR. A template
 * (ground-truth EventId) is new when its first line is in the second half. An alarm
 * is true when it is the first new_pattern anomaly for a new template; every other
 * alarm is false. Precision = true alarms / alarms; recall = new templates alarmed /
 * new templates. Default configuration.
 *
 * Add --otlp for the same protocol through the product (novelty-otlp.ts): the
 * first half taught with `anomalog learn`, the second half streamed over
 * OTLP/gRPC to `anomalog serve`, each system in a fresh data directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { createLocalEmbedder } from '../src/embeddings/local-embedder.js';
import type { Level, LogEntry } from '../src/log-entry.js';
import { createDetector } from '../src/pipeline/detector.js';
import { createMemoryPatternStore } from '../src/store/memory-pattern-store.js';
import { chooseData, loadLoghubSystem } from './loghub.js';
import { halfOf, reportHalves, scoreHalves, type SystemNovelty } from './novelty-halves.js';

const LEARN_SHARE = 0.1;

/** Severity words as syslog-style sources spell them, onto our levels. */
const LEVEL_WORDS: Record<string, Level> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  NOTICE: 'info',
  WARN: 'warn',
  WARNING: 'warn',
  ERROR: 'error',
  ERR: 'error',
  SEVERE: 'error',
  CRITICAL: 'fatal',
  FATAL: 'fatal',
  FAILURE: 'fatal',
};

function levelOf(word: string): Level {
  const level = LEVEL_WORDS[word.toUpperCase()];
  if (!level) throw new Error(`unknown level word ${word}`);
  return level;
}

async function bglNovelty(): Promise<void> {
  const { lines } = loadLoghubSystem('BGL');
  const config = loadConfig({}).detection;
  const logger = pino({ level: 'silent' });
  const dir = await mkdtemp(join(tmpdir(), 'anomalog-novelty-'));
  const store = await createMemoryPatternStore({ dataDir: dir, snapshotIntervalSeconds: 86_400, logger });
  let clock = 0;
  const detector = createDetector({ config, limits: loadConfig({}).limits, store, embedder: createLocalEmbedder(), now: () => clock, logger });

  const entries: LogEntry[] = lines.map((line) => ({
    time: Number(line.fields.Timestamp) * 1000,
    service: 'bgl',
    level: levelOf(line.fields.Level ?? ''),
    message: line.content,
    traceId: '',
    spanId: '',
    attributes: {},
    resource: {},
    scope: '',
  }));
  const learnCount = Math.round(lines.length * LEARN_SHARE);
  clock = entries[learnCount - 1]!.time;
  await detector.learn(entries.slice(0, learnCount));

  const newPatternLines = new Set<number>();
  let spikes = 0;
  for (let i = learnCount; i < entries.length; i++) {
    clock = Math.max(clock, entries[i]!.time);
    for (const anomaly of await detector.process([entries[i]!])) {
      if (anomaly.kind === 'new_pattern') newPatternLines.add(i);
      else spikes += 1;
    }
  }

  const firstLine = new Map<string, number>();
  lines.forEach((line, i) => {
    const label = line.fields.Label ?? '-';
    if (label !== '-' && !firstLine.has(label)) firstLine.set(label, i);
  });
  const judged = [...firstLine].filter(([, i]) => i >= learnCount);
  const caught = judged.filter(([, i]) => newPatternLines.has(i));
  const onAlerts = [...newPatternLines].filter((i) => (lines[i]!.fields.Label ?? '-') !== '-');
  const recall = caught.length / judged.length;
  const precision = newPatternLines.size === 0 ? 0 : onAlerts.length / newPatternLines.size;

  console.log(`BGL_2k: ${lines.length} lines, first ${learnCount} learned; ${(await store.list()).length} patterns at the end`);
  console.log(
    `recall ${recall.toFixed(3)} (${caught.length}/${judged.length} alert categories caught at their first line; ` +
      `${firstLine.size - judged.length} began during learning)`,
  );
  console.log(`precision ${precision.toFixed(3)} (${onAlerts.length}/${newPatternLines.size} new-pattern anomalies on alert lines)`);
  const missed = judged.filter(([, i]) => !newPatternLines.has(i));
  if (missed.length > 0) console.log(`missed: ${missed.map(([label, i]) => `${label} (line ${i + 1}: ${lines[i]!.content.slice(0, 80)})`).join('; ')}`);
  const falseAlarms = [...newPatternLines].filter((i) => (lines[i]!.fields.Label ?? '-') === '-');
  for (const i of falseAlarms) console.log(`  anomaly on a normal line ${i + 1} [${lines[i]!.fields.Level}]: ${lines[i]!.content.slice(0, 100)}`);
  console.log(`frequency spikes: ${spikes}`);
  await store.close();
  await rm(dir, { recursive: true, force: true });
}

/** Issue 10's protocol on one system, in process: teach the first half with learn(), process the second half at ERROR. */
async function halfNovelty(name: string, dir: string): Promise<SystemNovelty> {
  const { lines } = loadLoghubSystem(name, dir);
  const half = halfOf(lines);
  const config = loadConfig({});
  const logger = pino({ level: 'silent' });
  const dataDir = await mkdtemp(join(tmpdir(), 'anomalog-novelty-'));
  const store = await createMemoryPatternStore({ dataDir, snapshotIntervalSeconds: 86_400, logger });
  const start = Date.UTC(2024, 0, 1);
  let clock = start;
  const detector = createDetector({ config: config.detection, limits: config.limits, store, embedder: createLocalEmbedder(), now: () => clock, logger });
  const entry = (message: string, level: Level, time: number): LogEntry => ({ time, service: name.toLowerCase(), level, message, traceId: '', spanId: '', attributes: {}, resource: {}, scope: '' });

  const taught = lines.slice(0, half).map((l) => entry(l.content, 'info', start));
  for (let i = 0; i < taught.length; i += 1000) await detector.learn(taught.slice(i, i + 1000));

  const alarmLines: number[] = [];
  for (let i = half; i < lines.length; i++) {
    clock = start + (i - half + 1) * 1000;
    for (const anomaly of await detector.process([entry(lines[i]!.content, 'error', clock)])) {
      if (anomaly.kind === 'new_pattern') alarmLines.push(i);
    }
  }
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
  return scoreHalves(name, lines, half, alarmLines);
}

const argv = process.argv.slice(2);
if (argv.some((a) => a === '--data' || a === '--dir' || a.startsWith('--data=') || a.startsWith('--dir='))) {
  const data = chooseData(argv);
  // The end-to-end run's imports (child processes, the OTel SDK) load only when asked for.
  if (data.rest.includes('--otlp')) await (await import('./novelty-otlp.js')).otlpHalvesNovelty(data);
  else await reportHalves(data, 'first half taught, second half at ERROR, one record per call', halfNovelty);
} else {
  await bglNovelty();
}
