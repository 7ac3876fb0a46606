/**
 * anomalog started in this process for a test: both listeners on loopback
 * ports the OS picks and a fresh data directory, with the test's settings on
 * top (REDIS_URL and DATABASE_URL among them for the production setup).
 * stop() stops the service, then removes the directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { LOOPBACK_ANY_PORT } from '../../src/demo/loopback.js';
import { startService, type RunningService, type ServiceOptions } from '../../src/service/start-service.js';

export interface TestService {
  service: RunningService;
  /** http://127.0.0.1:<HTTP port> */
  url: string;
  dataDir: string;
  stop: () => Promise<void>;
}

export async function startTestService(
  label: string,
  env: Record<string, string>,
  options: Partial<Pick<ServiceOptions, 'logger' | 'onAnomalies'>> = {},
): Promise<TestService> {
  const dataDir = await mkdtemp(join(tmpdir(), `anomalog-${label}-`));
  let service: RunningService;
  try {
    service = await startService({
      config: loadConfig({ ...LOOPBACK_ANY_PORT, ANOMALOG_DATA_DIR: dataDir, ...env }),
      logger: options.logger ?? pino({ level: 'silent' }),
      onAnomalies: options.onAnomalies,
    });
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    service,
    url: `http://127.0.0.1:${service.httpPort}`,
    dataDir,
    stop: async () => {
      await service.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
