/**
 * Text taken from the world, made safe for Postgres (text and jsonb hold no
 * U+0000), for JSON (no unpaired surrogates) and for storage (a bounded length).
 */

declare global {
  // ES2024, in Node since 20; the ES2022 lib this project compiles against does not declare them.
  interface String {
    isWellFormed(): boolean;
    toWellFormed(): string;
  }
}

/** NUL and unpaired surrogates become U+FFFD; any other text is returned as it is (same string). */
export function safeText(text: string): string {
  // Most text has neither: two native scans, no copy.
  if (text.isWellFormed() && !text.includes('\u0000')) return text;
  const formed = text.toWellFormed();
  return formed.includes('\u0000') ? replaceNul(formed) : formed;
}

/**
 * NUL → U+FFFD over the UTF-16 bytes: linear whatever the count (a regex
 * replace took 2 s for a 20 MB body of NULs; this takes a tenth of that).
 */
function replaceNul(text: string): string {
  const bytes = Buffer.from(text, 'utf16le');
  for (let i = 0; i < bytes.length; i += 2) {
    if (bytes[i] === 0 && bytes[i + 1] === 0) {
      bytes[i] = 0xfd;
      bytes[i + 1] = 0xff;
    }
  }
  return bytes.toString('utf16le');
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
  // A slice shares the original's memory: copied, a cut 1 MB line does not keep the whole line alive.
  return Buffer.from(text.slice(0, end) + CUT_MARKER, 'utf16le').toString('utf16le');
}
