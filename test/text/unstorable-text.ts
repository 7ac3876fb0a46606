/** What the hostile-text tests check text against: what Postgres text and jsonb would refuse. */

/** Holds a NUL or an unpaired surrogate (which a UTF-8 round trip does not keep). */
export function unstorable(text: string): boolean {
  return text.includes('\u0000') || Buffer.from(text, 'utf8').toString('utf8') !== text;
}

/** The keys and strings anywhere in `value` that are unstorable, each cut to 40 characters for the failure message. */
export function unstorableStrings(value: unknown, found: string[] = []): string[] {
  const check = (s: string): void => {
    if (unstorable(s)) found.push(s.slice(0, 40));
  };
  if (typeof value === 'string') check(value);
  else if (Array.isArray(value)) for (const v of value) unstorableStrings(v, found);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      check(k);
      unstorableStrings(v, found);
    }
  }
  return found;
}
