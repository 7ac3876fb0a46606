/**
 * Bounds the memory held by HTTP request bodies that are still arriving: the
 * bytes buffered by every upload in progress, summed. A slow upload holds only
 * what it has sent, so many slow clients cost little; many large uploads at
 * once are refused (503, retry later) instead of growing the heap.
 */
import type { Gauge } from 'prom-client';

/** The budget, in request bodies of ANOMALOG_MAX_REQUEST_BYTES. */
export const RECEIVE_BUDGET_BODIES = 4;

export interface ReceiveBudget {
  /** Take `bytes` from the budget; false (and nothing taken) when they do not fit. */
  tryReserve(bytes: number): boolean;
  release(bytes: number): void;
}

export function createReceiveBudget(maxBytes: number, gauge: Gauge): ReceiveBudget {
  let used = 0;
  return {
    tryReserve(bytes) {
      if (used + bytes > maxBytes) return false;
      used += bytes;
      gauge.set(used);
      return true;
    },
    release(bytes) {
      used -= bytes;
      gauge.set(used);
    },
  };
}
