/**
 * `anomalog_queue_backlog_records{shard}`: records queued and not yet
 * acknowledged, read from Redis at scrape time. Registered once per process,
 * whatever its role, so receivers and workers both show the backlog.
 */
import type { Redis } from 'ioredis';
import prom from 'prom-client';
import type { Logger } from '../logger.js';
import { createQueueKeys } from '../redis-keys.js';

export function registerBacklogGauge(deps: { redis: Redis; shards: number; prefix?: string; registry: prom.Registry; logger: Logger }): void {
  const { redis, shards, logger } = deps;
  const keys = createQueueKeys(deps.prefix);
  new prom.Gauge({
    name: 'anomalog_queue_backlog_records',
    help: 'Log records queued and not yet acknowledged by a worker, by shard (absent while Redis is unreachable)',
    labelNames: ['shard'],
    registers: [deps.registry],
    async collect() {
      this.reset();
      // A scrape must not wait for a reconnect, nor fail /metrics: no samples says "unknown".
      if (redis.status !== 'ready') return;
      try {
        const values = await redis.mget(Array.from({ length: shards }, (_v, s) => keys.backlog(s)));
        values.forEach((v, s) => this.set({ shard: String(s) }, Number(v ?? 0)));
      } catch (error) {
        logger.warn({ err: error }, 'could not read the queue backlog for metrics');
      }
    },
  });
}
