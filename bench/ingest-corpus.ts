/**
 * bench:ingest's log lines: each Loghub-2k system's raw `<Name>_2k.log` lines
 * (header included) beside their structured CSV rows (the header-less `Content`
 * and the header fields). Lines longer than MAX_LINE_CHARS are left out.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOGHUB_DIR, loadLoghubSystem, loghubSystems } from './loghub.js';

export const MAX_LINE_CHARS = 300;

export interface LoghubRecord {
  /** The line as the system wrote it. */
  raw: string;
  /** The message after the header. */
  content: string;
  /** The CSV row by column name (LineId, Level, Component, ... as the system has them). */
  fields: Record<string, string>;
}

export interface LoghubSource {
  system: string;
  records: LoghubRecord[];
}

export function loadIngestSources(dir: string = LOGHUB_DIR): LoghubSource[] {
  return loghubSystems(dir).map((system) => {
    const raw = readFileSync(join(dir, system, `${system}_2k.log`), 'utf8').split(/\r?\n/);
    if (raw.at(-1) === '') raw.pop();
    const { lines } = loadLoghubSystem(system, dir);
    if (raw.length !== lines.length) throw new Error(`${system}: ${raw.length} raw lines but ${lines.length} CSV rows`);
    const records = lines.map((line, i) => ({ raw: raw[i]!, content: line.content, fields: line.fields })).filter((r) => r.raw.length <= MAX_LINE_CHARS);
    return { system, records };
  });
}
