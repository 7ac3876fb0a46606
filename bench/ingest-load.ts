/** The parent's handle on bench:ingest's forked load client (ingest-client.ts). */
import { forkClient } from './forked-client.js';
import type { IngestClientCommand, IngestClientReport } from './ingest-client.js';

export interface IngestLoad {
  readonly pid: number;
  /** Flat out: `concurrency` exports in flight until stop(). */
  start(concurrency: number): void;
  progress(): Promise<IngestClientReport>;
  /** Stops sending; resolves once the exports in flight are settled. */
  stop(): Promise<IngestClientReport>;
  close(): Promise<void>;
}

export async function startIngestLoad(grpcPort: number, requests: readonly Buffer[]): Promise<IngestLoad> {
  // Advanced serialization: the pool crosses IPC as bytes.
  const client = await forkClient<IngestClientCommand, IngestClientReport>(new URL('./ingest-client.js', import.meta.url), [String(grpcPort)], { serialization: 'advanced' });
  client.send({ type: 'pool', requests: [...requests] });
  return {
    pid: client.pid,
    start: (concurrency) => client.send({ type: 'start', concurrency }),
    progress: () => client.ask({ type: 'progress' }, 'progress'),
    stop: () => client.ask({ type: 'stop' }, 'stopped'),
    close: () => client.close(),
  };
}
