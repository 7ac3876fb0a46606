/** Helpers for building one multi-row statement portable across pg and PGlite. */

/** `($1,$2,…),($k,…)` for rows × columns placeholders, each cast as given. */
export function valuesPlaceholders(rowCount: number, casts: readonly string[]): string {
  const rows: string[] = [];
  for (let r = 0; r < rowCount; r++) {
    rows.push('(' + casts.map((cast, c) => `$${r * casts.length + c + 1}${cast}`).join(',') + ')');
  }
  return rows.join(',');
}

/** Postgres caps a statement at 65,535 parameters; stay well below. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Both engines accept ISO text for timestamptz; pg returns Date, so do the reverse. */
export const isoTime = (ms: number): string => new Date(ms).toISOString();

export function toMs(value: unknown): number {
  return value instanceof Date ? value.getTime() : new Date(String(value)).getTime();
}

/** `$1, $2, …, $n` for an `IN (…)` list of n parameters. */
export function listPlaceholders(count: number): string {
  return Array.from({ length: count }, (_, i) => `$${i + 1}`).join(', ');
}
