/**
 * Text from the world, made harmless for an operator's terminal. Log lines can
 * carry escape sequences (ESC, CSI) that recolour, retitle or rewrite the
 * screen, and bidi overrides that make text read differently from what it is.
 * Such characters are shown as visible escapes instead of being interpreted.
 */

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE_ALL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
/** What JSON.stringify leaves as it is: it escapes C0 controls itself. */
const JSON_UNSAFE_ALL = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

const hex = (c: string, digits: number): string => c.charCodeAt(0).toString(16).padStart(digits, '0');

/** C0 controls (ESC among them), DEL and C1 controls as \xHH; bidi overrides and isolates as \uHHHH. */
export function terminalText(text: string): string {
  if (!UNSAFE.test(text)) return text;
  return text.replace(UNSAFE_ALL, (c) => (c.charCodeAt(0) < 0x100 ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`));
}

/** JSON.stringify, with DEL, C1 controls and bidi controls also written as \u escapes; parses back to the same value. */
export function terminalJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(JSON_UNSAFE_ALL, (c) => `\\u${hex(c, 4)}`);
}
