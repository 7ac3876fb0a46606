/**
 * Copies pattern changes from the detector to the `log_patterns` table. Runs
 * off the hot path on a timer; rows that fail to write are kept (newest
 * version per id) and retried on the next flush.
 */
import type { Logger } from '../logger.js';

export function createPatternMirror<Row extends { id: string }>(deps: {
  drain: () => Row[];
  upsert: (rows: Row[]) => Promise<void>;
  logger: Logger;
}) {
  const waiting = new Map<string, Row>();
  let running: Promise<void> | undefined;

  async function write(): Promise<void> {
    for (const row of deps.drain()) waiting.set(row.id, row);
    if (waiting.size === 0) return;
    const rows = [...waiting.values()];
    waiting.clear();
    try {
      await deps.upsert(rows);
    } catch (error) {
      // Keep any newer version that arrived while we were writing.
      for (const row of rows) if (!waiting.has(row.id)) waiting.set(row.id, row);
      deps.logger.warn({ err: (error as Error).message, patterns: waiting.size }, 'pattern mirror write failed; will retry');
    }
  }

  return {
    /** One write at a time; a flush during a write waits for it, then writes again. */
    async flush(): Promise<void> {
      while (running) await running;
      running = write().finally(() => {
        running = undefined;
      });
      await running;
    },
    pending: () => waiting.size,
  };
}
