/**
 * The receiver's (or worker's) pipeline in the running service: detect, commit
 * anomalies to Postgres, then — once per anomaly — log it, hand it to the alert
 * manager and publish it as an OTLP event carrying the incident it joined.
 *
 * An export is acknowledged only after its anomalies are committed and alerted.
 * When a dependency is down (isTransient), what a step was given stays in
 * memory and goes with the next attempt, and the export is refused
 * (UNAVAILABLE / 503) so the exporter retries: the detector has already
 * learned the records, so a retried request would not find them again. A batch
 * processed again (a worker crash, a shard that moved) finds its anomalies
 * already stored and alerted, and repeats none of their effects.
 *
 * Work that fails for what it is never blocks the work behind it. A step that
 * fails so is tried again one anomaly at a time, so the others go on; an
 * anomaly that keeps failing is, after maxDeliveries attempts, either left to
 * its stored batch (a stream entry, which the worker retries and dead-letters)
 * or, with no stored batch behind it (the embedded default), set aside in the
 * dead letters. An export whose detection keeps failing is dead-lettered whole.
 */
import { errorText } from '../dead-letter.js';
import { isTransient } from '../errors.js';
import type { Logger } from '../logger.js';
import type { LogEntry, Pipeline } from '../log-entry.js';
import type { Anomaly } from '../anomaly.js';
import { batchSources, joinParts, type BatchSources, type StoredPart } from '../pipeline/batch-sources.js';

/** The steps after detection, in order. */
const STAGES = ['commit', 'alert', 'mark'] as const;
export type Stage = (typeof STAGES)[number];

/** Work set aside after failing maxDeliveries times. */
export type FailedWork = { kind: 'entries'; entries: LogEntry[] } | { kind: 'anomalies'; stage: Stage; anomalies: Anomaly[] };

/** An anomaly of a stored batch failed for what it is: the batch fails, for its worker to count. */
export class AnomalyRefusedError extends Error {
  readonly code = 'ANOMALOG_ANOMALY_REFUSED';
}

export interface DetectionPipelineDeps {
  detect(entries: readonly LogEntry[], sources?: BatchSources): Promise<Anomaly[]>;
  /** Stores the anomalies (an id already stored is kept) and resolves with those not yet alerted. */
  commit(anomalies: Anomaly[]): Promise<Anomaly[]>;
  /** Resolves with the anomalies as alerted: each with the incident it joined. */
  alert(anomalies: Anomaly[]): Promise<Anomaly[]>;
  /** Records that these anomalies reached the alert manager (and their incidents). */
  markAlerted(anomalies: Anomaly[]): Promise<void>;
  /** Best effort with its own retry queue: never blocks ingestion. */
  publish?(anomalies: Anomaly[]): void;
  observe?(anomalies: Anomaly[]): void;
  /** Stores work that kept failing; resolves once it is durable. */
  deadLetter(work: FailedWork, failure: { error: unknown; deliveries: number }): Promise<void>;
  /** Attempts at one piece of work that fail for what it is before it is set aside (ANOMALOG_MAX_DELIVERIES). */
  maxDeliveries: number;
  logger: Logger;
  now?: () => number;
}

export interface DetectionPipeline {
  pipeline: Pipeline;
  /** The same for stored ingest batches, detected together; any of them may be a redelivery. */
  processBatch: (parts: readonly StoredPart[]) => Promise<void>;
  /** Anomalies taken from the dead letters: committed and alerted like new ones. */
  requeue: (anomalies: Anomaly[]) => Promise<void>;
  /** Anomalies detected whose commit, alert or mark is still to do (an outage is in progress). */
  backlog: () => number;
  /** Since when the oldest unfinished work waits: a held anomaly or a running export (ms since the epoch). */
  oldestPendingAt: () => number | undefined;
  /** Finish whatever is pending (used at shutdown and to retry after an outage). */
  flush: () => Promise<void>;
}

interface Held {
  anomaly: Anomaly;
  /** When it was detected. */
  since: number;
  /** The stored batches it was detected in (their label), if any: they can bring it back. */
  origin: string | undefined;
  /** Failures at the current stage that were not outages. */
  failures: number;
}

