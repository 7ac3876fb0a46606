import { terminalText } from '../text/terminal-text.js';

/** Renders rows as an aligned plain-text table for a terminal; control characters in cells are shown escaped. */
export function renderTable(headers: string[], rows: string[][]): string {
  const cells = rows.map((row) => row.map(terminalText));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n') + '\n';
}

export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
