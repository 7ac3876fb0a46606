/**
 * `npm run bench:ingest`: OTLP/gRPC ingest into the counting sink from a separate
 * client process, against the decode-only rate (protobufjs decode + mapping) of
 * the same request bytes. Three runs; medians printed.
 */
import { fork } from 'node:child_process';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '../src/config.js';
import { decodeExportRequest } from '../src/otlp/decode.js';
import { mapExportRequest } from '../src/otlp/map-log-record.js';
import { createCountingSink } from '../src/receiver/counting-sink.js';
import { createReceiver } from '../src/receiver/receiver.js';
import { RECORDS_PER_REQUEST, buildBenchRequest } from './ingest-request.js';
import { LOOPBACK_ANY_PORT } from '../src/demo/loopback.js';

const RUNS = 3;
const SECONDS = 5;
const CONCURRENCY = 8;

interface ClientReport {
  records: number;
  warmupRecords: number;
  seconds: number;
  requestBytes: number;
  error?: string;
}

async function grpcRun(): Promise<{ rate: number; sinkMatches: boolean; requestBytes: number }> {
  const config = loadConfig({ ...LOOPBACK_ANY_PORT, ANOMALOG_LOG_LEVEL: 'silent' });
  const sink = createCountingSink();
  const receiver = createReceiver({ config, pipeline: sink.pipeline, logger: pino({ level: 'silent' }), registry: new Registry() });
  const { grpcPort } = await receiver.start();
  try {
    const child = fork(new URL('./ingest-client.js', import.meta.url), [String(grpcPort), String(SECONDS), String(CONCURRENCY)]);
    const report = await new Promise<ClientReport>((resolve, reject) => {
      child.once('message', (m) => resolve(m as ClientReport));
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`client exited with ${code} before reporting`)));
    });
    if (report.error) throw new Error(`client failed: ${report.error}`);
    return {
      rate: report.records / report.seconds,
      sinkMatches: sink.count() === report.records + report.warmupRecords,
      requestBytes: report.requestBytes,
    };
  } finally {
    await receiver.stop();
  }
}

function decodeOnlyRun(): number {
  const requests = Array.from({ length: 8 }, (_v, i) => buildBenchRequest(i));
  const arrival = Date.now();
  let records = 0;
  for (let i = 0; i < 200; i++) records += mapExportRequest(decodeExportRequest(requests[i % 8]!), arrival).entries.length;
  records = 0;
  const started = process.hrtime.bigint();
  const until = Date.now() + SECONDS * 1_000;
  for (let i = 0; Date.now() < until; i++) {
    records += mapExportRequest(decodeExportRequest(requests[i % 8]!), arrival).entries.length;
  }
  return records / (Number(process.hrtime.bigint() - started) / 1e9);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const grpc: number[] = [];
  const decode: number[] = [];
  const ratios: number[] = [];
  let requestBytes = 0;
  for (let run = 1; run <= RUNS; run++) {
    const result = await grpcRun();
    const decodeRate = decodeOnlyRun();
    requestBytes = result.requestBytes;
    if (!result.sinkMatches) throw new Error('the counting sink did not receive every acknowledged record');
    grpc.push(result.rate);
    decode.push(decodeRate);
    ratios.push(result.rate / decodeRate);
    console.log(`run ${run}: grpc ${fmt(result.rate)} records/s, decode-only ${fmt(decodeRate)} records/s, ratio ${(result.rate / decodeRate).toFixed(2)}`);
  }
  console.log(
    `\nOTLP/gRPC ingest, ${RECORDS_PER_REQUEST}-record requests (${fmt(requestBytes)} bytes), ${CONCURRENCY} in flight, ${SECONDS} s per run, node ${process.version}`,
  );
  console.log(`median of ${RUNS}: grpc ${fmt(median(grpc))} records/s, decode-only ${fmt(median(decode))} records/s, ratio ${median(ratios).toFixed(2)}`);
}

await main();
