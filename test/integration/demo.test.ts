/** `anomalog demo`, the README's first command: runs the built CLI and must finish within a minute. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI_PATH } from '../helpers/anomalog-process.js';

describe('anomalog demo', () => {
  it('learns, stays quiet, then reports the novel payment-gateway error and the inventory spike, in under a minute', async () => {
    const started = Date.now();
    const { stdout } = await promisify(execFile)(process.execPath, [CLI_PATH, 'demo'], { timeout: 60_000 });
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(stdout).toContain('quiet phase over: no anomalies, as expected');
    expect(stdout).toMatch(/ANOMALY new_pattern in payment-gateway \(error, score 0\.\d+\): New ERROR pattern in payment-gateway/);
    expect(stdout).toMatch(/ANOMALY frequency_spike in inventory/);
    expect(stdout).toMatch(/→ Slack: .*payment-gateway/);
  }, 70_000);
});
