/** The pipeline until detection is wired: counts what it is handed. */
import type { Pipeline } from '../log-entry.js';

export function createCountingSink(): { pipeline: Pipeline; count(): number } {
  let total = 0;
  return {
    pipeline: (entries) => {
      total += entries.length;
      return Promise.resolve();
    },
    count: () => total,
  };
}
