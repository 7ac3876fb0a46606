/** A stream entry as Redis returns it: its id and its flat [name, value, ...] field list (null once deleted). */
export type RawEntry = [id: string, fields: string[] | null];

/** The fields of one stream entry by name; none for a deleted entry. */
export function streamFields(raw: string[] | null): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (raw) for (let i = 0; i + 1 < raw.length; i += 2) out[raw[i]!] = raw[i + 1];
  return out;
}
