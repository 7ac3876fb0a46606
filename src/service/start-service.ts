/**
 * Wires the whole service: config → stores → detector → sinks → receiver, and
 * the orderly shutdown in reverse. The only place that creates real clients.
 *
 * Roles (production, REDIS_URL set): a `receiver` appends each export to the
 * sharded Redis Streams and acknowledges once appended; a `worker` reads its
 * leased shards, detects, commits and acknowledges the stream entries; `all`
 * does both. On the embedded default the receiver runs detection directly.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Redis } from 'ioredis';
import { ConfigError, type Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Anomaly } from '../anomaly.js';
import { createDetector } from '../pipeline/detector.js';
import { mappedInto, type ExportSink } from '../otlp/accepted-export.js';
import { createReceiver } from '../receiver/receiver.js';
import { createAnomalyRepo } from '../store/anomaly-repo.js';
import { createPatternRepo } from '../store/pattern-repo.js';
import { createSetAsideReporter } from '../store/refused-rows.js';
import { createAlertManager } from '../alerts/alert-manager.js';
import { createMemoryDedupe, createRedisDedupe } from '../alerts/dedupe.js';
import { createPatternKeys } from '../redis-keys.js';
import { createSlackChannel } from '../alerts/slack.js';
import { createOtlpEventsExporter } from '../alerts/otlp-events.js';
import type { AlertChannel } from '../alerts/alert-channel.js';
import { mergeDeadLetters, type DeadLetters } from '../dead-letter.js';
import { registerBacklogGauge } from '../queue/backlog-gauge.js';
import { createRedisDeadLetters } from '../queue/dead-letter-stream.js';
import { createRedisIngestQueue } from '../queue/redis-ingest-queue.js';
import { createDeadLetterRepo } from '../store/dead-letter-repo.js';
import { createStreamWorker, defaultConsumerName, sourceIdOf } from '../worker/stream-worker.js';
import { createConsole } from '../console/console-routes.js';
import { createAdminApi } from './admin-api.js';
import { createConsoleViews } from './console-views.js';
import { createDetectionPipeline } from './detection-pipeline.js';
import { createPatternMirror } from './pattern-mirror.js';
import { createPatternMuting } from './pattern-muting.js';
import { connectRedis, createEmbedder, openMigratedDatabase, openMinerPool, openPatternStore } from './open-stores.js';
import { createReadiness, databaseCheck, embedderCheck, pipelineCheck, redisCheck, workerCheck, type ReadinessCheck } from './readiness.js';
import { createStoredDeadLetters } from './stored-dead-letters.js';
import { startIdleSweep, type IdlePart } from './idle-sweep.js';
import { createMemoryServiceAdmission } from '../store/service-admission.js';
import { createRedisServiceAdmission } from '../store/redis-service-admission.js';

export type Role = 'all' | 'receiver' | 'worker';
export const ROLES: readonly Role[] = ['all', 'receiver', 'worker'];

export interface RunningService {
  /** 0 when this process takes no logs (role worker). */
  grpcPort: number;
  httpPort: number;
  registry: Registry;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  config: Readonly<Config>;
  logger: Logger;
  role?: Role;
  /** Called with each batch of committed anomalies (the demo prints them). */
  onAnomalies?: (anomalies: Anomaly[]) => void;
}

const MIRROR_INTERVAL_MS = 2_000;
/** How often anomalies held through an outage are tried again when no export comes to carry them. */
const RETRY_INTERVAL_MS = 5_000;

