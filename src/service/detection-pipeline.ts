/**
 * The receiver's (or worker's) pipeline in the running service: detect, commit
 * anomalies to Postgres, then — once per anomaly — log it, publish it as an OTLP
 * event and hand it to the alert manager.
 *
 * An export is acknowledged only after its anomalies are committed and alerted.
 * When a step fails, what it was given stays in memory and goes with the next
 * attempt, and the export is refused (UNAVAILABLE / 503) so the exporter
 * retries: the detector has already learned the records, so a retried request
 * would not find them again. A batch processed again (a worker crash, a shard
 * that moved) finds its anomalies already stored and alerted, and repeats none
 * of their effects.
 */
import type { Logger } from '../logger.js';
import type { LogEntry, Pipeline } from '../log-entry.js';
import type { Anomaly } from '../pipeline/anomaly.js';

export interface DetectionPipelineDeps {
  detect(entries: LogEntry[], source?: string): Promise<Anomaly[]>;
  /** Stores the anomalies (an id already stored is kept) and resolves with those not yet alerted. */
  commit(anomalies: Anomaly[]): Promise<Anomaly[]>;
  alert(anomalies: Anomaly[]): Promise<void>;
  /** Records that these anomalies reached the alert manager. */
  markAlerted(anomalies: Anomaly[]): Promise<void>;
  /** Best effort with its own retry queue: never blocks ingestion. */
  publish?(anomalies: Anomaly[]): void;
  observe?(anomalies: Anomaly[]): void;
  logger: Logger;
}

export interface DetectionPipeline {
  pipeline: Pipeline;
  /** The same for one stored ingest batch (`shard/streamId`), which may be a redelivery. */
  processBatch: (entries: LogEntry[], source: string) => Promise<void>;
  /** Anomalies detected whose commit, alert or mark is still to do (an outage is in progress). */
  backlog: () => number;
  /** Finish whatever is pending (used at shutdown). */
  flush: () => Promise<void>;
}

/** Runs `step` on everything in `queue`; on failure puts it back, in order, and rethrows. */
async function drainStep<T>(queue: Anomaly[], step: (batch: Anomaly[]) => Promise<T>): Promise<{ batch: Anomaly[]; result: T } | undefined> {
  if (queue.length === 0) return undefined;
  const batch = queue.splice(0);
  try {
    return { batch, result: await step(batch) };
  } catch (error) {
    queue.unshift(...batch);
    throw error;
  }
}

export function createDetectionPipeline(deps: DetectionPipelineDeps): DetectionPipeline {
  const uncommitted: Anomaly[] = [];
  const unalerted: Anomaly[] = [];
  const unmarked: Anomaly[] = [];
  // One batch at a time: detection is CPU-bound and ordered per service, and
  // the pending lists must not be drained by two calls at once.
  let tail: Promise<unknown> = Promise.resolve();

  async function drain(): Promise<void> {
    const committed = await drainStep(uncommitted, (batch) => deps.commit(batch));
    if (committed && committed.result.length > 0) {
      const fresh = committed.result;
      for (const anomaly of fresh) {
        deps.logger.warn(
          { anomalyId: anomaly.id, kind: anomaly.kind, service: anomaly.service, score: anomaly.score, patternId: anomaly.patternId },
          anomaly.reason,
        );
      }
      deps.publish?.(fresh);
      deps.observe?.(fresh);
      unalerted.push(...fresh);
    }
    const alerted = await drainStep(unalerted, (batch) => deps.alert(batch));
    if (alerted) unmarked.push(...alerted.batch);
    await drainStep(unmarked, (batch) => deps.markAlerted(batch));
  }

  function serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  }

  const process = (entries: LogEntry[], source?: string) =>
    serialized(async () => {
      const found = await deps.detect(entries, source);
      if (found.length > 0) {
        // A retried batch finds its anomalies again while they still wait here.
        const waiting = new Set([...uncommitted, ...unalerted, ...unmarked].map((a) => a.id));
        uncommitted.push(...found.filter((a) => !waiting.has(a.id)));
      }
      await drain();
    });

  return {
    pipeline: (entries) => process(entries),
    processBatch: process,
    backlog: () => uncommitted.length + unalerted.length + unmarked.length,
    flush: () => serialized(drain),
  };
}
