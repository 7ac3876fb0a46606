/** The OTLP receiver: both transports over one export handler, started and stopped together. */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Registry } from 'prom-client';
import { ConfigError, type Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { ExportSink } from '../otlp/accepted-export.js';
import { createBearerCheck } from './bearer-auth.js';
import { createExportHandler } from './export-handler.js';
import { createGrpcReceiver } from './grpc-server.js';
import { createHttpReceiver, type HttpExtension, type Readiness } from './http-server.js';
import { createReceiveBudget, RECEIVE_BUDGET_BODIES } from './receive-budget.js';
import { createReceiverMetrics } from './receiver-metrics.js';
import { createRefusals } from './refusals.js';
import { createServiceGate } from './service-gate.js';
import type { ServiceAdmission } from '../store/service-admission.js';

export type { HttpExtension, Readiness };

/** How long stop() waits for in-flight requests before cutting connections. */
const SHUTDOWN_GRACE_MS = 25_000;

/** A PEM value may be given inline or as a file path. */
function readPem(variable: string, value: string): Buffer {
  if (value.includes('-----BEGIN')) return Buffer.from(value);
  try {
    return readFileSync(value);
  } catch (error) {
    throw new ConfigError(`${variable}: cannot read ${value}: ${(error as Error).message}`, { cause: error });
  }
}

/** A port that cannot be bound (in use, not permitted): names the variable to change. */
export class ListenError extends Error {
  readonly code = 'ANOMALOG_LISTEN';
}

function listenFailure(variable: string, host: string, port: number, error: unknown): ListenError {
  const text = (error as Error).message;
  const reason = /EADDRINUSE/.test(text) ? 'address already in use' : /EACCES/.test(text) ? 'permission denied' : text;
  return new ListenError(`${variable}: cannot listen on ${host}:${port}: ${reason}`, { cause: error });
}

/** localhost, 127.0.0.0/8 and ::1 (also IPv4-mapped): reachable from this host only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return isIP(h) === 6 && /^(0*:)*:?0*1$/.test(h);
}

export interface Receiver {
  /**
   * Binds the ports; resolves with the ports actually bound (tests ask for 0).
   * grpcPort is 0 when the receiver takes no logs (an ops-only server).
   */
  start(): Promise<{ grpcPort: number; httpPort: number }>;
  /** Stop accepting, finish in-flight requests, close. */
  stop(): Promise<void>;
}

export function createReceiver(deps: {
  config: Readonly<Config>;
  /**
   * Where accepted exports go (mappedInto(pipeline) for a pipeline of entries). Without
   * a sink only the HTTP port serves: health, metrics and extension routes (a `--role worker` process).
   */
  sink: ExportSink | undefined;
  logger: Logger;
  registry: Registry;
  extension?: HttpExtension;
  /** Routes served without the token (the console's page and assets). */
  open?: HttpExtension;
  readiness?: Readiness;
  /** ANOMALOG_MAX_SERVICES: which services' records are taken. */
  admission?: ServiceAdmission;
}): Receiver {
  const { config, sink, registry } = deps;
  const logger = deps.logger.child({ component: 'receiver' });
  const metrics = createReceiverMetrics(registry);
  const refusals = createRefusals({ metrics, logger });
  const services = sink && deps.admission ? createServiceGate({ admission: deps.admission, logger, registry }) : undefined;
  const handler = sink ? createExportHandler({ sink, maxInflight: config.maxInflight, metrics, refusals, logger, services }) : undefined;
  const checkAuth = createBearerCheck(config.authToken);
  const tls = config.tls
    ? { cert: readPem('ANOMALOG_TLS_CERT', config.tls.cert), key: readPem('ANOMALOG_TLS_KEY', config.tls.key) }
    : undefined;
  const shared = { checkAuth, metrics, refusals, logger, maxRequestBytes: config.maxRequestBytes, requestTimeoutMs: config.requestTimeoutMs, tls };
  const grpc = handler ? createGrpcReceiver({ ...shared, handler }) : undefined;
  const http = createHttpReceiver({
    ...shared,
    handler,
    budget: createReceiveBudget(RECEIVE_BUDGET_BODIES * config.maxRequestBytes, metrics.receivingBytes),
    metricsAuth: config.metricsAuth,
    registry,
    extension: deps.extension,
    open: deps.open,
    readiness: deps.readiness,
  });
  let started = false;

  return {
    async start() {
      const grpcPort = grpc
        ? await grpc.listen(config.host, config.grpcPort).catch((error: unknown) => {
            throw listenFailure('ANOMALOG_GRPC_PORT', config.host, config.grpcPort, error);
          })
        : 0;
      let httpPort: number;
      try {
        httpPort = await http.listen(config.host, config.httpPort);
      } catch (error) {
        await grpc?.close(0);
        throw listenFailure('ANOMALOG_HTTP_PORT', config.host, config.httpPort, error);
      }
      started = true;
      if (!config.authToken && !isLoopbackHost(config.host)) {
        logger.warn(
          { host: config.host },
          `ANOMALOG_HOST=${config.host} accepts connections from other hosts and ANOMALOG_AUTH_TOKEN is not set: ` +
            'anyone who can reach the ports can send logs, read log samples from /api and mute alerts. Set ANOMALOG_AUTH_TOKEN.',
        );
      }
      logger.info({ host: config.host, grpcPort, httpPort, tls: Boolean(tls), auth: Boolean(config.authToken) }, 'OTLP receiver listening');
      return { grpcPort, httpPort };
    },
    async stop() {
      if (!started) return;
      started = false;
      logger.info('OTLP receiver stopping: finishing in-flight requests');
      await Promise.all([grpc?.close(SHUTDOWN_GRACE_MS), http.close(SHUTDOWN_GRACE_MS)]);
      logger.info('OTLP receiver stopped');
    },
  };
}
