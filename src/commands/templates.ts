/**
 * `anomalog templates [FILE|-] [--service NAME] [--summary]`: masks and mines a log
 * file (one message per line) with the service's miner settings and prints, per
 * line, `{"line","templateId","template"}` as JSON lines; with --summary, one line
 * per template instead, most frequent first. Lines are printed once the input
 * ends, each with its group's final id and template: a group generalises, and
 * may fold into a sibling, after its first lines. Per line only a small index is
 * kept, so large files and pipes are fine.
 */
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { loadConfig } from '../config.js';
import { mask } from '../pipeline/mask.js';
import { createTemplateMiner } from '../pipeline/template-miner.js';
import { terminalJson } from '../text/terminal-text.js';
import type { CommandIo } from './command-io.js';

const USAGE = 'usage: anomalog templates [FILE|-] [--service NAME] [--summary]\n';

interface TemplatesArgs {
  file: string;
  service: string | undefined;
  summary: boolean;
  help: boolean;
}

function parseArgs(argv: string[]): TemplatesArgs | string {
  const args: TemplatesArgs = { file: '-', service: undefined, summary: false, help: false };
  let fileSeen = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (flag === '--service') {
      const value = eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '') return '--service needs a value';
      args.service = value;
    } else if (arg === '--summary') {
      args.summary = true;
    } else if (arg === '--help' || arg === '-h') {
      args.help = true;
    } else if (arg.startsWith('-') && arg !== '-') {
      return `unknown option ${arg}`;
    } else if (!fileSeen) {
      args.file = arg;
      fileSeen = true;
    } else {
      return `unexpected argument ${arg}`;
    }
  }
  return args;
}

/** Write one line, waiting for the stream to drain when its buffer is full. */
async function writeLine(out: NodeJS.WritableStream, line: string): Promise<void> {
  if (!out.write(`${line}\n`)) await once(out, 'drain');
}

export async function runTemplates(argv: string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    io.stderr.write(`anomalog templates: ${args}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const { detection } = loadConfig();

  let input: NodeJS.ReadableStream = io.stdin;
  let close = async (): Promise<void> => {};
  if (args.file !== '-') {
    try {
      const handle = await open(args.file, 'r');
      if ((await handle.stat()).isDirectory()) {
        await handle.close();
        io.stderr.write(`anomalog templates: ${args.file} is a directory\n${USAGE}`);
        return 2;
      }
      input = handle.createReadStream({ encoding: 'utf8' });
      close = () => handle.close();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
      io.stderr.write(`anomalog templates: cannot read ${args.file}: ${reason}\n`);
      return 2;
    }
  }

  const miner = createTemplateMiner();
  /** The raw first line of each template, for --summary examples. */
  const firstLines = new Map<string, string>();
  /** Per line, the index of the id the miner returned (ids are interned). */
  const ids: string[] = [];
  const idIndex = new Map<string, number>();
  let lineIds = new Uint32Array(1024);
  try {
    const lines = createInterface({ input, crlfDelay: Infinity });
    let n = 0;
    for await (const message of lines) {
      const result = miner.add(mask(message, detection.maxMessageChars));
      if (args.summary) {
        if (!firstLines.has(result.id)) firstLines.set(result.id, message);
        continue;
      }
      let index = idIndex.get(result.id);
      if (index === undefined) {
        index = ids.push(result.id) - 1;
        idIndex.set(result.id, index);
      }
      if (n === lineIds.length) {
        const grown = new Uint32Array(n * 2);
        grown.set(lineIds);
        lineIds = grown;
      }
      lineIds[n++] = index;
    }
    for (let i = 0; i < n; i++) {
      // get() follows folds to the surviving group.
      const final = miner.get(ids[lineIds[i]!]!)!;
      await writeLine(io.stdout, terminalJson({ line: i + 1, templateId: final.id, template: final.template }));
    }
    if (args.summary) {
      for (const t of miner.templates().sort((a, b) => b.count - a.count)) {
        const row = {
          ...(args.service === undefined ? {} : { service: args.service }),
          templateId: t.id,
          template: t.template,
          count: t.count,
          example: firstLines.get(t.id) ?? t.example,
        };
        await writeLine(io.stdout, terminalJson(row));
      }
    }
    return 0;
  } catch (error) {
    // The reader went away (`| head`): stop quietly, as Unix tools do.
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') return 0;
    io.stderr.write(`anomalog templates: ${args.file === '-' ? 'stdin' : args.file}: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await close();
  }
}
