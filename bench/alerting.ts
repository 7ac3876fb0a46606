/**
 * npm run bench:alerting [-- --quiet-minutes 10 --learning 30 --rate 40 --incident-window 60s]
 *
 * The whole service at default settings (but a shorter learning period), fed by
 * the OTel JS SDK over OTLP/gRPC, Slack played by a local HTTP server:
 * 1. false alerts: anomalies and Slack messages during --quiet-minutes of normal
 *    multi-service traffic after learning (target 0);
 * 2. latency: 20 novel errors, each timed from the export call to the Slack
 *    request that reports it; p50 and p99 (target p99 < 2 s). Each opens an
 *    incident of its own: a trial waits until its service's last incident window
 *    has closed (with the default 60 s window this phase takes about 5 minutes);
 * 3. storm: 30 new errors in one service within seconds: time to its first Slack
 *    message (target < 5 s), Slack messages in all (target <= 3) and anomalies
 *    stored (target 30).
 * With REDIS_URL and DATABASE_URL set it runs on them, else on the embedded default.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { NOVEL_ERRORS, createTrafficDriver } from '../src/demo/traffic.js';
import type { Anomaly } from '../src/anomaly.js';
import { startService } from '../src/service/start-service.js';
import { STORM_ERRORS } from '../test/helpers/error-storm.js';
import { startSlackServer } from '../test/helpers/slack-server.js';
import { LOOPBACK_ANY_PORT } from '../src/demo/loopback.js';

const { values } = parseArgs({
  options: {
    'quiet-minutes': { type: 'string', default: '10' },
    learning: { type: 'string', default: '30' },
    rate: { type: 'string', default: '40' },
    // Unset: the service's own default (ANOMALOG_INCIDENT_WINDOW, 60s).
    'incident-window': { type: 'string' },
  },
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
  ...(values['incident-window'] ? { ANOMALOG_INCIDENT_WINDOW: values['incident-window'] } : {}),
});
const windowMs = config.alerts.incidentWindowMs;
const anomalies: Anomaly[] = [];
const service = await startService({ config, logger: pino({ level: 'error' }), onAnomalies: (a) => anomalies.push(...a) });
const traffic = createTrafficDriver({ grpcPort: service.grpcPort, suffix });
const mode = config.redisUrl ? 'redis + postgres' : 'embedded (memory + PGlite)';
console.log(`mode: ${mode}; learning ${learningSeconds}s at ${rate} records/s per service (4 services); incident window ${windowMs / 1000}s`);

const aboutService = (name: string) => (r: { body: unknown }) => JSON.stringify(r.body).includes(`${name}${suffix}`);
/** When this service's last incident surely closed: its latest Slack message plus the window (a follow-up comes later still). */
function quietSince(name: string): number {
  const last = slackArrivals.filter(aboutService(name)).at(-1);
  return last ? last.at + windowMs + 1_000 : 0;
}
/** Normal traffic until the service has no incident open, so that its next alert opens one and goes out at once. */
async function awaitNoIncident(name: string): Promise<void> {
  const wait = quietSince(name) - Date.now();
  if (wait > 0) await traffic.normal(wait / 1000, rate);
}

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
  await awaitNoIncident(serviceName);
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

// The storm: 30 unrelated new errors in one service within a few seconds, amid normal traffic.
const stormService = 'checkout';
await awaitNoIncident(stormService);
const stormFrom = slackArrivals.length;
const stormStart = Date.now();
for (const [i, error] of STORM_ERRORS.entries()) {
  traffic.emit(stormService, 'error', error());
  if (i % 3 === 2) await traffic.normal(0.3, rate);
}
await traffic.flush();
const stormSeconds = (Date.now() - stormStart) / 1000;
const stormMessages = () => slackArrivals.slice(stormFrom).filter(aboutService(stormService));
// Everything the storm will send is out once its incident window has closed (and the outbox has polled).
const settleUntil = stormStart + windowMs + 10_000;
while (Date.now() < settleUntil && stormMessages().length < 2) await traffic.normal(0.5, rate);
await traffic.normal(2, rate);
const messages = stormMessages();
const anomaliesUrl = `http://127.0.0.1:${service.httpPort}/api/anomalies?service=${encodeURIComponent(stormService + suffix)}&since=${stormStart - 1_000}&limit=1000`;
const stored = ((await (await fetch(anomaliesUrl)).json()) as { anomalies: Array<{ kind: string; incidentId: string | null }> }).anomalies;
const newPatterns = stored.filter((a) => a.kind === 'new_pattern');
const incidents = new Set(newPatterns.map((a) => a.incidentId));
const firstAt = messages[0] ? `${messages[0].at - stormStart} ms` : 'never';
// With no incident window every alert goes out on its own: the second message is no follow-up.
const followupAt = windowMs > 0 && messages[1] ? `${((messages[1].at - stormStart) / 1000).toFixed(1)} s` : 'none';
console.log(
  `storm of ${STORM_ERRORS.length} new errors in ${stormService} within ${stormSeconds.toFixed(1)} s: first Slack message after ${firstAt}, ` +
    `${messages.length} Slack messages in all (follow-up after ${followupAt}), ${newPatterns.length} new-pattern anomalies stored ` +
    `(${stored.length} anomalies) in ${incidents.size} incident${incidents.size === 1 ? '' : 's'}`,
);
for (const m of messages) console.log(`  slack: ${(m.body.blocks[0] as { text: { text: string } }).text.text}`);

await traffic.shutdown();
await service.stop();
await slack.close();
await rm(dataDir, { recursive: true, force: true });
