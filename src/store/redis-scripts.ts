/**
 * Loads the Lua scripts of scripts/<name>-<nkeys>.lua into a Redis client with
 * defineCommand, under a versioned name so replicas of two releases can run side
 * by side with their own script bodies.
 */
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

const VERSION = 1;
const SCRIPTS = ['claim-template-3', 'record-touch-2', 'set-mute-1'] as const;
export type ScriptName = (typeof SCRIPTS)[number];

/** tsc does not copy .lua files: compiled code reads them from the source tree. */
function readScript(file: string): string {
  const candidates = [new URL(`./scripts/${file}`, import.meta.url), new URL(`../../../src/store/scripts/${file}`, import.meta.url)];
  for (const url of candidates) {
    try {
      return readFileSync(url, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  throw new Error(`Lua script ${file} not found next to ${import.meta.url} nor in src/store/scripts`);
}

export function commandName(script: ScriptName): string {
  return `anomalog_${script.replace(/-\d+$/, '').replace(/-/g, '_')}_v${VERSION}`;
}

export function defineScripts(redis: Redis): void {
  for (const script of SCRIPTS) {
    const name = commandName(script);
    if (name in redis) continue;
    redis.defineCommand(name, { lua: readScript(`${script}.lua`), numberOfKeys: Number(script.slice(script.lastIndexOf('-') + 1)) });
  }
}

type ScriptCall = (...args: Array<string | number>) => unknown;

/** Queues a script call on a pipeline (or runs it on a client). */
export function callScript(target: object, script: ScriptName, keys: string[], args: Array<string | number>): unknown {
  const fn = (target as Record<string, ScriptCall>)[commandName(script)];
  if (!fn) throw new Error(`script ${script} is not defined on this client; call defineScripts first`);
  return fn.call(target, ...keys, ...args);
}
