/**
 * /readyz: whether this process can do its work now. Each check names a part
 * and says why when it cannot: a store that fails, the embeddings provider
 * down, or work that has waited longer than ANOMALOG_STUCK_AFTER. Every check
 * is re-run on each request, so readiness comes back by itself with the part.
 */
import type { Redis } from 'ioredis';
import { errorText } from '../dead-letter.js';
import type { Embedder } from '../embeddings/embedder.js';
import type { Readiness } from '../receiver/receiver.js';
import type { Queryable } from '../store/database.js';
import type { StreamWorker } from '../worker/stream-worker.js';
import type { DetectionPipeline } from './detection-pipeline.js';

export interface CheckResult {
  ok: boolean;
  detail: string;
}

export interface ReadinessCheck {
  name: string;
  run(): Promise<CheckResult> | CheckResult;
}

export function createReadiness(checks: readonly ReadinessCheck[]): Readiness {
  return {
    async check() {
      const results = await Promise.all(
        checks.map(async (c): Promise<[string, CheckResult]> => {
          try {
            return [c.name, await c.run()];
          } catch (error) {
            return [c.name, { ok: false, detail: `check failed: ${errorText(error)}` }];
          }
        }),
      );
      return { ready: results.every(([, r]) => r.ok), checks: Object.fromEntries(results.map(([name, r]) => [name, r.detail])) };
    },
  };
}

/** Why work is stuck, or undefined while its oldest unfinished part is younger than the bound. */
function stuckReason(oldestAt: number | undefined, stuckAfterMs: number, now = Date.now()): string | undefined {
  if (oldestAt === undefined || now - oldestAt <= stuckAfterMs) return undefined;
  return `stuck: the oldest unfinished work has waited ${Math.round((now - oldestAt) / 1000)}s (ANOMALOG_STUCK_AFTER ${Math.round(stuckAfterMs / 1000)}s)`;
}

export function databaseCheck(db: Queryable): ReadinessCheck {
  return {
    name: 'database',
    async run() {
      try {
        await db.query('SELECT 1');
        return { ok: true, detail: 'ok' };
      } catch (error) {
        return { ok: false, detail: `query failed: ${errorText(error)}` };
      }
    },
  };
}

export function redisCheck(redis: Pick<Redis, 'status'>): ReadinessCheck {
  return { name: 'redis', run: () => ({ ok: redis.status === 'ready', detail: redis.status }) };
}

/** Only for an embedder that can be down (a remote provider); the local one cannot. */
export function embedderCheck(embedder: Embedder): ReadinessCheck | undefined {
  const status = embedder.status?.bind(embedder);
  if (!status) return undefined;
  return { name: 'embeddings', run: () => status() };
}

/** The detection pipeline: anomalies held for an outage, and whether its oldest work is stuck. */
export function pipelineCheck(pipeline: Pick<DetectionPipeline, 'backlog' | 'oldestPendingAt'>, stuckAfterMs: number): ReadinessCheck {
  return {
    name: 'pipeline',
    run() {
      const stuck = stuckReason(pipeline.oldestPendingAt(), stuckAfterMs);
      const held = `${pipeline.backlog()} anomalies held`;
      return stuck ? { ok: false, detail: `${stuck}; ${held}` } : { ok: true, detail: held };
    },
  };
}

/** A stream worker: its Redis loop, its last handler error, and whether its oldest unfinished batch is stuck. */
export function workerCheck(worker: Pick<StreamWorker, 'status'>, stuckAfterMs: number): ReadinessCheck {
  return {
    name: 'worker',
    run() {
      const s = worker.status();
      const stuck = stuckReason(s.oldestPendingAt, stuckAfterMs);
      const detail = `redis ${s.redis}, handler ${s.handler}, ${s.leases} shard leases`;
      return { ok: s.redis === 'ok' && stuck === undefined, detail: stuck ? `${stuck}; ${detail}` : detail };
    },
  };
}
