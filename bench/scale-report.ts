/** Small helpers shared by the bench:scale sections: numbers, waiting, the loss check. */
import type { Redis } from 'ioredis';
import { backlogRecords, committedRecords } from './scale-stack.js';

export function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
export const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until every acknowledged record is committed and the queue is empty
 * (every stream entry acknowledged by a worker), and says whether any record was
 * lost (never committed) or counted twice. `acked` is the client's final count.
 */
export async function lossCheck(redis: Redis, acked: number, timeoutMs = 180_000): Promise<{ ok: boolean; text: string }> {
  const until = Date.now() + timeoutMs;
  let committed = await committedRecords(redis);
  let backlog = await backlogRecords(redis);
  while ((committed < acked || backlog > 0) && Date.now() < until) {
    await sleep(250);
    [committed, backlog] = await Promise.all([committedRecords(redis), backlogRecords(redis)]);
  }
  if (backlog > 0) return { ok: false, text: `queue not drained: ${fmt(backlog)} records still unacknowledged by workers, ${fmt(committed)} of ${fmt(acked)} committed` };
  if (committed === acked) return { ok: true, text: `zero loss (${fmt(acked)} acknowledged = committed, queue empty)` };
  if (committed > acked) return { ok: false, text: `no loss, but ${fmt(committed - acked)} records committed beyond the ${fmt(acked)} acknowledged` };
  return { ok: false, text: `LOSS: ${fmt(acked - committed)} of ${fmt(acked)} acknowledged records not committed after ${timeoutMs / 1000} s` };
}
