/**
 * OTLP/JSON text → the same decoded shape as the protobuf path. The OTLP JSON
 * mapping differs from protobuf's canonical JSON in two ways handled here: trace
 * and span ids are hex (not base64), and field names may be camelCase or the
 * original snake_case. 64-bit integers arrive as strings or numbers, enums as
 * integers; unknown fields are ignored. OTLP has no map fields, so every object
 * key is a field name and can be camel-cased blindly.
 */
import { exportRequestType } from './decode.js';
import { OtlpDecodeError, type ExportLogsRequest } from './otlp-types.js';

const ID_FIELDS = new Set(['traceId', 'spanId']);
const INT64_FIELDS = new Set(['timeUnixNano', 'observedTimeUnixNano', 'intValue']);
const INTEGER_TEXT = /^-?\d+$/;
const HEX_TEXT = /^[0-9a-fA-F]*$/;

function camel(key: string): string {
  return key.includes('_') ? key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()) : key;
}

/** Only the text is checked here; a wrong id length is the mapper's per-record rejection, as for protobuf. */
function hexToBytes(field: string, hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !HEX_TEXT.test(hex)) throw new OtlpDecodeError(`${field} must be hex, got "${hex}"`);
  return Buffer.from(hex, 'hex');
}

function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [rawKey, child] of Object.entries(value)) {
    // Not an OTLP field; assigning it would swap the prototype instead.
    if (rawKey === '__proto__') continue;
    const key = camel(rawKey);
    if (ID_FIELDS.has(key)) {
      if (typeof child !== 'string') throw new OtlpDecodeError(`${key} must be a hex string`);
      out[key] = hexToBytes(key, child);
    } else if (INT64_FIELDS.has(key) && typeof child === 'string' && !INTEGER_TEXT.test(child)) {
      throw new OtlpDecodeError(`${key} must be an integer, got "${child}"`);
    } else {
      out[key] = normalize(child);
    }
  }
  return out;
}

export function decodeExportRequestJson(text: string): ExportLogsRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new OtlpDecodeError(`malformed JSON: ${(error as Error).message}`, { cause: error });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new OtlpDecodeError('an ExportLogsServiceRequest must be a JSON object');
  }
  try {
    return exportRequestType().fromObject(normalize(parsed) as Record<string, unknown>) as unknown as ExportLogsRequest;
  } catch (error) {
    if (error instanceof OtlpDecodeError) throw error;
    throw new OtlpDecodeError(`invalid ExportLogsServiceRequest: ${(error as Error).message}`, { cause: error });
  }
}
