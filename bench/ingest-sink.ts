/**
 * The transport's ceiling, not the product: the receiver in this process
 * handing decoded records to a counting sink (no detection, no storage) under
 * the same load client and bytes. Checks that the sink saw every acknowledged record.
 */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '../src/config.js';
import { LOOPBACK_ANY_PORT } from '../src/demo/loopback.js';
import { mappedInto } from '../src/otlp/accepted-export.js';
import { createCountingSink } from '../src/receiver/counting-sink.js';
import { createReceiver } from '../src/receiver/receiver.js';
import { startIngestLoad } from './ingest-load.js';
import { measureWindow, type WindowResult } from './ingest-window.js';
import { track } from './scale-cleanup.js';
import { sleep } from './scale-report.js';

export async function measureSink(plan: { requests: readonly Buffer[]; runs: number; seconds: number; warmupSeconds: number; concurrency: number }): Promise<WindowResult[]> {
  const config = loadConfig({ ...LOOPBACK_ANY_PORT, ANOMALOG_LOG_LEVEL: 'silent' });
  const sink = createCountingSink();
  const receiver = createReceiver({ config, sink: mappedInto(sink.pipeline), logger: pino({ level: 'silent' }), registry: new Registry() });
  const { grpcPort } = await receiver.start();
  const stopReceiver = track(() => receiver.stop());
  try {
    const load = await startIngestLoad(grpcPort, plan.requests);
    const stopLoad = track(() => load.close());
    try {
      load.start(plan.concurrency);
      await sleep(plan.warmupSeconds * 1_000);
      const windows: WindowResult[] = [];
      const probes = { load, processes: { receiver: [process.pid], client: [load.pid] } };
      for (let run = 0; run < plan.runs; run++) windows.push(await measureWindow(probes, plan.seconds));
      const final = await load.stop();
      if (sink.count() !== final.acked) throw new Error(`the counting sink got ${sink.count()} records, the client had ${final.acked} acknowledged`);
      return windows;
    } finally {
      await stopLoad();
    }
  } finally {
    await stopReceiver();
  }
}
