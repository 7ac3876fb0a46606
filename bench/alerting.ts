/**
 * npm run bench:alerting [-- --quiet-minutes 10 --learning 30]
 *
 * The whole service at default settings (but a shorter learning period), fed by
 * the OTel JS SDK over OTLP/gRPC, Slack played by a local HTTP server:
 * 1. false alerts: anomalies and Slack messages during --quiet-minutes of normal
 *    multi-service traffic after learning (target 0);
 * 2. latency: 20 novel errors, each timed from the export call to the Slack
 *    request that reports it; p50 and p99 (target p99 < 2 s).
 * With REDIS_URL and DATABASE_URL set it runs on them, else on the embedded default.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { NOVEL_ERRORS, createTrafficDriver } from '../src/demo/traffic.js';
import type { Anomaly } from '../src/pipeline/anomaly.js';
import { startService } from '../src/service/start-service.js';
import { startSlackServer } from '../test/helpers/slack-server.js';
import { LOOPBACK_ANY_PORT } from '../src/demo/loopback.js';

const { values } = parseArgs({
  options: { 'quiet-minutes': { type: 'string', default: '10' }, learning: { type: 'string', default: '30' }, rate: { type: 'string', default: '40' } },
});
const quietMinutes = Number(values['quiet-minutes']);
const learningSeconds = Number(values.learning);
const rate = Number(values.rate);

const slack = await startSlackServer();
const slackArrivals = slack.requests;
const slackUrl = slack.url;

const dataDir = await mkdtemp(join(tmpdir(), 'anomalog-bench-'));
const suffix = `-${Date.now().toString(36)}`;
const config = loadConfig({
  ...process.env,
  ...LOOPBACK_ANY_PORT,
  ANOMALOG_DATA_DIR: dataDir,
  ANOMALOG_LOG_LEVEL: 'error',
  ANOMALOG_LEARNING_PERIOD: String(learningSeconds),
  SLACK_WEBHOOK_URL: slackUrl,
});
const anomalies: Anomaly[] = [];
const service = await startService({ config, logger: pino({ level: 'error' }), onAnomalies: (a) => anomalies.push(...a) });
const traffic = createTrafficDriver({ grpcPort: service.grpcPort, suffix });
const mode = config.redisUrl ? 'redis + postgres' : 'embedded (memory + PGlite)';
console.log(`mode: ${mode}; learning ${learningSeconds}s at ${rate} records/s per service (4 services)`);

await traffic.normal(learningSeconds + 2, rate);
await traffic.flush();
const learnedAnomalies = anomalies.length;
const quietStart = Date.now();
const slackBefore = slackArrivals.length;
await traffic.normal(quietMinutes * 60, rate);
await traffic.flush();
await new Promise((resolve) => setTimeout(resolve, 2_000));
const falseAnomalies = anomalies.slice(learnedAnomalies);
const falseAlerts = slackArrivals.length - slackBefore;
console.log(
  `false alarms in ${quietMinutes} min of normal traffic after learning: ${falseAnomalies.length} anomalies, ${falseAlerts} Slack alerts` +
    ` (${Math.round((Date.now() - quietStart) / 1000)} s)`,
);
for (const a of falseAnomalies.slice(0, 10)) console.log(`  false: ${a.kind} ${a.service} ${a.reason}`);

const latencies: number[] = [];
for (const [serviceName, message] of NOVEL_ERRORS) {
  const text = message();
  const marker = text.slice(0, 30);
  const from = slackArrivals.length;
  traffic.emit(serviceName, 'error', text);
  const sentAt = Date.now();
  await traffic.flush();
  const deadline = sentAt + 10_000;
  let arrival: { at: number } | undefined;
  while (!arrival && Date.now() < deadline) {
    arrival = slackArrivals.slice(from).find((r) => JSON.stringify(r.body).includes(marker));
    if (!arrival) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  latencies.push(arrival ? arrival.at - sentAt : Number.POSITIVE_INFINITY);
  await traffic.normal(0.5, rate);
}
const sorted = [...latencies].sort((a, b) => a - b);
const quantile = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
const missed = latencies.filter((l) => !Number.isFinite(l)).length;
console.log(`novel error → Slack request over ${latencies.length} trials: p50 ${quantile(0.5)} ms, p99 ${quantile(0.99)} ms, max ${sorted.at(-1)} ms, missed ${missed}`);

await traffic.shutdown();
await service.stop();
await slack.close();
await rm(dataDir, { recursive: true, force: true });
