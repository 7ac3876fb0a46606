#!/usr/bin/env node
/** The `anomalog` executable (package.json "bin"). */
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
