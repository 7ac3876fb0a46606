import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../../src/log-entry.js';
import type { Anomaly } from '../../src/anomaly.js';
import type { BatchSources } from '../../src/pipeline/batch-sources.js';
import { DependencyUnavailableError } from '../../src/errors.js';
import { createDetectionPipeline, type DetectionPipelineDeps, type FailedWork } from '../../src/service/detection-pipeline.js';

const logger = pino({ level: 'silent' });

/** What node-postgres throws when Postgres is down. */
function connectionRefused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
}

/** The dead letters as the pipeline hands them over. */
function deadLetters() {
  const stored: Array<{ work: FailedWork; error: string; deliveries: number }> = [];
  return {
    stored,
    deps: {
      maxDeliveries: 3,
      deadLetter: async (work: FailedWork, failure: { error: unknown; deliveries: number }) => {
        stored.push({ work, error: (failure.error as Error).message, deliveries: failure.deliveries });
      },
    } satisfies Pick<DetectionPipelineDeps, 'deadLetter' | 'maxDeliveries'>,
  };
}

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
      if (opts.up && !opts.up()) throw connectionRefused();
      commits.push(anomalies.map((a) => a.id));
      for (const a of anomalies) if (!rows.has(a.id)) rows.set(a.id, { alerted: false });
      return anomalies.filter((a) => !rows.get(a.id)!.alerted);
    },
    alert: async (anomalies) => {
      alerted.push(...anomalies.map((a) => a.id));
      return anomalies;
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
  return async (entries: readonly LogEntry[], sources?: BatchSources) =>
    entries.filter((e) => sources !== undefined || (!seen.has(e.message) && seen.add(e.message))).map((e) => anomaly(e.message));
}

