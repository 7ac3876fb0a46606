/**
 * Writes one system in the Loghub-2k (corrected) layout: `<Name>_2k.log`,
 * `<Name>_2k.log_structured_corrected.csv` and `<Name>_2k.log_templates_corrected.csv`.
 * Event ids number the distinct templates in order of first appearance.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng, type SystemSpec } from './core.js';

export interface SystemStats {
  name: string;
  records: number;
  templates: number;
  /** Templates seen once or twice in the whole log. */
  rare: number;
  /** Templates whose first record is in the second half (new in the novelty protocol). */
  newInSecondHalf: number;
  /** Records held by the most frequent template. */
  topShare: number;
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function csvRow(values: readonly string[]): string {
  return values.map(csvField).join(',') + '\n';
}

export function writeSystem(spec: SystemSpec, root: string, seed: string): SystemStats {
  const records = spec.generate(createRng(`${seed}/${spec.name}`));
  const ids = new Map<string, string>();
  const counts = new Map<string, number>();
  const firstAt = new Map<string, number>();
  records.forEach((r, i) => {
    const t = r.msg.template;
    if (!ids.has(t)) {
      ids.set(t, `E${ids.size + 1}`);
      firstAt.set(t, i);
    }
    counts.set(t, (counts.get(t) ?? 0) + 1);
    if (/\r/.test(r.msg.content)) throw new Error(`${spec.name}: carriage return in a message`);
  });

  const dir = join(root, spec.name);
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `${spec.name}_2k.log`);
  writeFileSync(base, records.map((r) => spec.render(r.fields, r.msg.content) + '\n').join(''));
  writeFileSync(
    `${base}_structured_corrected.csv`,
    csvRow(['LineId', ...spec.columns, 'Content', 'EventId', 'EventTemplate']) +
      records
        .map((r, i) => csvRow([String(i + 1), ...spec.columns.map((c) => r.fields[c] ?? ''), r.msg.content, ids.get(r.msg.template)!, r.msg.template]))
        .join(''),
  );
  writeFileSync(`${base}_templates_corrected.csv`, csvRow(['EventId', 'EventTemplate']) + [...ids].map(([t, id]) => csvRow([id, t])).join(''));

  const half = Math.floor(records.length / 2);
  return {
    name: spec.name,
    records: records.length,
    templates: ids.size,
    rare: [...counts.values()].filter((n) => n <= 2).length,
    newInSecondHalf: [...firstAt.values()].filter((i) => i >= half).length,
    topShare: Math.max(...counts.values()) / records.length,
  };
}
