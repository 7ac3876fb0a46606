/**
 * The benchmark's load generator, run as a separate process (fork): keeps
 * `concurrency` Export calls in flight over grpc-js for `seconds` and reports
 * the records acknowledged. argv: port seconds concurrency.
 */
import { Client, credentials } from '@grpc/grpc-js';
import { RECORDS_PER_REQUEST, buildBenchRequest } from './ingest-request.js';

const [port, seconds, concurrency] = process.argv.slice(2).map(Number) as [number, number, number];
const EXPORT_PATH = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';
const identity = (b: Buffer): Buffer => b;

const requests = Array.from({ length: 8 }, (_v, i) => buildBenchRequest(i));
const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), { 'grpc.max_send_message_length': -1 });

function send(body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(EXPORT_PATH, identity, identity, body, (error) => (error ? reject(error) : resolve()));
  });
}

async function worker(until: number, counter: { records: number }, offset: number): Promise<void> {
  for (let n = offset; Date.now() < until; n++) {
    await send(requests[n % requests.length]!);
    counter.records += RECORDS_PER_REQUEST;
  }
}

async function main(): Promise<void> {
  // Warm-up: connection, JIT on both sides.
  const warm = { records: 0 };
  await Promise.all(Array.from({ length: concurrency }, (_v, i) => worker(Date.now() + 1_000, warm, i)));
  const counter = { records: 0 };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, (_v, i) => worker(Date.now() + seconds * 1_000, counter, i)));
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  client.close();
  process.send!({ records: counter.records, warmupRecords: warm.records, seconds: elapsed, requestBytes: requests[0]!.length });
}

main().catch((error: unknown) => {
  process.send!({ error: String(error) });
  process.exitCode = 1;
});
