/**
 * Runs `anomalog serve` as a real child process (the built dist/src/cli.js) on
 * ports chosen by the OS, for tests and benchmarks that need separate receiver
 * and worker processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LOOPBACK_ANY_PORT } from '../../src/demo/loopback.js';

/** dist/src/cli.js, found from this file whether it runs from test/ (vitest) or dist/test/. */
export const CLI_PATH = fileURLToPath(
  new URL(import.meta.url.includes('/dist/') ? '../../src/cli.js' : '../../dist/src/cli.js', import.meta.url),
);

/** The node flags the executable's `#!/usr/bin/env -S node …` line gives, so a child runs as `anomalog` and `npm start` do. */
export function cliNodeFlags(): string[] {
  const shebang = readFileSync(CLI_PATH, 'utf8').split('\n', 1)[0]!;
  const words = shebang.split(/\s+/);
  return words.slice(words.indexOf('node') + 1);
}

export interface AnomalogProcess {
  readonly child: ChildProcess;
  readonly role: string;
  /** 0 for a worker. */
  readonly grpcPort: number;
  readonly httpPort: number;
  /** Everything the process wrote to stderr (its JSON logs). */
  logs(): string;
  /** SIGTERM, then wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: no shutdown, no acknowledgements. */
  kill(): Promise<void>;
  exited: Promise<number | null>;
}

export async function startAnomalog(opts: {
  role?: 'all' | 'receiver' | 'worker';
  env: Record<string, string>;
  /** Flags for node itself, e.g. --cpu-prof (not allowed in NODE_OPTIONS). */
  nodeArgs?: string[];
  startTimeoutMs?: number;
}): Promise<AnomalogProcess> {
  const role = opts.role ?? 'all';
  const child = spawn(process.execPath, [...cliNodeFlags(), ...(opts.nodeArgs ?? []), CLI_PATH, 'serve', '--role', role], {
    env: {
      PATH: process.env.PATH ?? '',
      ...LOOPBACK_ANY_PORT,
      ANOMALOG_LOG_LEVEL: 'info',
      ...opts.env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ports = await new Promise<{ grpcPort: number; httpPort: number }>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Don't leave a half-started process behind.
      child.kill('SIGKILL');
      reject(new Error(`anomalog ${role} did not start in time:\n${stderr}`));
    }, opts.startTimeoutMs ?? 30_000);
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      // The serve command's own start-up line.
      const worker = /anomalog worker running: .*:(\d+)\n/.exec(stderr);
      const listening = /OTLP\/gRPC [^ ]+:(\d+), OTLP\/HTTP [^ ]+:(\d+)\n/.exec(stderr);
      if (worker || listening) {
        clearTimeout(timer);
        resolve(worker ? { grpcPort: 0, httpPort: Number(worker[1]) } : { grpcPort: Number(listening![1]), httpPort: Number(listening![2]) });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`anomalog ${role} exited with ${code} during start-up:\n${stderr}`));
    });
  });
  return {
    child,
    role,
    ...ports,
    logs: () => stderr,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
