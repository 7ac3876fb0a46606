/**
 * bench:scale's load generator, a forked process playing the OTel Collector:
 * pre-encoded 1,000-record OTLP/gRPC exports spread over every receiver, a few
 * in flight, paced to a rate or flat out. A refused export (UNAVAILABLE while
 * the backlog is full or Redis is down) is retried as a collector would; only
 * acknowledged exports count. argv: comma-separated receiver gRPC ports.
 * Driven over IPC by ScaleClientCommand messages, answered by ScaleClientReport.
 */
import { Client, credentials } from '@grpc/grpc-js';
import { exportEncoded } from './grpc-export.js';
import { RECORDS_PER_REQUEST, buildBenchRequest, stampExport } from './ingest-request.js';

export type ScaleClientCommand =
  /** Start sending; `recordsPerSecond` 0 means as fast as acknowledgements allow. */
  | { type: 'start'; concurrency: number; recordsPerSecond: number }
  | { type: 'progress' }
  /** Stop sending new exports, finish those in flight (retries included), report. */
  | { type: 'stop' };

export interface ScaleClientReport {
  type: 'progress' | 'stopped';
  /** Records in acknowledged exports since the process started. */
  acked: number;
  /** Export attempts refused and retried. */
  retries: number;
  /** Date.now() of the last acknowledgement and of the last refusal (0: none yet). */
  lastAckAt: number;
  lastRefusalAt: number;
  lastError: string;
}

const RETRY_DELAY_MS = 250;
const POOL = 8;
// Fresh timestamps now and then, so a long soak does not replay ever older records.
const REBUILD_MS = 30_000;

const ports = (process.argv[2] ?? '').split(',').map(Number);
const clients = ports.map((port) => new Client(`127.0.0.1:${port}`, credentials.createInsecure(), { 'grpc.max_send_message_length': -1 }));

let seed = 0;
let sent = 0;
let requests: Buffer[] = [];
let builtAt = 0;
function nextRequest(): Buffer {
  if (Date.now() - builtAt > REBUILD_MS) {
    requests = Array.from({ length: POOL }, () => buildBenchRequest(seed++));
    builtAt = Date.now();
  }
  return stampExport(requests[sent % POOL]!, sent++);
}

const state = { acked: 0, retries: 0, lastAckAt: 0, lastRefusalAt: 0, lastError: '' };
let running = false;
let senders: Promise<void>[] = [];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One export until acknowledged, as a collector's retrying exporter would; gives up only when stopped. */
async function deliver(client: Client, body: Buffer): Promise<void> {
  for (;;) {
    try {
      await exportEncoded(client, body);
      state.acked += RECORDS_PER_REQUEST;
      state.lastAckAt = Date.now();
      return;
    } catch (error) {
      state.retries++;
      state.lastRefusalAt = Date.now();
      state.lastError = (error as Error).message;
      if (!running) return;
      await sleep(RETRY_DELAY_MS);
    }
  }
}

async function sender(index: number, concurrency: number, recordsPerSecond: number, startedAt: number): Promise<void> {
  // Each sender owns every concurrency-th slot of the shared schedule.
  const intervalMs = recordsPerSecond > 0 ? (1_000 * RECORDS_PER_REQUEST * concurrency) / recordsPerSecond : 0;
  for (let n = 0; running; n++) {
    if (intervalMs > 0) {
      const due = startedAt + (index * intervalMs) / concurrency + n * intervalMs;
      if (due > Date.now()) await sleep(due - Date.now());
      if (!running) return;
    }
    await deliver(clients[(index + n) % clients.length]!, nextRequest());
  }
}

function report(type: ScaleClientReport['type']): ScaleClientReport {
  return { type, ...state };
}

process.on('message', (message: ScaleClientCommand) => {
  switch (message.type) {
    case 'start': {
      running = true;
      const startedAt = Date.now();
      senders = Array.from({ length: message.concurrency }, (_v, i) => sender(i, message.concurrency, message.recordsPerSecond, startedAt));
      return;
    }
    case 'progress':
      process.send!(report('progress'));
      return;
    case 'stop':
      running = false;
      void Promise.all(senders).then(() => process.send!(report('stopped')));
      return;
  }
});

process.on('disconnect', () => {
  for (const client of clients) client.close();
  process.exit(0);
});
