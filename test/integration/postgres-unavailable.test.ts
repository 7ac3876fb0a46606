import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertManager } from '../../src/alerts/alert-manager.js';
import { createMemoryDedupe } from '../../src/alerts/dedupe.js';
import { createAlertRepo } from '../../src/store/alert-repo.js';
import { createAnomalyRepo } from '../../src/store/anomaly-repo.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { createScratchDatabase } from '../helpers/postgres-scratch.js';
import { makeAnomaly } from '../helpers/slack-fixtures.js';

const logger = pino({ level: 'silent' });

/** A TCP hop in front of Postgres that the test can cut and restore on the same port. */
function createProxy(): { start(port?: number): Promise<number>; cut(): Promise<void> } {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  return {
    async start(port = 0) {
      server = createServer((client) => {
        const upstream = connect(5432, '127.0.0.1');
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => s.destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
      return (server.address() as AddressInfo).port;
    },
    async cut() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server!.close(resolve));
    },
  };
}

describe('when Postgres becomes unreachable', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: Database;
  const proxy = createProxy();
  let port: number;

  beforeAll(async () => {
    scratch = await createScratchDatabase('unavail');
    port = await proxy.start();
    db = await openDatabase({ databaseUrl: scratch.url.replace(':5432/', `:${port}/`), dataDir: '/nonexistent', logger });
    await migrate(db, logger);
  });
  afterAll(async () => {
    await db.close();
    await scratch.drop();
  });

  it('rejects anomaly writes and alert submits, then alerts normally once it is back', async () => {
    const anomalies = createAnomalyRepo(db);
    const manager = createAlertManager({
      config: {
        windowSeconds: 1, cooldownSeconds: 1800, incidentWindowMs: 1000, criticalScore: 0.8, warningScore: 0.6, slackWebhookUrl: undefined,
        slackMinSeverity: 'warning', eventsEndpoint: undefined, eventsProtocol: 'grpc', eventsHeaders: {},
      },
      db, dedupe: createMemoryDedupe(), channels: [], logger,
    });
    const anomaly = makeAnomaly({ service: 'outage-test' });

    await proxy.cut();
    await expect(anomalies.insert([anomaly])).rejects.toThrow();
    await expect(manager.submit([anomaly])).rejects.toThrow();

    await proxy.start(port);
    // The retried export: the anomaly is stored and, because the failed submit gave its
    // dedupe claim back, it still raises its alert.
    await anomalies.insert([anomaly]);
    await manager.submit([anomaly]);
    expect((await anomalies.recent({ service: 'outage-test' })).map((r) => r.id)).toEqual([anomaly.id]);
    expect(await createAlertRepo(db).recent({ service: 'outage-test' })).toHaveLength(1);
    await manager.stop();
  });
});
