import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

describe('queue configuration', () => {
  it('defaults to 16 shards, 100000 records of backlog per shard, a 30 s claim idle time, 5 deliveries and a 2 min retry window', () => {
    expect(loadConfig({}).queue).toEqual({ shards: 16, maxBacklog: 100_000, claimIdleSeconds: 30, maxDeliveries: 5, retryWindowMs: 120_000 });
  });

  it('reads ANOMALOG_SHARDS, ANOMALOG_MAX_BACKLOG, ANOMALOG_CLAIM_IDLE, ANOMALOG_MAX_DELIVERIES and ANOMALOG_RETRY_WINDOW', () => {
    expect(
      loadConfig({ ANOMALOG_SHARDS: '4', ANOMALOG_MAX_BACKLOG: '500', ANOMALOG_CLAIM_IDLE: '2.5', ANOMALOG_MAX_DELIVERIES: '3', ANOMALOG_RETRY_WINDOW: '5m' }).queue,
    ).toEqual({ shards: 4, maxBacklog: 500, claimIdleSeconds: 2.5, maxDeliveries: 3, retryWindowMs: 300_000 });
    expect(loadConfig({ ANOMALOG_RETRY_WINDOW: '0' }).queue.retryWindowMs).toBe(0);
  });

  it('names the variable when a queue setting is malformed', () => {
    expect(() => loadConfig({ ANOMALOG_SHARDS: '0' })).toThrow(/ANOMALOG_SHARDS/);
    expect(() => loadConfig({ ANOMALOG_SHARDS: '2.5' })).toThrow(/ANOMALOG_SHARDS/);
    expect(() => loadConfig({ ANOMALOG_MAX_BACKLOG: 'lots' })).toThrow(/ANOMALOG_MAX_BACKLOG/);
    expect(() => loadConfig({ ANOMALOG_CLAIM_IDLE: '-1' })).toThrow(/ANOMALOG_CLAIM_IDLE/);
    expect(() => loadConfig({ ANOMALOG_MAX_DELIVERIES: '0' })).toThrow(/ANOMALOG_MAX_DELIVERIES/);
    expect(() => loadConfig({ ANOMALOG_RETRY_WINDOW: 'a while' })).toThrow(/ANOMALOG_RETRY_WINDOW/);
    expect(() => loadConfig({ ANOMALOG_RETRY_WINDOW: '2d' })).toThrow(/ANOMALOG_RETRY_WINDOW/);
  });
});
