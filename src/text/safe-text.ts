/**
 * Text taken from the world, made safe for Postgres (text and jsonb hold no
 * U+0000), for JSON (no unpaired surrogates) and for storage (a bounded length).
 */

// eslint-disable-next-line no-control-regex -- finding NUL is the point
const UNSAFE = /[\u0000\ud800-\udfff]/;
// eslint-disable-next-line no-control-regex -- finding NUL is the point
const UNSAFE_ALL = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** NUL and unpaired surrogates become U+FFFD; any other text is returned as it is (same string). */
export function safeText(text: string): string {
  // Most text has neither: one scan, no copy.
  if (!UNSAFE.test(text)) return text;
  return text.replace(UNSAFE_ALL, '\ufffd');
}

/** Appended to text cut by cutText. */
export const CUT_MARKER = '… [cut]';

/**
 * At most `max` characters (UTF-16 units): longer text keeps its head and ends
 * with CUT_MARKER, and never ends in half a surrogate pair.
 */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - CUT_MARKER.length);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end) + CUT_MARKER;
}
