/** "90s", "15m", "1h", "7d", "2w" → milliseconds. */
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(text.trim());
  if (!match) throw new RangeError(`"${text}" is not a duration like 30s, 15m, 1h, 7d or 2w`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}
