/**
 * In production the console lives with the detection side: a `worker` process
 * serves it on its HTTP port (reading the shared Redis and Postgres), a
 * `receiver` does not.
 */
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { LOOPBACK_ANY_PORT } from '../../src/demo/loopback.js';
import { startService, type RunningService, type Role } from '../../src/service/start-service.js';
import { useClusterEnvironment } from '../helpers/cluster-environment.js';

const env = useClusterEnvironment('console_roles');
const running: RunningService[] = [];
afterAll(async () => {
  for (const service of running) await service.stop();
});

async function start(role: Role): Promise<string> {
  const config = loadConfig({ ...LOOPBACK_ANY_PORT, REDIS_URL: env.redis.url, DATABASE_URL: env.scratch.url, ANOMALOG_SHARDS: '2' });
  const service = await startService({ config, logger: pino({ level: 'silent' }), role });
  running.push(service);
  return `http://127.0.0.1:${service.httpPort}`;
}

describe('the console in production roles', () => {
  it('is served by a worker, with its API, and not by a receiver', async () => {
    const worker = await start('worker');
    const page = await fetch(`${worker}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/console/app.js');
    expect((await fetch(`${worker}/console/app.js`)).status).toBe(200);
    expect(await (await fetch(`${worker}/api/services`)).json()).toEqual({ services: [] });

    const receiver = await start('receiver');
    expect((await fetch(`${receiver}/`)).status).toBe(404);
  });
});