export function createDetectionPipeline(deps: DetectionPipelineDeps): DetectionPipeline {
  const { logger, maxDeliveries } = deps;
  const now = deps.now ?? Date.now;
  const queues: Record<Stage, Held[]> = { commit: [], alert: [], mark: [] };
  /** What each stage does with a batch: resolves with the anomalies that go on to the next stage. */
  const steps: Record<Stage, (anomalies: Anomaly[]) => Promise<Anomaly[]>> = {
    commit: (anomalies) => deps.commit(anomalies),
    alert: (anomalies) => deps.alert(anomalies),
    mark: async (anomalies) => {
      await deps.markAlerted(anomalies);
      return [];
    },
  };
  const running = new Map<symbol, number>();
  /** The stored batch being processed, and the failure of one of its anomalies, if any. */
  let current: { source: string | undefined; failure?: { stage: Stage; error: unknown } } = { source: undefined };
  // One batch at a time: detection is CPU-bound and ordered per service, and
  // the pending lists must not be drained by two calls at once.
  let tail: Promise<unknown> = Promise.resolve();

  function backlog(): number {
    return queues.commit.length + queues.alert.length + queues.mark.length;
  }

  function serialized<T>(work: () => Promise<T>): Promise<T> {
    const token = Symbol('work');
    running.set(token, now());
    const run = tail.then(work, work).finally(() => running.delete(token));
    tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Runs a stage over its queue, handing what passes on to the next stage. An
   * outage puts the rest back, in order, and rejects. A failure of the work
   * itself is narrowed down to the anomalies that cause it, which are counted
   * (see failed()) while the others go on.
   */
  async function runStage(stage: Stage): Promise<void> {
    const queue = queues[stage];
    if (queue.length === 0) return;
    const batch = queue.splice(0);
    try {
      passed(stage, batch, await steps[stage](batch.map((h) => h.anomaly)));
      return;
    } catch (error) {
      if (isTransient(error)) {
        queue.unshift(...batch);
        throw error;
      }
      if (batch.length === 1) return failed(stage, batch[0]!, error);
    }
    const refused: Array<[Held, unknown]> = [];
    for (let i = 0; i < batch.length; i++) {
      const held = batch[i]!;
      try {
        passed(stage, [held], await steps[stage]([held.anomaly]));
      } catch (error) {
        if (isTransient(error)) {
          queue.unshift(...refused.map(([h]) => h), ...batch.slice(i));
          throw error;
        }
        refused.push([held, error]);
      }
    }
    for (const [held, error] of refused) await failed(stage, held, error);
  }

  /** Hands what a stage let through (of `batch`, the anomalies in `result`) to the next stage. */
  function passed(stage: Stage, batch: Held[], result: Anomaly[]): void {
    if (result.length === 0) return;
    const byId = new Map(batch.map((h) => [h.anomaly.id, h]));
    const through = result.map((anomaly) => ({ ...byId.get(anomaly.id)!, anomaly, failures: 0 }));
    if (stage === 'commit') {
      announce(result);
      queues.alert.push(...through);
    } else if (stage === 'alert') {
      publish(result);
      queues.mark.push(...through);
    }
  }

  /**
   * An anomaly a stage refused for what it is. One with a stored batch behind
   * it is dropped: the batch fails, stays queued and brings it back. Others go
   * back to the stage until they have failed maxDeliveries times, then to the
   * dead letters.
   */
  async function failed(stage: Stage, held: Held, error: unknown): Promise<void> {
    held.failures++;
    const { anomaly } = held;
    const context = { stage, anomalyId: anomaly.id, service: anomaly.service, failures: held.failures, err: error };
    if (held.origin !== undefined) {
      if (held.origin === current.source) current.failure = { stage, error };
      logger.warn({ ...context, source: held.origin }, 'anomaly refused; its stored batch will be retried');
      return;
    }
    if (held.failures < maxDeliveries) {
      logger.warn(context, 'anomaly refused; retrying it');
      queues[stage].push(held);
      return;
    }
    try {
      await deps.deadLetter({ kind: 'anomalies', stage, anomalies: [anomaly] }, { error, deliveries: held.failures });
    } catch (storeError) {
      if (isTransient(storeError)) {
        // Kept for the next attempt, which fails it once more and stores it then.
        queues[stage].push(held);
        throw storeError;
      }
      // Holding it would block every anomaly behind it for good.
      logger.error({ ...context, storeError, lost: anomaly }, `anomaly failed ${held.failures} times at ${stage} and the dead letters refused it: dropped`);
      return;
    }
    logger.error(context, `anomaly failed ${held.failures} times at ${stage}: moved to the dead letters (see \`anomalog dead-letters\`)`);
  }

  function announce(fresh: Anomaly[]): void {
    for (const anomaly of fresh) {
      logger.warn({ anomalyId: anomaly.id, kind: anomaly.kind, service: anomaly.service, score: anomaly.score, patternId: anomaly.patternId }, anomaly.reason);
    }
    listen(() => deps.observe?.(fresh), fresh.length);
  }

  /** Events go out once the alert manager has told each anomaly's incident. */
  function publish(alerted: Anomaly[]): void {
    listen(() => deps.publish?.(alerted), alerted.length);
  }

  /** Best effort: a failing listener must not hold back the anomalies. */
  function listen(call: () => void, anomalies: number): void {
    try {
      call();
    } catch (error) {
      logger.error({ err: error, anomalies }, 'anomaly listener failed');
    }
  }

  /** Every stage once; true when some anomaly was refused and waits for another try. */
  async function drainOnce(): Promise<boolean> {
    for (const stage of STAGES) await runStage(stage);
    return backlog() > 0;
  }

  /** Drains until everything passed, was set aside, or an outage stops it; every round counts a failure of each refused anomaly, so this ends. */
  async function drain(): Promise<void> {
    while (await drainOnce());
  }

  /** Detection, tried again on a failure that is not an outage; a stored batch's failure is its worker's to count. */
  async function detect(entries: readonly LogEntry[], sources: BatchSources | undefined): Promise<Anomaly[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await deps.detect(entries, sources);
      } catch (error) {
        if (sources !== undefined || isTransient(error)) throw error;
        if (attempt < maxDeliveries) {
          logger.warn({ err: error, records: entries.length, attempt }, 'detection failed; retrying the export');
          continue;
        }
        await deps.deadLetter({ kind: 'entries', entries: [...entries] }, { error, deliveries: attempt });
        logger.error({ err: error, records: entries.length, deliveries: attempt }, `export failed detection ${attempt} times: moved to the dead letters`);
        return [];
      }
    }
  }

  function enqueue(anomalies: Anomaly[], origin: string | undefined): void {
    // A retried batch finds its anomalies again while they still wait here.
    const waiting = new Set([...queues.commit, ...queues.alert, ...queues.mark].map((h) => h.anomaly.id));
    const since = now();
    for (const anomaly of anomalies) if (!waiting.has(anomaly.id)) queues.commit.push({ anomaly, since, origin, failures: 0 });
  }

  const process = (entries: readonly LogEntry[], sources?: BatchSources) =>
    serialized(async () => {
      const source = sources?.label;
      current = { source };
      try {
        enqueue(await detect(entries, sources), source);
        await drain();
        const { failure } = current;
        if (failure) throw new AnomalyRefusedError(`an anomaly of batch ${source} failed at ${failure.stage}: ${errorText(failure.error)}`, { cause: failure.error });
      } finally {
        current = { source: undefined };
      }
    });

  return {
    pipeline: (entries) => process(entries),
    processBatch: (parts) => process(joinParts(parts), batchSources(parts)),
    requeue: (anomalies) =>
      serialized(async () => {
        enqueue(anomalies, undefined);
        await drain();
      }),
    backlog,
    oldestPendingAt: () => {
      let oldest: number | undefined;
      for (const since of [...running.values(), ...Object.values(queues).flatMap((q) => q.map((h) => h.since))]) {
        if (oldest === undefined || since < oldest) oldest = since;
      }
      return oldest;
    },
    flush: () => serialized(drain),
  };
}
