/** The parent's handle on the forked load client (scale-client.ts). */
import { fork, type ChildProcess } from 'node:child_process';
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
  const child: ChildProcess = fork(new URL('./scale-client.js', import.meta.url), [grpcPorts.join(',')]);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });

  function ask(command: ScaleClientCommand, answer: ScaleClientReport['type']): Promise<ScaleClientReport> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: ScaleClientReport) => {
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
      child.send(command);
    });
  }

  return {
    pid: child.pid!,
    start: ({ concurrency, recordsPerSecond }) => void child.send({ type: 'start', concurrency, recordsPerSecond } satisfies ScaleClientCommand),
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
