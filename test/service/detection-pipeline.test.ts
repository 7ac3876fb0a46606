import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../../src/log-entry.js';
import type { Anomaly } from '../../src/pipeline/anomaly.js';
import { createDetectionPipeline, type DetectionPipelineDeps } from '../../src/service/detection-pipeline.js';

const logger = pino({ level: 'silent' });

function anomaly(id: string): Anomaly {
  return {
    id, kind: 'new_pattern', service: 's', level: 'error', patternId: `p-${id}`, template: 't', message: 'm', samples: ['m'],
    score: 0.9, reason: 'r', traceId: '', spanId: '', timestamp: 0, detectedAt: 0, count: 1, attributes: {}, resource: {},
  };
}
const entry = (message: string): LogEntry => ({
  time: 0, service: 's', level: 'error', message, traceId: '', spanId: '', attributes: {}, resource: {}, scope: '',
});

/** A table of anomalies as the pipeline sees it: insert keeps the first row per id; alerted ones are not due again. */
function fakeTable(opts: { up?: () => boolean } = {}) {
  const rows = new Map<string, { alerted: boolean }>();
  const commits: string[][] = [];
  const alerted: string[] = [];
  const deps: Pick<DetectionPipelineDeps, 'commit' | 'alert' | 'markAlerted'> = {
    commit: async (anomalies) => {
      if (opts.up && !opts.up()) throw new Error('connection refused');
      commits.push(anomalies.map((a) => a.id));
      for (const a of anomalies) if (!rows.has(a.id)) rows.set(a.id, { alerted: false });
      return anomalies.filter((a) => !rows.get(a.id)!.alerted);
    },
    alert: async (anomalies) => {
      alerted.push(...anomalies.map((a) => a.id));
    },
    markAlerted: async (anomalies) => {
      for (const a of anomalies) rows.get(a.id)!.alerted = true;
    },
  };
  return { deps, rows, commits, alerted };
}

/** Like the real detector: a message yields an anomaly only the first time it is seen, unless the batch is redelivered. */
function onceDetector() {
  const seen = new Set<string>();
  return async (entries: LogEntry[], source?: string) =>
    entries.filter((e) => source !== undefined || (!seen.has(e.message) && seen.add(e.message))).map((e) => anomaly(e.message));
}

describe('detection pipeline', () => {
  it('refuses the export while the database is down and commits the held anomalies on the next export', async () => {
    let databaseUp = false;
    const table = fakeTable({ up: () => databaseUp });
    const { pipeline, backlog } = createDetectionPipeline({ detect: onceDetector(), ...table.deps, logger });

    await expect(pipeline([entry('a')])).rejects.toThrow('connection refused');
    expect(backlog()).toBe(1);
    databaseUp = true;
    // The exporter retries the same request: the detector no longer reports 'a', the held anomaly still lands.
    await pipeline([entry('a'), entry('b')]);
    expect([...table.rows.keys()]).toEqual(['a', 'b']);
    expect(table.alerted).toEqual(['a', 'b']);
    expect(backlog()).toBe(0);
  });

  it('keeps committed anomalies for alerting when the alert manager fails, without committing them twice', async () => {
    const table = fakeTable();
    let alertsUp = false;
    let n = 0;
    const { pipeline, flush } = createDetectionPipeline({
      detect: async () => [anomaly(`x${n++}`)],
      ...table.deps,
      alert: async (anomalies) => {
        if (!alertsUp) throw new Error('alerts table unreachable');
        await table.deps.alert(anomalies);
      },
      logger,
    });
    await expect(pipeline([entry('1')])).rejects.toThrow('unreachable');
    alertsUp = true;
    await flush();
    expect(table.commits).toEqual([['x0']]);
    expect(table.alerted).toEqual(['x0']);
  });

  it('repeats no alert, event or observation for a redelivered batch whose anomalies were already alerted', async () => {
    const table = fakeTable();
    const published: string[] = [];
    const { processBatch } = createDetectionPipeline({
      detect: onceDetector(),
      ...table.deps,
      publish: (anomalies) => published.push(...anomalies.map((a) => a.id)),
      logger,
    });
    await processBatch([entry('boom')], '0/1-0');
    // Another worker (or this one, after a crash) processes the same stored batch again.
    await processBatch([entry('boom')], '0/1-0');
    expect(table.commits).toEqual([['boom'], ['boom']]);
    expect(table.alerted).toEqual(['boom']);
    expect(published).toEqual(['boom']);
  });

  it('runs exports one at a time so concurrent calls do not interleave', async () => {
    const order: string[] = [];
    const { pipeline } = createDetectionPipeline({
      detect: async (entries) => {
        order.push(`start ${entries[0]!.message}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
        order.push(`end ${entries[0]!.message}`);
        return [];
      },
      ...fakeTable().deps,
      logger,
    });
    await Promise.all([pipeline([entry('1')]), pipeline([entry('2')])]);
    expect(order).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });
});
