import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { startService } from '../service/start-service.js';
import type { CommandIo } from './main.js';

/** `anomalog serve`: run until SIGTERM/SIGINT, then stop accepting, finish in-flight work and exit 0. */
export async function runServe(argv: string[], io: CommandIo): Promise<number> {
  parseArgs({ args: argv, options: {}, strict: true });
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const service = await startService({ config, logger });
  io.stderr.write(`anomalog listening: OTLP/gRPC ${config.host}:${service.grpcPort}, OTLP/HTTP ${config.host}:${service.httpPort}\n`);

  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'shutting down');
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await service.stop();
  logger.info('stopped');
  return 0;
}
