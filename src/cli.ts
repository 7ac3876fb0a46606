#!/usr/bin/env -S node --max-semi-space-size=64
/**
 * The `anomalog` executable (package.json "bin"). A young generation larger than
 * Node's default cuts the garbage collector's share of ingest by about a third
 * (BENCHMARKS.md); `npm start` passes the same flag.
 */
import { main } from './commands/main.js';

main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Our own expected failures (code ANOMALOG_*) are one line; anything else is a bug: show the stack.
    const ours = error instanceof Error && String((error as { code?: unknown }).code).startsWith('ANOMALOG_');
    process.stderr.write(`anomalog: ${error instanceof Error ? (ours ? error.message : (error.stack ?? error.message)) : String(error)}\n`);
    process.exitCode = 1;
  },
);
