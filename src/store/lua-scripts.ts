/**
 * Loads Lua scripts named `<name>-<nkeys>.lua` into a Redis client with
 * defineCommand, under versioned names so replicas of two releases can run side
 * by side with their own script bodies. A `-<k>n` suffix means a variable key
 * count, passed as the call's first argument.
 */
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

type ScriptCall = (...args: Array<string | number | Buffer>) => unknown;

export interface LuaScripts<Name extends string> {
  define(redis: Redis): void;
  commandName(script: Name): string;
  /** Runs the script on a client, or queues it on a pipeline. */
  call(target: object, script: Name, keys: string[], args: Array<string | number | Buffer>): unknown;
}

export function createLuaScripts<Name extends string>(opts: {
  /** Command name prefix, e.g. `anomalog` → `anomalog_claim_template_v1`. */
  namespace: string;
  version: number;
  names: readonly Name[];
  /** import.meta.url of the module beside the scripts/ folder. */
  moduleUrl: string;
  /** The scripts folder from the repository root: tsc does not copy .lua files, so compiled code reads them there. */
  sourceDir: string;
}): LuaScripts<Name> {
  const variableKeys = (script: Name) => /-\d*n$/.test(script);
  const commandName = (script: Name) => `${opts.namespace}_${script.replace(/-\d*n?$/, '').replace(/-/g, '_')}_v${opts.version}`;

  function read(file: string): string {
    const candidates = [new URL(`./scripts/${file}`, opts.moduleUrl), new URL(`../../../${opts.sourceDir}/${file}`, opts.moduleUrl)];
    for (const url of candidates) {
      try {
        return readFileSync(url, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    throw new Error(`Lua script ${file} not found next to ${opts.moduleUrl} nor in ${opts.sourceDir}`);
  }

  return {
    commandName,
    define(redis) {
      for (const script of opts.names) {
        const name = commandName(script);
        if (name in redis) continue;
        const lua = read(`${script}.lua`);
        redis.defineCommand(name, variableKeys(script) ? { lua } : { lua, numberOfKeys: Number(script.slice(script.lastIndexOf('-') + 1)) });
      }
    },
    call(target, script, keys, args) {
      const fn = (target as Record<string, ScriptCall>)[commandName(script)];
      if (!fn) throw new Error(`script ${script} is not defined on this client; define the scripts first`);
      return fn.call(target, ...(variableKeys(script) ? [keys.length] : []), ...keys, ...args);
    },
  };
}
