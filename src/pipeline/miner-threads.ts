/**
 * The miner pool on worker threads (ANOMALOG_DETECTION_THREADS): each service
 * belongs to one thread, picked by a hash of its name, so its records are mined
 * in order and its miner lives in one place, while the receiver goes on
 * decoding on the main thread. A thread that dies is started again with the
 * miners of the last snapshot (mining of its services goes on from there).
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../logger.js';
import type { MineParams, MinedGroup, ServiceRecords } from './mine-batch.js';
import type { MinerPool, MinerWarning } from './miner-pool.js';
import type { MinerSnapshot } from './template-miner.js';
import { shardOf } from '../shard-of.js';

export type ThreadRequest =
  | { kind: 'mine'; id: number; parts: ServiceRecords[]; params: MineParams }
  | { kind: 'adopt'; saved: Record<string, MinerSnapshot> }
  | { kind: 'forget'; services: readonly string[] }
  | { kind: 'snapshots'; id: number };

export type ThreadReply =
  | { kind: 'mined'; id: number; groups: MinedGroup[][] }
  | { kind: 'failed'; id: number; message: string }
  | { kind: 'snapshots'; id: number; snapshots: Record<string, MinerSnapshot> }
  | { kind: 'warning'; service: string; message: string };

/** A detection thread died or was stopped with work in flight. */
export class DetectionThreadError extends Error {
  readonly code = 'ANOMALOG_DETECTION_THREAD';
}

/** Run from the TypeScript sources (the tests), threads load the build of the same sources. */
function threadScript(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../dist/src/pipeline/miner-thread.js', here) : new URL('./miner-thread.js', here);
}

interface Waiter {
  resolve(reply: ThreadReply): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  waiting: Map<number, Waiter>;
}

export function createThreadedMinerPool(deps: { threads: number; warn: MinerWarning; logger: Logger }): MinerPool {
  const { threads, logger } = deps;
  let nextId = 0;
  let closing = false;
  /** The newest snapshots seen, given to a thread started again after a death. */
  let lastSnapshots: Record<string, MinerSnapshot> = {};
  const slots: Slot[] = [];
  for (let i = 0; i < threads; i++) slots.push(start(i));

  function start(index: number): Slot {
    // Mining makes short-lived garbage: a roomy young generation keeps it out of the old one.
    const worker = new Worker(threadScript(), { resourceLimits: { maxYoungGenerationSizeMb: 192 } });
    const slot: Slot = { worker, waiting: new Map() };
    worker.on('message', (message: ThreadReply) => {
      if (message.kind === 'warning') return deps.warn(message.service, new Error(message.message));
      const waiter = slot.waiting.get(message.id);
      slot.waiting.delete(message.id);
      waiter?.resolve(message);
    });
    worker.on('error', (error) => logger.error({ err: error, thread: index }, 'detection thread failed'));
    worker.on('exit', (code) => {
      const lost = new DetectionThreadError(`detection thread ${index} exited (code ${code}) with ${slot.waiting.size} request(s) in flight`);
      for (const waiter of slot.waiting.values()) waiter.reject(lost);
      slot.waiting.clear();
      if (closing) return;
      logger.error({ thread: index, code }, 'detection thread exited; starting it again from the last miner snapshot');
      const next = start(index);
      slots[index] = next;
      next.worker.postMessage({ kind: 'adopt', saved: shareOf(lastSnapshots, index) } satisfies ThreadRequest);
    });
    return slot;
  }

  function shareOf<T>(byService: Record<string, T>, index: number): Record<string, T> {
    return Object.fromEntries(Object.entries(byService).filter(([service]) => shardOf(service, threads) === index));
  }

  function ask(index: number, request: ThreadRequest & { id: number }): Promise<ThreadReply> {
    const slot = slots[index]!;
    return new Promise((resolve, reject) => {
      slot.waiting.set(request.id, { resolve, reject });
      slot.worker.postMessage(request);
    });
  }

  return {
    async mine(parts, params) {
      const byThread = new Map<number, number[]>();
      parts.forEach((part, i) => {
        const index = shardOf(part.service, threads);
        const list = byThread.get(index);
        if (list) list.push(i);
        else byThread.set(index, [i]);
      });
      const perPart: MinedGroup[][] = new Array<MinedGroup[]>(parts.length);
      await Promise.all(
        [...byThread].map(async ([index, partIndices]) => {
          const reply = await ask(index, { kind: 'mine', id: nextId++, parts: partIndices.map((i) => parts[i]!), params });
          if (reply.kind === 'failed') throw new Error(`mining failed in detection thread ${index}: ${reply.message}`);
          if (reply.kind !== 'mined') throw new Error(`detection thread ${index} answered ${reply.kind} to mine`);
          partIndices.forEach((partIndex, j) => (perPart[partIndex] = reply.groups[j]!));
        }),
      );
      return perPart.flat();
    },
    adopt(saved) {
      lastSnapshots = { ...lastSnapshots, ...saved };
      slots.forEach((slot, index) => slot.worker.postMessage({ kind: 'adopt', saved: shareOf(saved, index) } satisfies ThreadRequest));
    },
    forget(services) {
      for (const service of services) delete lastSnapshots[service];
      for (const slot of slots) slot.worker.postMessage({ kind: 'forget', services } satisfies ThreadRequest);
    },
    async snapshots() {
      const replies = await Promise.all(slots.map((_, index) => ask(index, { kind: 'snapshots', id: nextId++ })));
      const all: Record<string, MinerSnapshot> = {};
      for (const reply of replies) if (reply.kind === 'snapshots') Object.assign(all, reply.snapshots);
      lastSnapshots = all;
      return all;
    },
    async close() {
      closing = true;
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
    },
  };
}
