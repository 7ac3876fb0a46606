import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../../src/log-entry.js';
import type { Anomaly } from '../../src/pipeline/anomaly.js';
import { createDetectionPipeline } from '../../src/service/detection-pipeline.js';

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

describe('detection pipeline', () => {
  it('refuses the export while the database is down and commits the held anomalies on the next export', async () => {
    const committed: string[] = [];
    const alerted: string[] = [];
    let databaseUp = false;
    const { pipeline, backlog } = createDetectionPipeline({
      // Like the real detector: a message yields an anomaly only the first time it is seen.
      detect: (() => {
        const seen = new Set<string>();
        return async (entries: LogEntry[]) => entries.filter((e) => !seen.has(e.message) && seen.add(e.message)).map((e) => anomaly(e.message));
      })(),
      commit: async (anomalies) => {
        if (!databaseUp) throw new Error('connection refused');
        committed.push(...anomalies.map((a) => a.id));
      },
      alert: async (anomalies) => {
        alerted.push(...anomalies.map((a) => a.id));
      },
      logger,
    });

    await expect(pipeline([entry('a')])).rejects.toThrow('connection refused');
    expect(backlog()).toBe(1);
    databaseUp = true;
    // The exporter retries the same request: the detector no longer reports 'a', the held anomaly still lands.
    await pipeline([entry('a'), entry('b')]);
    expect(committed).toEqual(['a', 'b']);
    expect(alerted).toEqual(['a', 'b']);
    expect(backlog()).toBe(0);
  });

  it('keeps committed anomalies for alerting when the alert manager fails, without committing them twice', async () => {
    const committed: string[] = [];
    const alerted: string[] = [];
    let alertsUp = false;
    let n = 0;
    const { pipeline, flush } = createDetectionPipeline({
      detect: async () => [anomaly(`x${n++}`)],
      commit: async (anomalies) => void committed.push(...anomalies.map((a) => a.id)),
      alert: async (anomalies) => {
        if (!alertsUp) throw new Error('alerts table unreachable');
        alerted.push(...anomalies.map((a) => a.id));
      },
      logger,
    });
    await expect(pipeline([entry('1')])).rejects.toThrow('unreachable');
    alertsUp = true;
    await flush();
    expect(committed).toEqual(['x0']);
    expect(alerted).toEqual(['x0']);
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
      commit: async () => {},
      alert: async () => {},
      logger,
    });
    await Promise.all([pipeline([entry('1')]), pipeline([entry('2')])]);
    expect(order).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });
});
