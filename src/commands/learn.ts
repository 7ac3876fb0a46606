/**
 * `anomalog learn FILE --service NAME [--level LEVEL] [--format lines|jsonl]`:
 * feeds historical messages (FILE or '-' for stdin) to the detector as learning,
 * which also ends the service's learning period. `lines`: one message per line.
 * `jsonl`: one JSON value per line, a string or an object with a string `message`
 * (or `body`) and optionally a `level` — the way to teach multi-line messages
 * (stack traces) as the service receives them.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { isLevel, type Level, type LogEntry } from '../log-entry.js';
import type { Detector } from '../pipeline/detector.js';

const BATCH = 1000;
const USAGE = 'usage: anomalog learn FILE|- --service NAME [--level trace|debug|info|warn|error|fatal] [--format lines|jsonl]\n';
const FORMATS = ['lines', 'jsonl'] as const;
type Format = (typeof FORMATS)[number];

export interface LearnIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

interface LearnArgs {
  file: string;
  service: string;
  level: Level;
  format: Format;
}

function parseArgs(argv: string[]): LearnArgs | string {
  let file: string | undefined;
  let service: string | undefined;
  let level = 'info';
  let format = 'lines';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') ? (arg.split(/=(.*)/s, 2) as [string, string | undefined]) : [arg, undefined];
    if (flag === '--service' || flag === '--level' || flag === '--format') {
      const value = inline ?? argv[++i];
      if (value === undefined || value === '') return `${flag} needs a value`;
      if (flag === '--service') service = value;
      else if (flag === '--level') level = value;
      else format = value;
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
  if (!isFormat(format)) return `--format must be lines or jsonl (got ${format})`;
  return { file, service, level, format };
}

function isFormat(value: string): value is Format {
  return (FORMATS as readonly string[]).includes(value);
}

/** One JSON Lines record as a message and maybe its level; a string says why the line is not one. */
function fromJsonLine(line: string): { message: string; level?: Level } | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  if (typeof value === 'string') return { message: value };
  if (typeof value !== 'object' || value === null) return 'neither a string nor an object';
  const record = value as Record<string, unknown>;
  const message = record.message ?? record.body;
  if (typeof message !== 'string') return 'no string message or body';
  const level = typeof record.level === 'string' ? record.level.toLowerCase() : undefined;
  return level !== undefined && isLevel(level) ? { message, level } : { message };
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
  let lineNumber = 0;
  let skipped = 0;
  let firstSkip = '';
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
      lineNumber++;
      if (line.trim() === '') continue;
      const parsed = args.format === 'jsonl' ? fromJsonLine(line) : { message: line };
      if (typeof parsed === 'string') {
        if (skipped++ === 0) firstSkip = `line ${lineNumber}: ${parsed}`;
        continue;
      }
      const time = now();
      const level = parsed.level ?? args.level;
      batch.push({ time, service: args.service, level, message: parsed.message, traceId: '', spanId: '', attributes: {}, resource: {}, scope: '' });
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
  if (skipped === 0) return 0;
  // The rest is learned; the exit code tells a script that some of the file was not.
  io.stderr.write(`anomalog learn: skipped ${skipped} lines of ${args.file} that hold no JSON message (first: ${firstSkip})\n`);
  return 1;
}
