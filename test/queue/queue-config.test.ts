import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

describe('queue configuration', () => {
  it('defaults to 16 shards, 100000 records of backlog per shard, a 30 s claim idle time and 5 deliveries', () => {
    expect(loadConfig({}).queue).toEqual({ shards: 16, maxBacklog: 100_000, claimIdleSeconds: 30, maxDeliveries: 5 });
  });

  it('reads ANOMALOG_SHARDS, ANOMALOG_MAX_BACKLOG, ANOMALOG_CLAIM_IDLE and ANOMALOG_MAX_DELIVERIES', () => {
    expect(loadConfig({ ANOMALOG_SHARDS: '4', ANOMALOG_MAX_BACKLOG: '500', ANOMALOG_CLAIM_IDLE: '2.5', ANOMALOG_MAX_DELIVERIES: '3' }).queue).toEqual({ shards: 4, maxBacklog: 500, claimIdleSeconds: 2.5, maxDeliveries: 3 });
  });

  it('names the variable when a queue setting is malformed', () => {
    expect(() => loadConfig({ ANOMALOG_SHARDS: '0' })).toThrow(/ANOMALOG_SHARDS/);
    expect(() => loadConfig({ ANOMALOG_SHARDS: '2.5' })).toThrow(/ANOMALOG_SHARDS/);
    expect(() => loadConfig({ ANOMALOG_MAX_BACKLOG: 'lots' })).toThrow(/ANOMALOG_MAX_BACKLOG/);
    expect(() => loadConfig({ ANOMALOG_CLAIM_IDLE: '-1' })).toThrow(/ANOMALOG_CLAIM_IDLE/);
    expect(() => loadConfig({ ANOMALOG_MAX_DELIVERIES: '0' })).toThrow(/ANOMALOG_MAX_DELIVERIES/);
  });
});
