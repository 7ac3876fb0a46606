/**
 * `anomalog learn FILE --service NAME [--level LEVEL]`: feeds historical
 * messages (one per line, FILE or '-' for stdin) to the detector as learning,
 * which also ends the service's learning period.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { isLevel, type Level, type LogEntry } from '../log-entry.js';
import type { Detector } from '../pipeline/detector.js';

const BATCH = 1000;
const USAGE = 'usage: anomalog learn FILE|- --service NAME [--level trace|debug|info|warn|error|fatal]\n';

export interface LearnIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

interface LearnArgs {
  file: string;
  service: string;
  level: Level;
}

function parseArgs(argv: string[]): LearnArgs | string {
  let file: string | undefined;
  let service: string | undefined;
  let level = 'info';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') ? (arg.split(/=(.*)/s, 2) as [string, string | undefined]) : [arg, undefined];
    if (flag === '--service' || flag === '--level') {
      const value = inline ?? argv[++i];
      if (value === undefined || value === '') return `${flag} needs a value`;
      if (flag === '--service') service = value;
      else level = value;
    } else if (arg.startsWith('--')) {
      return `unknown option ${arg}`;
    } else if (file === undefined) {
      file = arg;
    } else {
      return `unexpected argument ${arg}`;
    }
  }
  if (file === undefined) return 'FILE is required (or - for stdin)';
  if (service === undefined) return '--service is required';
  if (!isLevel(level)) return `--level must be one of trace, debug, info, warn, error, fatal (got ${level})`;
  return { file, service, level };
}

export async function runLearn(argv: string[], deps: { detector: Detector; io: LearnIo; now?: () => number }): Promise<number> {
  const { io } = deps;
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    io.stderr.write(`anomalog learn: ${args}\n${USAGE}`);
    return 2;
  }
  const input = args.file === '-' ? io.stdin : createReadStream(args.file);
  const lines = createInterface({ input, crlfDelay: Infinity });
  const now = deps.now ?? Date.now;
  let batch: LogEntry[] = [];
  let learned = 0;
  let templates = 0;
  let patterns = 0;
  const flush = async (): Promise<void> => {
    const summary = await deps.detector.learn(batch);
    templates += summary.newTemplates;
    patterns += summary.newPatterns;
    learned += batch.length;
    batch = [];
  };
  try {
    for await (const line of lines) {
      if (line.trim() === '') continue;
      const time = now();
      batch.push({ time, service: args.service, level: args.level, message: line, traceId: '', spanId: '', attributes: {}, resource: {}, scope: '' });
      if (batch.length >= BATCH) await flush();
    }
    if (batch.length > 0) await flush();
  } catch (error) {
    // File errors are the operator's to fix; store errors propagate as they are.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined || !code.startsWith('E')) throw error;
    io.stderr.write(`anomalog learn: cannot read ${args.file}: ${(error as Error).message}\n`);
    return 1;
  }
  io.stdout.write(
    `learned ${learned} lines for ${args.service}: ${templates} new templates, ${patterns} new patterns; ` +
      `${args.service} is now past its learning period\n`,
  );
  return 0;
}
