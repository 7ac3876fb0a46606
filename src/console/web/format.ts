/** How the console writes times, ages and numbers (local time; no DOM). */

const pad = (n: number) => String(n).padStart(2, '0');

/** `HH:MM:SS` today, else `YYYY-MM-DD HH:MM`, in local time. */
export function formatTime(ms: number, now: number): string {
  const d = new Date(ms);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const today = new Date(now);
  if (d.toDateString() === today.toDateString()) return `${time}:${pad(d.getSeconds())}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

/** `45 s`, `12 min`, `3 h`, `2 d`: how long `ms` is, rounded down. */
function formatSpan(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

/** `3 min ago`, or `in 3 min` for a time ahead. */
export function formatAge(ms: number, now: number): string {
  return ms <= now ? `${formatSpan(now - ms)} ago` : `in ${formatSpan(ms - now)}`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** `1 service`, `3 services`. */
export function countOf(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

export function formatScore(score: number): string {
  return score.toFixed(2);
}

/** `new_pattern` → `new pattern`. */
export function kindLabel(kind: string): string {
  return kind.replaceAll('_', ' ');
}

/** The time-range choices of the anomalies filter: label → ms (0: all time). */
export const RANGES: ReadonlyArray<readonly [key: string, label: string, ms: number]> = [
  ['15m', 'Last 15 minutes', 15 * 60_000],
  ['1h', 'Last hour', 3_600_000],
  ['6h', 'Last 6 hours', 6 * 3_600_000],
  ['24h', 'Last 24 hours', 86_400_000],
  ['7d', 'Last 7 days', 7 * 86_400_000],
  ['30d', 'Last 30 days', 30 * 86_400_000],
  ['all', 'All time', 0],
];

/** The mute choices: label → ms (null: until unmuted). */
export const MUTE_DURATIONS: ReadonlyArray<readonly [key: string, label: string, ms: number | null]> = [
  ['1h', '1 hour', 3_600_000],
  ['8h', '8 hours', 8 * 3_600_000],
  ['1d', '1 day', 86_400_000],
  ['7d', '7 days', 7 * 86_400_000],
  ['forever', 'until unmuted', null],
];
