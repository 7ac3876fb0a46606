/** Decode-only: protobufjs decode + mapping to LogEntry of the same request bytes, in this process, no transport. */
import { decodeExportRequest } from '../src/otlp/decode.js';
import { mapExportRequest } from '../src/otlp/map-log-record.js';

/** Records per second over `seconds`, after a short warm-up (JIT). */
export function decodeOnlyRate(requests: readonly Buffer[], seconds: number): number {
  const arrival = Date.now();
  const decode = (i: number): number => mapExportRequest(decodeExportRequest(requests[i % requests.length]!), arrival).entries.length;
  for (let i = 0; i < 2 * requests.length; i++) decode(i);
  let records = 0;
  const started = process.hrtime.bigint();
  const until = Date.now() + seconds * 1_000;
  for (let i = 0; Date.now() < until; i++) records += decode(i);
  return records / (Number(process.hrtime.bigint() - started) / 1e9);
}
