/**
 * Dead letters: work that kept failing for what it is (not for an outage) and
 * was set aside so the work behind it goes on. Production keeps them in a Redis
 * stream beside the ingest queue, the embedded default in the dead_letters
 * table; both show them to operators the same way and can queue one again.
 */
import prom from 'prom-client';
import { cutText, safeText } from './text/safe-text.js';

/** Dead letters kept; the oldest are dropped (with a log line) beyond this. */
export const DEAD_LETTER_LIMIT = 10_000;

/** What an operator sees of one dead letter. */
export interface DeadLetter {
  id: string;
  /** ms since the epoch. */
  createdAt: number;
  /** Where the work came from: `shard/streamId` of a stored batch, `export`, or `anomalies/<stage>`. */
  source: string;
  records: number;
  /** Failed handlings before it was set aside. */
  deliveries: number;
  error: string;
}

export interface DeadLetters {
  /** Newest first. */
  list(limit: number): Promise<DeadLetter[]>;
  /** Queues the work again and removes the dead letter; false when there is no such dead letter. */
  replay(id: string): Promise<boolean>;
}

/** Several stores as one view: their ids never collide (each store answers false for ids not of its shape). */
export function mergeDeadLetters(stores: readonly DeadLetters[]): DeadLetters {
  return {
    async list(limit) {
      const all = (await Promise.all(stores.map((s) => s.list(limit)))).flat();
      return all.sort((a, b) => b.createdAt - a.createdAt).slice(0, limit);
    },
    async replay(id) {
      for (const store of stores) if (await store.replay(id)) return true;
      return false;
    },
  };
}

/** A dead letter that exists but cannot be queued again as it is. */
export class DeadLetterReplayError extends Error {
  readonly code = 'ANOMALOG_DEAD_LETTER_REPLAY';
}

/** A failure message as stored: any text, bounded. */
export function errorText(error: unknown): string {
  return cutText(safeText(error instanceof Error ? error.message : String(error)), 2_000);
}

function counter(registry: prom.Registry | undefined, name: string, help: string): prom.Counter {
  const existing = registry?.getSingleMetric(name);
  if (existing) return existing as prom.Counter;
  return new prom.Counter({ name, help, registers: registry ? [registry] : [] });
}

/** The dead letters' counters, shared by whichever parts of the process set work aside. */
export function deadLetterMetrics(registry: prom.Registry | undefined): { deadLettered: prom.Counter; dropped: prom.Counter } {
  return {
    deadLettered: counter(
      registry,
      'anomalog_dead_lettered_batches_total',
      'Batches (stream entries, exports or stuck anomalies) set aside as dead letters after failing ANOMALOG_MAX_DELIVERIES times',
    ),
    dropped: counter(registry, 'anomalog_dead_letters_dropped_total', `Oldest dead letters dropped to keep at most about ${DEAD_LETTER_LIMIT}`),
  };
}
