/**
 * The operator commands (`anomalog anomalies|patterns|mute|unmute`) against a
 * running service on the embedded default, through its HTTP API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli-runner.js';
import type { Anomaly } from '../../src/anomaly.js';
import { createSdkExporter, createSdkProvider } from '../helpers/otlp-sdk.js';
import { startTestService } from '../helpers/test-service.js';

describe('operator commands', () => {
  let url: string;
  let stop: (() => Promise<void>) | undefined;
  const detected: Anomaly[] = [];

  beforeAll(async () => {
    // Past learning at once: the first error is an anomaly.
    ({ url, stop } = await startTestService('cli', { ANOMALOG_LEARNING_PERIOD: '0' }, { onAnomalies: (a) => detected.push(...a) }));
    const provider = createSdkProvider(createSdkExporter('http/protobuf', { grpcUrl: '', httpUrl: url }), { 'service.name': 'billing' });
    const logger = provider.getLogger('test');
    logger.emit({ severityText: 'INFO', body: 'invoice 1234 sent to customer 77' });
    logger.emit({ severityText: 'ERROR', body: 'ledger export to warehouse failed: connection reset by peer' });
    await provider.forceFlush();
    await provider.shutdown();
  }, 60_000);

  afterAll(() => stop?.());

  it('lists recent anomalies as a table and as JSON', async () => {
    expect(detected.map((a) => a.kind)).toEqual(['new_pattern']);
    const table = await runCli(['anomalies', '--url', url, '--since', '1h']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^DETECTED\s+SERVICE\s+KIND\s+LEVEL\s+SCORE\s+PATTERN\s+REASON$/);
    expect(table.stdout).toContain('billing');
    expect(table.stdout).toContain('new_pattern');

    const json = await runCli(['anomalies', '--url', url, '--service', 'billing', '--json']);
    const rows = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ service: 'billing', kind: 'new_pattern', level: 'error', patternId: detected[0]!.patternId });

    const none = await runCli(['anomalies', '--url', url, '--service', 'nobody']);
    expect(none.stdout).toMatch(/^no anomalies since/);
  });

  it('lists patterns, mutes one for a while and unmutes it', async () => {
    const id = detected[0]!.patternId;
    const listed = await runCli(['patterns', '--url', url, '--service', 'billing', '--json']);
    const patterns = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    expect(patterns.map((p) => p.id)).toContain(id);
    expect(patterns.every((p) => !('centroid' in p))).toBe(true);

    const before = Date.now();
    const muted = await runCli(['mute', id, '--for', '7d', '--url', url]);
    expect(muted.code).toBe(0);
    expect(muted.stdout).toMatch(new RegExp(`^muted ${id} until \\d{4}-`));
    const after = JSON.parse((await runCli(['patterns', '--url', url, '--json'])).stdout) as Array<Record<string, unknown>>;
    const row = after.find((p) => p.id === id)!;
    expect(row.muted).toBe(true);
    expect(row.mutedUntil as number).toBeGreaterThanOrEqual(before + 7 * 86_400_000);

    const table = await runCli(['patterns', '--url', url]);
    expect(table.stdout).toMatch(new RegExp(`${id}.*until \\d{4}-`));

    expect((await runCli(['unmute', id, '--url', url])).code).toBe(0);
    const again = JSON.parse((await runCli(['patterns', '--url', url, '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(again.find((p) => p.id === id)!.muted).toBe(false);
  });

  it('says so when the pattern does not exist or the service cannot be reached', async () => {
    const missing = await runCli(['mute', 'no-such-pattern', '--url', url]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no pattern no-such-pattern');

    const down = await runCli(['anomalies', '--url', 'http://127.0.0.1:9']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach anomalog at http:\/\/127\.0\.0\.1:9/);

    const bad = await runCli(['mute', 'x', '--for', 'forever', '--url', url]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"forever" is not a duration');

    for (const argv of [['unmute'], ['unmute', 'a', 'b'], ['dead-letters', 'replay'], ['dead-letters', 'replay', '1', '2']]) {
      const usage = await runCli([...argv, '--url', url]);
      expect([argv, usage.code, usage.stderr]).toEqual([argv, 2, `anomalog: usage: anomalog ${argv[0] === 'unmute' ? 'unmute' : 'dead-letters replay'} ID\n`]);
    }
  });
});
