/**
 * The dead letters of the detection pipeline in the dead_letters table: what
 * the pipeline sets aside (an export whose detection keeps failing, anomalies
 * a step keeps refusing) is stored there, listed for operators, and fed back
 * to the pipeline on replay.
 */
import type prom from 'prom-client';
import { DEAD_LETTER_LIMIT, deadLetterMetrics, errorText, type DeadLetters } from '../dead-letter.js';
import type { LogEntry } from '../log-entry.js';
import type { Logger } from '../logger.js';
import type { Anomaly } from '../anomaly.js';
import { decodeEntries, encodeEntries } from '../queue/entry-codec.js';
import type { DeadLetterRepo } from '../store/dead-letter-repo.js';
import type { FailedWork } from './detection-pipeline.js';

/** Where replayed work goes. */
export interface Requeue {
  entries(entries: LogEntry[]): Promise<void>;
  anomalies(anomalies: Anomaly[]): Promise<void>;
}

export interface StoredDeadLetters {
  /** The pipeline's dead-letter sink. */
  add(work: FailedWork, failure: { error: unknown; deliveries: number }): Promise<void>;
  /** The operators' view, replaying into `requeue`. */
  view(requeue: Requeue): DeadLetters;
}

export function createStoredDeadLetters(deps: { repo: DeadLetterRepo; logger: Logger; registry?: prom.Registry }): StoredDeadLetters {
  const { repo, logger } = deps;
  const metrics = deadLetterMetrics(deps.registry);
  return {
    async add(work, { error, deliveries }) {
      const letter =
        work.kind === 'entries'
          ? { source: 'export', kind: work.kind, records: work.entries.length, payload: encodeEntries(work.entries) }
          : { source: `anomalies/${work.stage}`, kind: work.kind, records: work.anomalies.length, payload: JSON.stringify(work.anomalies) };
      const { id, dropped } = await repo.add({ ...letter, error: errorText(error), deliveries });
      metrics.deadLettered.inc();
      logger.info({ deadLetterId: id, source: letter.source, records: letter.records }, 'dead letter stored');
      if (dropped > 0) {
        metrics.dropped.inc(dropped);
        logger.warn({ dropped, limit: DEAD_LETTER_LIMIT }, 'dead letters full: dropped the oldest');
      }
    },

    view: (requeue) => ({
      list: (limit) => repo.list(limit),
      async replay(id) {
        const letter = await repo.get(id);
        if (!letter) return false;
        if (letter.kind === 'entries') await requeue.entries(decodeEntries(letter.payload));
        else await requeue.anomalies(JSON.parse(letter.payload) as Anomaly[]);
        // Removed only once handled: a failure leaves it here to try again.
        await repo.remove(id);
        logger.info({ deadLetterId: id, source: letter.source, records: letter.records }, 'dead letter replayed');
        return true;
      },
    }),
  };
}
