/** The pattern library's Lua scripts (scripts/<name>-<nkeys>.lua). */
import type { Redis } from 'ioredis';
import { createLuaScripts } from './lua-scripts.js';

const SCRIPTS = ['admit-services-1', 'claim-template-3', 'record-touches-3n', 'set-mute-1'] as const;
export type ScriptName = (typeof SCRIPTS)[number];

const scripts = createLuaScripts({ namespace: 'anomalog', version: 3, names: SCRIPTS, moduleUrl: import.meta.url, sourceDir: 'src/store/scripts' });

export const defineScripts = (redis: Redis): void => scripts.define(redis);
/** Queues a script call on a pipeline (or runs it on a client). */
export const callScript = (target: object, script: ScriptName, keys: string[], args: Array<string | number>): unknown =>
  scripts.call(target, script, keys, args);
