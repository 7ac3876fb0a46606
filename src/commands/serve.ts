import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { ROLES, startService, type Role } from '../service/start-service.js';
import type { CommandIo } from './command-io.js';

/**
 * `anomalog serve [--role receiver|worker|all]`: run until SIGTERM/SIGINT, then
 * stop accepting, finish in-flight work and exit 0.
 */
export async function runServe(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { role: { type: 'string', default: 'all' } }, strict: true });
  if (!(ROLES as readonly string[]).includes(values.role)) {
    throw new ConfigError(`--role must be one of ${ROLES.join(', ')}, got "${values.role}"`);
  }
  const role = values.role as Role;
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const service = await startService({ config, logger, role });
  io.stderr.write(
    role === 'worker'
      ? `anomalog worker running: health, metrics and /api on ${config.host}:${service.httpPort}\n`
      : `anomalog (${role}) listening: OTLP/gRPC ${config.host}:${service.grpcPort}, OTLP/HTTP ${config.host}:${service.httpPort}\n`,
  );

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
