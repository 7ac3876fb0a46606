/**
 * bench:ingest's load generator, a forked process playing the OTel Collector:
 * keeps `concurrency` pre-encoded Export calls in flight over grpc-js until
 * told to stop. A refused export is retried as a collector's exporter would;
 * only acknowledged exports count. argv: the receiver's gRPC port. Driven over
 * IPC (advanced serialization: the pool arrives as bytes) by IngestClientCommand
 * messages, answered by IngestClientReport.
 */
import { Client, credentials } from '@grpc/grpc-js';
import { exportEncoded } from './grpc-export.js';
import { RECORDS_PER_REQUEST, stampExport } from './ingest-request.js';

export type IngestClientCommand =
  /** The encoded requests to send, in turn. */
  | { type: 'pool'; requests: Uint8Array[] }
  | { type: 'start'; concurrency: number }
  | { type: 'progress' }
  /** Stop sending new exports, settle those in flight, report. */
  | { type: 'stop' };

export interface IngestClientReport {
  type: 'progress' | 'stopped';
  /** Records in acknowledged exports since the process started. */
  acked: number;
  /** Export attempts refused (and retried). */
  refused: number;
  lastError: string;
}

const RETRY_DELAY_MS = 100;

const client = new Client(`127.0.0.1:${Number(process.argv[2])}`, credentials.createInsecure(), { 'grpc.max_send_message_length': -1 });
const state = { acked: 0, refused: 0, lastError: '' };
let pool: Buffer[] = [];
let running = false;
let sent = 0;
let senders: Promise<void>[] = [];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function sender(): Promise<void> {
  while (running) {
    const body = stampExport(pool[sent % pool.length]!, sent++);
    for (;;) {
      try {
        await exportEncoded(client, body);
        state.acked += RECORDS_PER_REQUEST;
        break;
      } catch (error) {
        state.refused++;
        state.lastError = (error as Error).message;
        if (!running) return;
        await sleep(RETRY_DELAY_MS);
      }
    }
  }
}

process.on('message', (message: IngestClientCommand) => {
  switch (message.type) {
    case 'pool':
      pool = message.requests.map((r) => Buffer.from(r.buffer, r.byteOffset, r.byteLength));
      return;
    case 'start':
      if (pool.length === 0) throw new Error('start before pool: the parent sends the requests first');
      running = true;
      senders = Array.from({ length: message.concurrency }, () => sender());
      return;
    case 'progress':
      process.send!({ type: 'progress', ...state } satisfies IngestClientReport);
      return;
    case 'stop':
      running = false;
      void Promise.all(senders).then(() => process.send!({ type: 'stopped', ...state } satisfies IngestClientReport));
      return;
  }
});

process.on('disconnect', () => {
  client.close();
  process.exit(0);
});