export async function startService({ config, logger, role = 'all', onAnomalies }: ServiceOptions): Promise<RunningService> {
  if (role !== 'all' && !config.redisUrl) {
    throw new ConfigError(`--role ${role} needs REDIS_URL: separate receivers and workers share their queue through Redis`);
  }
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const closers: Array<() => Promise<void>> = [];
  const checks: ReadinessCheck[] = [];
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
    let redis: Redis | undefined;
    if (config.redisUrl) {
      const client = connectRedis(config.redisUrl, logger);
      redis = client;
      closers.push(async () => {
        await client.quit().catch(() => client.disconnect());
      });
      checks.push(redisCheck(client));
      registerBacklogGauge({ redis: client, shards: config.queue.shards, registry, logger });
    }

    const detection = role === 'receiver' ? undefined : await startDetection({ config, logger, registry, redis, onAnomalies, closers, checks });

    const idle: IdlePart[] = detection ? [{ name: 'detector', forgetIdle: (before) => detection.forgetIdle(before) }] : [];
    const admission =
      role === 'worker'
        ? undefined
        : redis
          ? createRedisServiceAdmission({ redis, limits: config.limits })
          : createMemoryServiceAdmission({ limits: config.limits, attachState: detection?.attachState });
    if (admission) idle.push({ name: 'admission', forgetIdle: (before) => admission.forgetIdle(before) });
    const sweep = startIdleSweep({ ttlMs: config.limits.serviceIdleTtlMs, parts: idle, logger, registry });
    closers.push(async () => sweep.stop());

    let sink: ExportSink | undefined;
    if (role !== 'worker') {
      if (redis) {
        const queue = createRedisIngestQueue({ redis, shards: config.queue.shards, maxBacklog: config.queue.maxBacklog, retryWindowMs: config.queue.retryWindowMs, logger, registry });
        sink = (accepted) => queue.append(accepted);
      } else {
        sink = mappedInto(detection!.pipeline);
      }
    }
    if (redis && detection) {
      const worker = createStreamWorker({
        redis,
        shards: config.queue.shards,
        claimIdleSeconds: config.queue.claimIdleSeconds,
        consumerName: defaultConsumerName(),
        // Each batch under its own id, so a redelivered batch is recognised; a
        // replayed one under the first's, whose anomalies it is to bring back.
        handle: (batches) => detection.processBatch(batches.map((b) => ({ entries: b.entries, source: b.replayOf ?? sourceIdOf(b) }))),
        maxDeliveries: config.queue.maxDeliveries,
        logger,
        registry,
      });
      worker.start();
      closers.push(() => worker.stop());
      checks.push(workerCheck(worker, config.stuckAfterMs));
    }

    const receiver = createReceiver({
      config,
      sink,
      logger,
      registry,
      extension: detection?.admin,
      open: detection?.consoleRoutes,
      admission,
      readiness: createReadiness(checks),
    });
    const ports = await receiver.start();
    closers.push(() => receiver.stop());
    logger.info({ ...ports, host: config.host, role, mode: redis ? 'production' : 'embedded' }, 'anomalog serving');

    return { ...ports, registry, stop: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** The detection side: database, pattern store, detector, alerting and the operator API. */
async function startDetection(deps: {
  config: Readonly<Config>;
  logger: Logger;
  registry: Registry;
  redis: Redis | undefined;
  onAnomalies: ((anomalies: Anomaly[]) => void) | undefined;
  closers: Array<() => Promise<void>>;
  checks: ReadinessCheck[];
}) {
  const { config, logger, registry, redis, closers, checks } = deps;
  const db = await openMigratedDatabase(config, logger);
  closers.push(() => db.close());
  checks.push(databaseCheck(db));
  logger.info({ database: db.kind }, 'database ready');

  // Closed after the store (closers run in reverse): the store's last snapshot reads the miners.
  const miners = openMinerPool(config.detection.threads, logger);
  closers.push(() => miners.close());
  const patternStore = await openPatternStore(config, logger, redis);
  closers.push(() => patternStore.close());

  const embedder = createEmbedder(config, logger);
  const embeddings = embedderCheck(embedder);
  if (embeddings) checks.push(embeddings);
  const detector = createDetector({ config: config.detection, limits: config.limits, store: patternStore, embedder, miners, registry, logger });

  // Rows the database refuses even made safe are logged and counted, never retried forever.
  const onSetAside = createSetAsideReporter({ logger, registry });
  const patternRepo = createPatternRepo(db, { onSetAside });
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
    dedupe: redis ? createRedisDedupe(redis, createPatternKeys().alertClaim) : createMemoryDedupe(),
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

  const anomalyRepo = createAnomalyRepo(db, { onSetAside });
  const stored = createStoredDeadLetters({ repo: createDeadLetterRepo(db), logger, registry });
  const detection = createDetectionPipeline({
    detect: (entries, sources) => detector.process(entries, sources),
    commit: (anomalies) => anomalyRepo.commit(anomalies),
    alert: (anomalies) => alertManager.submit(anomalies),
    markAlerted: (anomalies) => anomalyRepo.markAlerted(anomalies),
    publish: events ? (anomalies) => void events.export(anomalies) : undefined,
    observe: deps.onAnomalies,
    deadLetter: (work, failure) => stored.add(work, failure),
    maxDeliveries: config.queue.maxDeliveries,
    logger,
  });
  const retryTimer = setInterval(() => {
    if (detection.backlog() === 0) return;
    detection.flush().catch((error: unknown) => logger.debug({ err: error, held: detection.backlog() }, 'held anomalies still wait for their stores'));
  }, RETRY_INTERVAL_MS);
  closers.push(async () => {
    clearInterval(retryTimer);
    await detection.flush();
  });
  checks.push(pipelineCheck(detection, config.stuckAfterMs));

  // The table holds what the pipeline sets aside; production adds the stream entries its workers set aside.
  const tableLetters = stored.view({ entries: detection.pipeline, anomalies: detection.requeue });
  const deadLetters: DeadLetters = redis
    ? mergeDeadLetters([createRedisDeadLetters({ redis, shards: config.queue.shards }), tableLetters])
    : tableLetters;

  const views = createConsoleViews({
    store: patternStore,
    repo: patternRepo,
    learningPeriodMs: config.detection.learningPeriodSeconds * 1000,
    windowMs: config.detection.spikeWindowSeconds * 1000,
  });
  const admin = createAdminApi({
    recentAnomalies: (q) => anomalyRepo.recent(q),
    anomaly: (id) => anomalyRepo.get(id),
    listPatterns: (q) => views.patterns(q),
    services: () => views.services(),
    settings: {
      traceUrl: config.traceUrl ?? null,
      windowSeconds: config.detection.spikeWindowSeconds,
      learningPeriodSeconds: config.detection.learningPeriodSeconds,
    },
    ...createPatternMuting({ store: patternStore, repo: patternRepo }),
    deadLetters,
  }, logger);

  const consoleRoutes = await createConsole({ logger });

  return {
    pipeline: detection.pipeline,
    processBatch: detection.processBatch,
    admin,
    consoleRoutes,
    forgetIdle: (before: number) => detector.forgetIdle(before),
    attachState: (name: string, provide: () => unknown) => patternStore.attachState(name, provide),
  };
}
