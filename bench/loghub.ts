/**
 * Loader for the shared Loghub-2k (corrected) data: the `Content` and ground-truth
 * `EventId` columns of each system's structured CSV, in line order.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The shared data beside the work tree (`dist/bench/` → `../shared/data/loghub-2k`), or LOGHUB_DIR. */
export const LOGHUB_DIR = process.env.LOGHUB_DIR ?? fileURLToPath(new URL('../../../shared/data/loghub-2k/', import.meta.url));

/** Our held-out formats, in the same layout (`dist/bench/` → `bench/data/heldout`; see its README). */
export const HELDOUT_DIR = fileURLToPath(new URL('../../bench/data/heldout/', import.meta.url));

export interface DataChoice {
  /** `loghub`, `heldout`, or the folder given with --dir. */
  name: string;
  dir: string;
  /** The arguments left once --data / --dir are taken out. */
  rest: string[];
}

/** `--data loghub|heldout` or `--dir PATH` (either also as `--flag=value`); the shared Loghub-2k when neither is given. */
export function chooseData(argv: readonly string[]): DataChoice {
  let choice: { name: string; dir: string } = { name: 'loghub', dir: LOGHUB_DIR };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') ? (arg.split(/=(.*)/s, 2) as [string, string | undefined]) : [arg, undefined];
    if (flag !== '--data' && flag !== '--dir') {
      rest.push(arg);
      continue;
    }
    const value = inline ?? argv[++i];
    if (!value) throw new Error(`${flag} needs a value`);
    if (flag === '--dir') choice = { name: value, dir: value };
    else if (value === 'loghub') choice = { name: value, dir: LOGHUB_DIR };
    else if (value === 'heldout') choice = { name: value, dir: HELDOUT_DIR };
    else throw new Error(`--data must be loghub or heldout (got ${value})`);
  }
  return { ...choice, rest };
}

export interface LoghubLine {
  content: string;
  eventId: string;
  template: string;
  /** Every column of the row by header name (Level, Label, ...). */
  fields: Record<string, string>;
}

export interface LoghubSystem {
  name: string;
  lines: LoghubLine[];
}

/** RFC 4180 CSV: quoted fields may hold commas, doubled quotes and newlines. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else {
      field += c;
    }
  }
  if (field.length > 0 || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** System names: the folders that hold a `<Name>_2k.log_structured_corrected.csv`. */
export function loghubSystems(dir: string = LOGHUB_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, `${d.name}_2k.log_structured_corrected.csv`)))
    .map((d) => d.name)
    .sort();
}

export function loadLoghubSystem(name: string, dir: string = LOGHUB_DIR): LoghubSystem {
  const rows = parseCsv(readFileSync(join(dir, name, `${name}_2k.log_structured_corrected.csv`), 'utf8'));
  const header = rows[0];
  if (!header) throw new Error(`${name}: empty CSV`);
  const content = header.indexOf('Content');
  const eventId = header.indexOf('EventId');
  const template = header.indexOf('EventTemplate');
  if (content < 0 || eventId < 0 || template < 0) throw new Error(`${name}: CSV lacks Content/EventId/EventTemplate`);
  const lines = rows.slice(1).map((r) => ({
    content: r[content] ?? '',
    eventId: r[eventId] ?? '',
    template: r[template] ?? '',
    fields: Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])),
  }));
  return { name, lines };
}
