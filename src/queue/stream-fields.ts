/** A stream entry as Redis returns it: its id and its flat [name, value, ...] field list (null once deleted); Buffers when read with callBuffer. */
export type RawEntry<T extends string | Buffer = string> = [id: T, fields: T[] | null];

/** The fields of one stream entry by name; none for a deleted entry. */
export function streamFields<T extends string | Buffer>(raw: T[] | null): Record<string, T | undefined> {
  const out: Record<string, T | undefined> = {};
  if (raw) for (let i = 0; i + 1 < raw.length; i += 2) out[raw[i]!.toString()] = raw[i + 1];
  return out;
}
