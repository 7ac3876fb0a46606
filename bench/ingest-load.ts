/** The parent's handle on bench:ingest's forked load client (ingest-client.ts). */
import { fork } from 'node:child_process';
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
  const child = fork(new URL('./ingest-client.js', import.meta.url), [String(grpcPort)], { serialization: 'advanced' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const command = (c: IngestClientCommand): void => void child.send(c);
  command({ type: 'pool', requests: [...requests] });

  function ask(c: IngestClientCommand, answer: IngestClientReport['type']): Promise<IngestClientReport> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: IngestClientReport) => {
        if (m.type !== answer) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(m);
      };
      const onExit = (code: number | null) => {
        child.off('message', onMessage);
        reject(new Error(`load client exited with ${code}`));
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      command(c);
    });
  }

  return {
    pid: child.pid!,
    start: (concurrency) => command({ type: 'start', concurrency }),
    progress: () => ask({ type: 'progress' }, 'progress'),
    stop: () => ask({ type: 'stop' }, 'stopped'),
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.disconnect();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
