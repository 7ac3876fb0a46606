/**
 * The receiver's pipeline in the running service: detect, commit anomalies to
 * Postgres, hand them to the alert manager and the OTLP events exporter.
 *
 * An export is acknowledged only after its anomalies are committed. When a
 * commit fails, the anomalies stay in memory and go with the next attempt, and
 * the export is refused (UNAVAILABLE / 503) so the exporter retries: the
 * detector has already learned the records, so a retried request would not find
 * them again.
 */
import type { Logger } from '../logger.js';
import type { LogEntry, Pipeline } from '../log-entry.js';
import type { Anomaly } from '../pipeline/anomaly.js';

export interface DetectionPipelineDeps {
  detect(entries: LogEntry[], source?: string): Promise<Anomaly[]>;
  commit(anomalies: Anomaly[]): Promise<void>;
  alert(anomalies: Anomaly[]): Promise<void>;
  /** Best effort with its own retry queue: never blocks ingestion. */
  publish?(anomalies: Anomaly[]): void;
  observe?(anomalies: Anomaly[]): void;
  logger: Logger;
}

export interface DetectionPipeline {
  pipeline: Pipeline;
  /** The same for one stored ingest batch (`shard/streamId`), which may be a redelivery. */
  processBatch(entries: LogEntry[], source: string): Promise<void>;
  /** Anomalies detected but not yet committed or alerted (an outage is in progress). */
  backlog(): number;
  /** Commit and alert whatever is pending (used at shutdown). */
  flush(): Promise<void>;
}

export function createDetectionPipeline(deps: DetectionPipelineDeps): DetectionPipeline {
  const uncommitted: Anomaly[] = [];
  const unalerted: Anomaly[] = [];
  // One batch at a time: detection is CPU-bound and ordered per service, and
  // the pending lists must not be drained by two calls at once.
  let tail: Promise<unknown> = Promise.resolve();

  async function drain(): Promise<void> {
    if (uncommitted.length > 0) {
      const batch = uncommitted.splice(0);
      try {
        await deps.commit(batch);
      } catch (error) {
        uncommitted.unshift(...batch);
        throw error;
      }
      for (const anomaly of batch) {
        deps.logger.warn(
          { anomalyId: anomaly.id, kind: anomaly.kind, service: anomaly.service, score: anomaly.score, patternId: anomaly.patternId },
          anomaly.reason,
        );
      }
      deps.publish?.(batch);
      deps.observe?.(batch);
      unalerted.push(...batch);
    }
    if (unalerted.length > 0) {
      const batch = unalerted.splice(0);
      try {
        await deps.alert(batch);
      } catch (error) {
        unalerted.unshift(...batch);
        throw error;
      }
    }
  }

  function serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  }

  const process = (entries: LogEntry[], source?: string) =>
    serialized(async () => {
      const found = await deps.detect(entries, source);
      // A retried batch finds its anomalies again while they still wait here.
      const waiting = new Set(uncommitted.map((a) => a.id));
      uncommitted.push(...found.filter((a) => !waiting.has(a.id)));
      await drain();
    });

  return {
    pipeline: (entries) => process(entries),
    processBatch: process,
    backlog: () => uncommitted.length + unalerted.length,
    flush: () => serialized(drain),
  };
}
