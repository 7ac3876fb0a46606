/** The parent's handle on the forked load client (scale-client.ts). */
import { forkClient } from './forked-client.js';
import type { ScaleClientCommand, ScaleClientReport } from './scale-client.js';

export interface LoadClient {
  readonly pid: number;
  start(opts: { concurrency: number; recordsPerSecond: number }): void;
  progress(): Promise<ScaleClientReport>;
  /** Stops sending and resolves once the exports in flight are settled. */
  stop(): Promise<ScaleClientReport>;
  close(): Promise<void>;
}

export async function startLoadClient(grpcPorts: number[]): Promise<LoadClient> {
  const client = await forkClient<ScaleClientCommand, ScaleClientReport>(new URL('./scale-client.js', import.meta.url), [grpcPorts.join(',')]);
  return {
    pid: client.pid,
    start: ({ concurrency, recordsPerSecond }) => client.send({ type: 'start', concurrency, recordsPerSecond }),
    progress: () => client.ask({ type: 'progress' }, 'progress'),
    stop: () => client.ask({ type: 'stop' }, 'stopped'),
    close: () => client.close(),
  };
}
