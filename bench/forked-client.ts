/**
 * The parent's side of a forked load client (scale-client.ts, ingest-client.ts):
 * commands sent over IPC, a report awaited by its type, and a close that
 * disconnects and kills the child if it does not leave.
 */
import { fork, type ForkOptions } from 'node:child_process';

export interface ForkedClient<Command, Report extends { type: string }> {
  readonly pid: number;
  send(command: Command): void;
  /** Sends `command` and resolves with the first report of type `answer`; rejects if the child exits first. */
  ask(command: Command, answer: Report['type']): Promise<Report>;
  close(): Promise<void>;
}

export async function forkClient<Command, Report extends { type: string }>(module: URL, args: string[], options: ForkOptions = {}): Promise<ForkedClient<Command, Report>> {
  const child = fork(module, args, options);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const send = (command: Command): void => void child.send(command as object);

  return {
    pid: child.pid!,
    send,
    ask(command, answer) {
      return new Promise((resolve, reject) => {
        const onMessage = (m: Report) => {
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
        send(command);
      });
    },
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