describe('detection pipeline', () => {
  it('refuses the export while the database is down and commits the held anomalies on the next export', async () => {
    let databaseUp = false;
    const table = fakeTable({ up: () => databaseUp });
    const { pipeline, backlog } = createDetectionPipeline({ detect: onceDetector(), ...table.deps, ...deadLetters().deps, logger });

    await expect(pipeline([entry('a')])).rejects.toThrow('ECONNREFUSED');
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
        if (!alertsUp) throw new DependencyUnavailableError('postgres', 'alerts table unreachable');
        return table.deps.alert(anomalies);
      },
      ...deadLetters().deps,
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
      ...deadLetters().deps,
      logger,
    });
    await processBatch([{ entries: [entry('boom')], source: '0/1-0' }]);
    // Another worker (or this one, after a crash) processes the same stored batch again.
    await processBatch([{ entries: [entry('boom')], source: '0/1-0' }]);
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
      ...deadLetters().deps,
      logger,
    });
    await Promise.all([pipeline([entry('1')]), pipeline([entry('2')])]);
    expect(order).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('dead-letters an export whose detection keeps failing after maxDeliveries attempts, acknowledges it, and serves the next', async () => {
    const letters = deadLetters();
    const table = fakeTable();
    let attempts = 0;
    const { pipeline, backlog } = createDetectionPipeline({
      detect: async (entries) => {
        if (entries.some((e) => e.message === 'poison')) {
          attempts++;
          throw new TypeError('cannot read properties of undefined');
        }
        return entries.map((e) => anomaly(e.message));
      },
      ...table.deps,
      ...letters.deps,
      logger,
    });
    await pipeline([entry('poison'), entry('x')]);
    expect(attempts).toBe(3);
    expect(letters.stored).toEqual([
      { work: { kind: 'entries', entries: [entry('poison'), entry('x')] }, error: 'cannot read properties of undefined', deliveries: 3 },
    ]);
    await pipeline([entry('fine')]);
    expect([...table.rows.keys()]).toEqual(['fine']);
    expect(backlog()).toBe(0);
  });

  it('refuses an export while the embeddings provider is down and dead-letters nothing, however often it is retried', async () => {
    const letters = deadLetters();
    let up = false;
    const table = fakeTable();
    const { pipeline } = createDetectionPipeline({
      detect: async (entries) => {
        if (!up) throw new DependencyUnavailableError('embeddings', 'provider down');
        return entries.map((e) => anomaly(e.message));
      },
      ...table.deps,
      ...letters.deps,
      logger,
    });
    for (let i = 0; i < 10; i++) await expect(pipeline([entry('a')])).rejects.toThrow('provider down');
    expect(letters.stored).toEqual([]);
    up = true;
    await pipeline([entry('a')]);
    expect([...table.rows.keys()]).toEqual(['a']);
  });

  it('sets aside an anomaly the database keeps refusing and commits the ones with it and after it', async () => {
    const letters = deadLetters();
    const table = fakeTable();
    const tries: string[][] = [];
    const { pipeline, backlog } = createDetectionPipeline({
      detect: onceDetector(),
      ...table.deps,
      commit: async (anomalies) => {
        tries.push(anomalies.map((a) => a.id));
        if (anomalies.some((a) => a.id === 'bad')) throw Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
        return table.deps.commit(anomalies);
      },
      ...letters.deps,
      logger,
    });
    await pipeline([entry('good'), entry('bad'), entry('also good')]);
    expect([...table.rows.keys()].sort()).toEqual(['also good', 'good']);
    expect(table.alerted.sort()).toEqual(['also good', 'good']);
    // The batch once, then each alone; 'bad' alone three times in all.
    expect(tries.filter((t) => t.length === 1 && t[0] === 'bad')).toHaveLength(3);
    expect(letters.stored).toHaveLength(1);
    expect(letters.stored[0]).toMatchObject({ work: { kind: 'anomalies', stage: 'commit', anomalies: [anomaly('bad')] }, deliveries: 3 });
    expect(letters.stored[0]!.error).toContain('0x00');
    expect(backlog()).toBe(0);

    await pipeline([entry('later')]);
    expect(table.rows.has('later')).toBe(true);
    expect(tries.at(-1)).toEqual(['later']);
  });

  it('fails a stored batch whose anomaly is refused, for its worker to count, without holding back the next batch', async () => {
    const letters = deadLetters();
    const table = fakeTable();
    const { processBatch, backlog } = createDetectionPipeline({
      detect: async (entries) => entries.map((e) => anomaly(e.message)),
      ...table.deps,
      commit: async (anomalies) => {
        if (anomalies.some((a) => a.id === 'bad')) throw new RangeError('value out of range');
        return table.deps.commit(anomalies);
      },
      ...letters.deps,
      logger,
    });
    await expect(processBatch([{ entries: [entry('bad'), entry('good')], source: '0/1-0' }])).rejects.toMatchObject({ code: 'ANOMALOG_ANOMALY_REFUSED' });
    expect(table.rows.has('good')).toBe(true);
    // The stored batch brings 'bad' back on its redelivery: nothing is held, nothing dead-lettered here.
    expect(backlog()).toBe(0);
    expect(letters.stored).toEqual([]);
    await processBatch([{ entries: [entry('next')], source: '0/2-0' }]);
    expect(table.rows.has('next')).toBe(true);
  });

  it('holds anomalies through an outage, reports since when, and puts back dead-lettered ones on requeue', async () => {
    let now = 1_000;
    let up = false;
    const table = fakeTable({ up: () => up });
    const { pipeline, requeue, oldestPendingAt, flush } = createDetectionPipeline({
      detect: onceDetector(),
      ...table.deps,
      ...deadLetters().deps,
      now: () => now,
      logger,
    });
    expect(oldestPendingAt()).toBeUndefined();
    await expect(pipeline([entry('a')])).rejects.toThrow('ECONNREFUSED');
    now = 5_000;
    await expect(pipeline([entry('b')])).rejects.toThrow('ECONNREFUSED');
    expect(oldestPendingAt()).toBe(1_000);
    up = true;
    await flush();
    expect(oldestPendingAt()).toBeUndefined();
    await requeue([anomaly('from the dead letters')]);
    expect(table.alerted).toEqual(['a', 'b', 'from the dead letters']);
  });

  it('counts a running export as pending work from when it arrived', async () => {
    let release: () => void = () => undefined;
    const { pipeline, oldestPendingAt } = createDetectionPipeline({
      detect: () => new Promise<Anomaly[]>((resolve) => (release = () => resolve([]))),
      ...fakeTable().deps,
      ...deadLetters().deps,
      now: () => 42,
      logger,
    });
    const running = pipeline([entry('slow')]);
    expect(oldestPendingAt()).toBe(42);
    await new Promise((r) => setTimeout(r, 10));
    release();
    await running;
    expect(oldestPendingAt()).toBeUndefined();
  });
});
