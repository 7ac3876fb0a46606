import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ListenError, createReceiver } from '../../src/receiver/receiver.js';
import { startTestReceiver } from '../helpers/otlp-receiver.js';

describe('receiver start-up', () => {
  it('names the variable to change when a port is already taken', async () => {
    const taken = await startTestReceiver();
    try {
      const receiver = createReceiver({
        config: loadConfig({ ANOMALOG_HOST: '127.0.0.1', ANOMALOG_GRPC_PORT: '0', ANOMALOG_HTTP_PORT: String(taken.httpPort) }),
        pipeline: async () => {},
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
        pipeline: async () => {},
        logger: pino({ level: 'silent' }),
        registry: new Registry(),
      });
      await expect(grpcTaken.start()).rejects.toThrow(/^ANOMALOG_GRPC_PORT: cannot listen on 127\.0\.0\.1:\d+/);
    } finally {
      await taken.stop();
    }
  });
});
