import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ListenError, createReceiver, isLoopbackHost } from '../../src/receiver/receiver.js';
import { startTestReceiver } from '../helpers/otlp-receiver.js';

describe('receiver start-up', () => {
  it('names the variable to change when a port is already taken', async () => {
    const taken = await startTestReceiver();
    try {
      const receiver = createReceiver({
        config: loadConfig({ ANOMALOG_HOST: '127.0.0.1', ANOMALOG_GRPC_PORT: '0', ANOMALOG_HTTP_PORT: String(taken.httpPort) }),
        sink: async () => {},
        logger: pino({ level: 'silent' }),
        registry: new Registry(),
      });
      const failure = await receiver.start().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(ListenError);
      expect((failure as Error).message).toBe(`ANOMALOG_HTTP_PORT: cannot listen on 127.0.0.1:${taken.httpPort}: address already in use`);

      const grpcTaken = createReceiver({
        config: loadConfig({ ANOMALOG_HOST: '127.0.0.1', ANOMALOG_GRPC_PORT: String(taken.grpcPort), ANOMALOG_HTTP_PORT: '0' }),
        sink: async () => {},
        logger: pino({ level: 'silent' }),
        registry: new Registry(),
      });
      await expect(grpcTaken.start()).rejects.toThrow(/^ANOMALOG_GRPC_PORT: cannot listen on 127\.0\.0\.1:\d+/);
    } finally {
      await taken.stop();
    }
  });
});

/** Starts and stops a receiver with these settings, returning the warnings it logged. */
async function startupWarnings(env: Record<string, string>): Promise<string[]> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const receiver = createReceiver({
    config: loadConfig({ ANOMALOG_GRPC_PORT: '0', ANOMALOG_HTTP_PORT: '0', ...env }),
    sink: async () => {},
    logger: pino({ level: 'warn' }, sink),
    registry: new Registry(),
  });
  await receiver.start();
  await receiver.stop();
  return lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
}

describe('start-up exposure warning', () => {
  it('warns, naming ANOMALOG_HOST and ANOMALOG_AUTH_TOKEN, when listening on 0.0.0.0 without a token', async () => {
    const warnings = await startupWarnings({ ANOMALOG_HOST: '0.0.0.0' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/ANOMALOG_HOST=0\.0\.0\.0/);
    expect(warnings[0]).toMatch(/ANOMALOG_AUTH_TOKEN/);
  });

  it('stays quiet on the default loopback host, and on 0.0.0.0 with a token', async () => {
    expect(await startupWarnings({})).toEqual([]);
    expect(await startupWarnings({ ANOMALOG_HOST: '127.0.0.1' })).toEqual([]);
    expect(await startupWarnings({ ANOMALOG_HOST: '0.0.0.0', ANOMALOG_AUTH_TOKEN: 'secret' })).toEqual([]);
  });

  it('counts localhost, 127.0.0.0/8 and ::1 as loopback, and wildcard or routable addresses as not', () => {
    for (const host of ['localhost', '127.0.0.1', '127.8.9.10', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.1.2.3', '192.168.0.10', '::2', 'anomalog.internal']) expect(isLoopbackHost(host)).toBe(false);
  });
});
