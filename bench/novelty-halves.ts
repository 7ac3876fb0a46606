/**
 * Issue 10's novelty protocol, the part both ways of running it share: which
 * lines are taught, how alarms are scored and the table. The in-process run
 * (novelty.ts) and the end-to-end run through `anomalog learn` and `anomalog
 * serve` (novelty-otlp.ts) differ only in how they get the alarms.
 */
import { loghubSystems, type DataChoice, type LoghubLine } from './loghub.js';

export interface SystemNovelty {
  name: string;
  lines: number;
  newTemplates: number;
  alarms: number;
  trueAlarms: number;
  /** Line numbers (1-based) and text of false alarms and of missed new templates, for --verbose. */
  falseAlarms: string[];
  missed: string[];
}

/** Lines [0, half) are taught, [half, end) are processed at ERROR. */
export function halfOf(lines: readonly LoghubLine[]): number {
  return Math.floor(lines.length / 2);
}

/**
 * Scores one system. `alarmLines` holds, for every new_pattern anomaly in the
 * order they were raised, the index (0-based) of the line that raised it. A
 * template (ground-truth EventId) is new when its first line is at or after
 * `half`; an alarm is true when it is the first one for a new template.
 */
export function scoreHalves(name: string, lines: readonly LoghubLine[], half: number, alarmLines: readonly number[]): SystemNovelty {
  const firstLine = new Map<string, number>();
  lines.forEach((l, i) => {
    if (!firstLine.has(l.eventId)) firstLine.set(l.eventId, i);
  });
  const fresh = new Set([...firstLine].filter(([, i]) => i >= half).map(([id]) => id));
  const alarmed = new Set<string>();
  const result: SystemNovelty = { name, lines: lines.length, newTemplates: fresh.size, alarms: 0, trueAlarms: 0, falseAlarms: [], missed: [] };
  for (const i of alarmLines) {
    const line = lines[i]!;
    result.alarms += 1;
    if (fresh.has(line.eventId) && !alarmed.has(line.eventId)) {
      alarmed.add(line.eventId);
      result.trueAlarms += 1;
    } else {
      result.falseAlarms.push(`line ${i + 1} ${line.eventId}: ${line.content.split('\n')[0]!.slice(0, 110)}`);
    }
  }
  for (const id of fresh) if (!alarmed.has(id)) result.missed.push(`line ${firstLine.get(id)! + 1} ${id}: ${lines[firstLine.get(id)!]!.template.split('\n')[0]!.slice(0, 110)}`);
  return result;
}

function ratio(part: number, whole: number): string {
  return whole === 0 ? '  -  ' : (part / whole).toFixed(3);
}

/**
 * Runs every system of the chosen folder (or those named in the arguments) one
 * after the other and prints the table, a row as each finishes; `--verbose`
 * lists each system's false alarms and missed templates under its row.
 */
export async function reportHalves(data: DataChoice, title: string, run: (name: string, dir: string) => Promise<SystemNovelty>): Promise<SystemNovelty[]> {
  const verbose = data.rest.includes('--verbose');
  const only = data.rest.filter((a) => !a.startsWith('--'));
  const names = loghubSystems(data.dir).filter((s) => only.length === 0 || only.includes(s));
  const width = Math.max(11, ...names.map((n) => n.length + 1));
  console.log(`data: ${data.name} (${data.dir}); ${title}`);
  console.log(`${'system'.padEnd(width)} lines  new templates  alarms  true  precision  recall`);
  const results: SystemNovelty[] = [];
  for (const name of names) {
    const r = await run(name, data.dir);
    results.push(r);
    console.log(`${r.name.padEnd(width)} ${String(r.lines).padStart(5)}  ${String(r.newTemplates).padStart(13)}  ${String(r.alarms).padStart(6)}  ${String(r.trueAlarms).padStart(4)}  ${ratio(r.trueAlarms, r.alarms).padStart(9)}  ${ratio(r.trueAlarms, r.newTemplates).padStart(6)}`);
    if (verbose) {
      for (const f of r.falseAlarms) console.log(`    false alarm ${f}`);
      for (const m of r.missed) console.log(`    missed      ${m}`);
    }
  }
  const sum = (f: (r: SystemNovelty) => number): number => results.reduce((a, r) => a + f(r), 0);
  const [alarms, trueAlarms, fresh] = [sum((r) => r.alarms), sum((r) => r.trueAlarms), sum((r) => r.newTemplates)];
  console.log(`${'all'.padEnd(width)} ${String(sum((r) => r.lines)).padStart(5)}  ${String(fresh).padStart(13)}  ${String(alarms).padStart(6)}  ${String(trueAlarms).padStart(4)}  ${ratio(trueAlarms, alarms).padStart(9)}  ${ratio(trueAlarms, fresh).padStart(6)}`);
  console.log(`precision ${ratio(trueAlarms, alarms)} (${trueAlarms} of ${alarms} alarms), recall ${ratio(trueAlarms, fresh)} (${trueAlarms} of ${fresh} new templates)`);
  return results;
}
