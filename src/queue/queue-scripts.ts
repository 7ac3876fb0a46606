/**
 * Loads scripts/<name>-<nkeys>.lua of the queue and the leases into a Redis
 * client with defineCommand, under versioned names so two releases can run side
 * by side. `-2n` scripts take a variable key count, passed as the first argument.
 */
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

const VERSION = 1;
const SCRIPTS = ['append-2n', 'ack-2', 'renew-lease-1', 'release-lease-1', 'heartbeat-1'] as const;
export type QueueScript = (typeof SCRIPTS)[number];

/** tsc does not copy .lua files: compiled code reads them from the source tree. */
function readScript(file: string): string {
  const candidates = [new URL(`./scripts/${file}`, import.meta.url), new URL(`../../../src/queue/scripts/${file}`, import.meta.url)];
  for (const url of candidates) {
    try {
      return readFileSync(url, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  throw new Error(`Lua script ${file} not found next to ${import.meta.url} nor in src/queue/scripts`);
}

function commandName(script: QueueScript): string {
  return `anomalog_queue_${script.replace(/-\w+$/, '').replace(/-/g, '_')}_v${VERSION}`;
}

export function defineQueueScripts(redis: Redis): void {
  for (const script of SCRIPTS) {
    const name = commandName(script);
    if (name in redis) continue;
    const keys = script.slice(script.lastIndexOf('-') + 1);
    const lua = readScript(`${script}.lua`);
    redis.defineCommand(name, keys.endsWith('n') ? { lua } : { lua, numberOfKeys: Number(keys) });
  }
}

type ScriptCall = (...args: Array<string | number>) => Promise<unknown>;

/** Runs a script on a client on which defineQueueScripts was called. */
export function runQueueScript(target: object, script: QueueScript, keys: string[], args: Array<string | number>): Promise<unknown> {
  const fn = (target as Record<string, ScriptCall>)[commandName(script)];
  if (!fn) throw new Error(`script ${script} is not defined on this client; call defineQueueScripts first`);
  const variable = script.endsWith('n');
  return fn.call(target, ...(variable ? [keys.length] : []), ...keys, ...args);
}
