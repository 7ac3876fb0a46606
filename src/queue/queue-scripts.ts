/** The queue's and the leases' Lua scripts (scripts/<name>-<nkeys>.lua; `-2n`: two keys per shard touched). */
import type { Redis } from 'ioredis';
import { createLuaScripts } from '../store/lua-scripts.js';

const SCRIPTS = ['append-2n', 'ack-3', 'fail-entry-4', 'replay-dead-letter-3', 'renew-lease-1', 'release-lease-1', 'heartbeat-1'] as const;
export type QueueScript = (typeof SCRIPTS)[number];

const scripts = createLuaScripts({ namespace: 'anomalog_queue', version: 3, names: SCRIPTS, moduleUrl: import.meta.url, sourceDir: 'src/queue/scripts' });

export const defineQueueScripts = (redis: Redis): void => scripts.define(redis);
/** Runs a script on a client on which defineQueueScripts was called. */
export const runQueueScript = (target: object, script: QueueScript, keys: string[], args: Array<string | number | Buffer>): Promise<unknown> =>
  scripts.call(target, script, keys, args) as Promise<unknown>;
