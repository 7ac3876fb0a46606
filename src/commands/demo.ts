/**
 * `anomalog demo`: starts the service on the embedded default (temporary data
 * directory, short learning period and spike window) with a local stand-in for
 * Slack, then drives four services through the OpenTelemetry JS SDK over
 * OTLP/gRPC: learning, quiet traffic, a novel payment-gateway error, a spike.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import type { Anomaly } from '../anomaly.js';
import { startService } from '../service/start-service.js';
import { NORMAL, NOVEL_ERROR, SPIKE, createTrafficDriver } from '../demo/traffic.js';
import { terminalText } from '../text/terminal-text.js';
import type { CommandIo } from './command-io.js';
import { LOOPBACK_ANY_PORT } from '../demo/loopback.js';

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

async function startSlackStandIn(onMessage: (text: string) => void): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      try {
        const { text } = JSON.parse(body) as { text?: unknown };
        onMessage(typeof text === 'string' ? text : body);
      } catch {
        onMessage(body);
      }
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('Slack stand-in did not bind a TCP port');
  return { server, url: `http://127.0.0.1:${address.port}/services/demo` };
}

export async function runDemo(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { 'keep-data': { type: 'boolean' } }, strict: true });
  const started = Date.now();
  // What is said includes log text (anomaly reasons, alert texts): escaped for the terminal.
  const say = (text: string) => io.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${terminalText(text)}\n`);
  const dataDir = await mkdtemp(join(tmpdir(), 'anomalog-demo-'));
  const slack = await startSlackStandIn((text) => say(`  → Slack: ${text.split('\n')[0]}`));

  const learningSeconds = 8;
  const config = loadConfig({
    ...LOOPBACK_ANY_PORT,
    ANOMALOG_DATA_DIR: dataDir,
    ANOMALOG_LOG_LEVEL: 'error',
    ANOMALOG_LEARNING_PERIOD: String(learningSeconds),
    ANOMALOG_SPIKE_WINDOW: '2',
    SLACK_WEBHOOK_URL: slack.url,
  });
  say('starting anomalog on the embedded default (PGlite + in-memory patterns, local embedder)…');
  const detected: Anomaly[] = [];
  const service = await startService({
    config,
    logger: createLogger(config.logLevel),
    onAnomalies: (anomalies) => {
      for (const a of anomalies) {
        detected.push(a);
        say(`ANOMALY ${a.kind} in ${a.service} (${a.level}, score ${a.score.toFixed(2)}): ${a.reason}`);
      }
    },
  });
  say(`listening: OTLP/gRPC 127.0.0.1:${service.grpcPort}, OTLP/HTTP 127.0.0.1:${service.httpPort}`);

  const traffic = createTrafficDriver({ grpcPort: service.grpcPort });

  try {
    say(`phase 1: learning — ${Object.keys(NORMAL).length} services send normal traffic for ${learningSeconds}s`);
    await traffic.normal(learningSeconds + 1, 40);
    say('phase 2: quiet traffic after learning — nothing should be reported');
    const beforeQuiet = detected.length;
    await traffic.normal(6, 40);
    say(detected.length === beforeQuiet ? 'quiet phase over: no anomalies, as expected' : `quiet phase over: ${detected.length - beforeQuiet} anomalies`);

    say('phase 3: payment-gateway starts failing with an error it has never logged');
    const novelFrom = detected.length;
    for (let i = 0; i < 3; i++) {
      traffic.emit('payment-gateway', 'error', NOVEL_ERROR());
      await traffic.normal(1, 40);
    }
    await waitFor(() => detected.slice(novelFrom).some((a) => a.kind === 'new_pattern'), 5_000);

    say('phase 4: inventory stock lookups spike to 30x their normal rate');
    const spikeFrom = detected.length;
    const spikeUntil = Date.now() + 4_000;
    while (Date.now() < spikeUntil && !detected.slice(spikeFrom).some((a) => a.kind === 'frequency_spike')) {
      for (let i = 0; i < 60; i++) traffic.emit('inventory', 'info', SPIKE());
      await traffic.normal(0.1, 40);
    }
    await waitFor(() => detected.slice(spikeFrom).some((a) => a.kind === 'frequency_spike'), 5_000);
    await traffic.flush();
    await sleep(1_500); // let the Slack outbox deliver
  } finally {
    await traffic.shutdown();
    await service.stop();
    slack.server.close();
    if (!values['keep-data']) await rm(dataDir, { recursive: true, force: true });
  }

  const novel = detected.filter((a) => a.kind === 'new_pattern').length;
  const spikes = detected.filter((a) => a.kind === 'frequency_spike').length;
  say(`done: ${novel} new-pattern and ${spikes} spike anomalies. Point your collector at anomalog next (README.md).`);
  return novel > 0 && spikes > 0 ? 0 : 1;
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await sleep(100);
}
