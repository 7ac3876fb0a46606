/**
 * Wires the whole service: config → stores → detector → sinks → receiver, and
 * the orderly shutdown in reverse. The only place that creates real clients.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Anomaly } from '../pipeline/anomaly.js';
import { createDetector } from '../pipeline/detector.js';
import { createReceiver } from '../receiver/receiver.js';
import { createAnomalyRepo } from '../store/anomaly-repo.js';
import { createPatternRepo } from '../store/pattern-repo.js';
import { createAlertManager } from '../alerts/alert-manager.js';
import { createMemoryDedupe, createRedisDedupe } from '../alerts/dedupe.js';
import { createSlackChannel } from '../alerts/slack.js';
import { createOtlpEventsExporter } from '../alerts/otlp-events.js';
import type { AlertChannel } from '../alerts/alert-channel.js';
import { createAdminApi } from './admin-api.js';
import { createDetectionPipeline } from './detection-pipeline.js';
import { createPatternMirror } from './pattern-mirror.js';
import { connectRedis, createEmbedder, openMigratedDatabase, openPatternStore } from './open-stores.js';

export interface RunningService {
  grpcPort: number;
  httpPort: number;
  registry: Registry;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  config: Readonly<Config>;
  logger: Logger;
  /** Called with each batch of committed anomalies (the demo prints them). */
  onAnomalies?: (anomalies: Anomaly[]) => void;
}

const MIRROR_INTERVAL_MS = 2_000;

export async function startService({ config, logger, onAnomalies }: ServiceOptions): Promise<RunningService> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        logger.error({ err: error }, 'error during shutdown');
      }
    }
  };

  try {
    const db = await openMigratedDatabase(config, logger);
    closers.push(() => db.close());
    logger.info({ database: db.kind }, 'database ready');

    let redis: Redis | undefined;
    if (config.redisUrl) {
      const client = connectRedis(config.redisUrl, logger);
      redis = client;
      closers.push(async () => {
        await client.quit();
      });
    }

    const patternStore = await openPatternStore(config, logger, redis);
    closers.push(() => patternStore.close());

    const detector = createDetector({
      config: config.detection,
      store: patternStore,
      embedder: createEmbedder(config, logger),
      registry,
      logger,
    });

    const patternRepo = createPatternRepo(db);
    const mirror = createPatternMirror({ drain: () => detector.drainPatternChanges(), upsert: (rows) => patternRepo.upsert(rows), logger });
    const mirrorTimer = setInterval(() => void mirror.flush(), MIRROR_INTERVAL_MS);
    closers.push(async () => {
      clearInterval(mirrorTimer);
      await mirror.flush();
    });

    const channels: AlertChannel[] = [];
    if (config.alerts.slackWebhookUrl) {
      channels.push(createSlackChannel({ webhookUrl: config.alerts.slackWebhookUrl, minSeverity: config.alerts.slackMinSeverity, logger }));
    }
    const alertManager = createAlertManager({
      config: config.alerts,
      db,
      dedupe: redis ? createRedisDedupe(redis, 'anomalog:') : createMemoryDedupe(),
      channels,
      logger,
      registry,
    });
    alertManager.start();
    closers.push(() => alertManager.stop());

    const events = config.alerts.eventsEndpoint
      ? createOtlpEventsExporter({
          endpoint: config.alerts.eventsEndpoint,
          protocol: config.alerts.eventsProtocol,
          headers: config.alerts.eventsHeaders,
          thresholds: config.alerts,
          logger,
          registry,
        })
      : undefined;
    if (events) closers.push(() => events.shutdown());

    const anomalyRepo = createAnomalyRepo(db);
    const detection = createDetectionPipeline({
      detect: (entries) => detector.process(entries),
      commit: (anomalies) => anomalyRepo.insert(anomalies),
      alert: (anomalies) => alertManager.submit(anomalies),
      publish: events ? (anomalies) => void events.export(anomalies) : undefined,
      observe: onAnomalies,
      logger,
    });
    closers.push(() => detection.flush());

    const admin = createAdminApi({
      recentAnomalies: (q) => anomalyRepo.recent(q),
      listPatterns: ({ service }) => patternStore.list(service),
      mute: async (id, untilMs) => {
        const found = await patternStore.mute(id, untilMs);
        if (found) await patternRepo.setMuted(id, untilMs, true);
        return found;
      },
      unmute: async (id) => {
        const found = await patternStore.unmute(id);
        if (found) await patternRepo.setMuted(id, null, false);
        return found;
      },
    });

    const receiver = createReceiver({
      config,
      pipeline: detection.pipeline,
      logger,
      registry,
      extension: admin,
      readiness: {
        async check() {
          const checks: Record<string, string> = {};
          let ready = true;
          try {
            await db.query('SELECT 1');
            checks.database = 'ok';
          } catch (error) {
            ready = false;
            checks.database = (error as Error).message;
          }
          if (redis) {
            const status = redis.status;
            checks.redis = status === 'ready' ? 'ok' : status;
            if (status !== 'ready') ready = false;
          }
          const backlog = detection.backlog();
          checks.anomaly_backlog = String(backlog);
          return { ready, checks };
        },
      },
    });
    const ports = await receiver.start();
    closers.push(() => receiver.stop());
    logger.info({ ...ports, host: config.host, mode: redis ? 'production' : 'embedded' }, 'anomalog serving');

    return { ...ports, registry, stop: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
