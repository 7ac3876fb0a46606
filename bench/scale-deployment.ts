/**
 * One deployment for a bench section: 2 receivers, N workers and the load
 * client, all stopped when the section ends (or the bench is interrupted),
 * and the CPU each tier used.
 */
import { track } from './scale-cleanup.js';
import { startLoadClient, type LoadClient } from './scale-load.js';
import { machineBusySeconds, sampleProcess } from './scale-procfs.js';
import type { BenchRedis } from './scale-redis.js';
import { startStack, type Stack } from './scale-stack.js';

export interface Deployment {
  stack: Stack;
  client: LoadClient;
  redis: BenchRedis;
}

export async function withDeployment<T>(
  opts: { redis: BenchRedis; databaseUrl: string; workers: number; env?: Record<string, string> },
  body: (d: Deployment) => Promise<T>,
): Promise<T> {
  const stack = await startStack({ redisUrl: opts.redis.url, databaseUrl: opts.databaseUrl, receivers: 2, workers: opts.workers, env: opts.env ?? {} });
  const stopStack = track(() => stack.stop());
  try {
    const client = await startLoadClient(stack.receivers.map((r) => r.grpcPort));
    const stopClient = track(() => client.close());
    try {
      return await body({ stack, client, redis: opts.redis });
    } finally {
      await stopClient();
    }
  } finally {
    await stopStack();
  }
}

export interface CpuSample {
  /** CPU seconds by tier. */
  receivers: number;
  workers: number;
  redis: number;
  client: number;
  /** Every process of this bench, itself included. */
  ours: number;
  machine: number;
  at: number;
}

export async function sampleCpu(d: Deployment): Promise<CpuSample> {
  const sum = async (pids: number[]) => (await Promise.all(pids.map((pid) => sampleProcess(pid)))).reduce((s, p) => s + p.cpuSeconds, 0);
  const [receivers, workers, redis, client, self, machine] = await Promise.all([
    sum(d.stack.receivers.map((p) => p.child.pid!)),
    sum(d.stack.workers.map((p) => p.child.pid!)),
    sum([d.redis.pid()]),
    sum([d.client.pid]),
    sum([process.pid]),
    machineBusySeconds(),
  ]);
  return { receivers, workers, redis, client, ours: receivers + workers + redis + client + self, machine, at: Date.now() };
}
