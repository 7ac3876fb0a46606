/** A detection thread: owns the miners of its share of the services and mines what it is sent. */
import { parentPort } from 'node:worker_threads';
import { createMinerSet } from './mine-batch.js';
import type { ThreadReply, ThreadRequest } from './miner-threads.js';

const port = parentPort;
if (!port) throw new Error('miner-thread runs as a worker thread');
const reply = (message: ThreadReply): void => port.postMessage(message);
const set = createMinerSet((service, error) => reply({ kind: 'warning', service, message: (error as Error).message }));

port.on('message', (request: ThreadRequest) => {
  switch (request.kind) {
    case 'mine':
      try {
        reply({ kind: 'mined', id: request.id, groups: request.parts.map((part) => set.mine(part, request.params)) });
      } catch (error) {
        reply({ kind: 'failed', id: request.id, message: (error as Error).stack ?? String(error) });
      }
      return;
    case 'adopt':
      set.adopt(request.saved);
      return;
    case 'forget':
      set.forget(request.services);
      return;
    case 'snapshots':
      reply({ kind: 'snapshots', id: request.id, snapshots: set.snapshots() });
      return;
  }
});
