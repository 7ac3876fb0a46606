/**
 * The one typed configuration, read from the environment (and optionally a YAML
 * file named by ANOMALOG_CONFIG whose keys are the same variable names; the
 * environment wins). Parsed once at start-up, frozen, passed down.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { LEVELS } from './log-entry.js';
import { parseDuration } from './duration.js';

const port = z.coerce.number().int().min(0).max(65535);
const seconds = z.coerce.number().positive();
const positiveInt = z.coerce.number().int().positive();
const fraction = z.coerce.number().min(0).max(1);
const optionalText = z.string().min(1).optional();
const severity = z.enum(['info', 'warning', 'critical']);
/** Node's timers overflow past ~24.8 days, so timer-backed settings must stay below; 365d allows TTLs kept as data. */
const MAX_DURATION_MS = 365 * 86_400_000;
/** "30s", "15m", "7d" (or a plain number of seconds) → milliseconds. */
const duration = z.union([z.number(), z.string()]).transform((value, ctx) => {
  let ms = NaN;
  if (typeof value === 'number' || /^\d+(\.\d+)?$/.test(value.trim())) ms = Number(value) * 1000;
  else {
    try {
      ms = parseDuration(value);
    } catch {
      // reported below
    }
  }
  if (ms > 0 && ms <= MAX_DURATION_MS) return ms;
  ctx.addIssue({ code: 'custom', message: 'expected a positive duration up to 365d like 30s, 15m, 1h or 7d' });
  return z.NEVER;
});
/** A duration, or 0 to turn the feature off. */
const durationOrOff = z.union([z.literal(0), z.literal('0')]).transform(() => 0).or(duration);
const flag = z.enum(['true', 'false', '1', '0', 'on', 'off', 'yes', 'no']).transform((v) => ['true', '1', 'on', 'yes'].includes(v));

/** Every variable, its schema and default. The README's table mirrors this list. */
const schema = z.object({
  ANOMALOG_HOST: z.string().min(1).default('127.0.0.1'),
  ANOMALOG_GRPC_PORT: port.default(4317),
  ANOMALOG_HTTP_PORT: port.default(4318),
  ANOMALOG_MAX_REQUEST_BYTES: positiveInt.default(20 * 1024 * 1024),
  ANOMALOG_MAX_INFLIGHT: positiveInt.default(64),
  ANOMALOG_REQUEST_TIMEOUT: duration.refine((ms) => ms <= 3_600_000, 'at most 1h').default(30_000),
  ANOMALOG_AUTH_TOKEN: optionalText,
  ANOMALOG_TLS_CERT: optionalText,
  ANOMALOG_TLS_KEY: optionalText,
  ANOMALOG_METRICS_AUTH: flag.default(false),
  ANOMALOG_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ANOMALOG_DATA_DIR: z.string().min(1).default('./anomalog-data'),
  ANOMALOG_SNAPSHOT_INTERVAL: seconds.default(30),
  REDIS_URL: optionalText,
  DATABASE_URL: optionalText,
  ANOMALOG_SHARDS: positiveInt.max(1024).default(16),
  // Records not yet acknowledged by the workers, per shard stream: a hot service
  // pushes back on its own shard without stalling the others.
  ANOMALOG_MAX_BACKLOG: positiveInt.default(100_000),
  ANOMALOG_CLAIM_IDLE: seconds.default(30),
  // An export stored again within this long (a retry after a lost reply) is acknowledged, not stored twice.
  ANOMALOG_RETRY_WINDOW: durationOrOff.refine((ms) => ms <= 86_400_000, 'at most 1d').default(120_000),
  // A batch that fails this often (for its content, not an outage) goes to the dead letters.
  ANOMALOG_MAX_DELIVERIES: positiveInt.default(5),
  // Oldest unprocessed work older than this makes /readyz say the pipeline is stuck.
  ANOMALOG_STUCK_AFTER: duration.refine((ms) => ms <= 86_400_000, 'at most 1d').default(60_000),

  ANOMALOG_MAX_SERVICES: positiveInt.default(10_000),
  ANOMALOG_SERVICE_IDLE_TTL: duration.default(7 * 86_400_000),
  ANOMALOG_MAX_PATTERNS_PER_SERVICE: positiveInt.default(5_000),
  ANOMALOG_MAX_STORED_CHARS: positiveInt.default(8192),

  ANOMALOG_MAX_MESSAGE_CHARS: positiveInt.default(4096),
  // One mining thread per core; 0 mines on the main thread.
  ANOMALOG_DETECTION_THREADS: z.coerce.number().int().min(0).max(64).default(availableParallelism()),
  EMBEDDINGS: z.enum(['local', 'openai']).default('local'),
  ANOMALOG_EMBEDDING_MODEL: z.string().min(1).default('text-embedding-3-small'),
  OPENAI_API_KEY: optionalText,
  OPENAI_BASE_URL: z.url().optional(),
  ANOMALOG_SIMILARITY: fraction.default(0.85),
  ANOMALOG_LEARNING_PERIOD: z.coerce.number().min(0).default(3600),
  ANOMALOG_NEW_PATTERN_MIN_LEVEL: z.enum(LEVELS).default('warn'),
  ANOMALOG_SPIKE_WINDOW: seconds.default(60),
  ANOMALOG_SPIKE_RATIO: z.coerce.number().min(1).default(5),
  ANOMALOG_SPIKE_MIN_COUNT: positiveInt.default(20),

  ANOMALOG_ALERT_WINDOW: z.coerce.number().min(0).default(1),
  ANOMALOG_ALERT_COOLDOWN: seconds.default(1800),
  // Alerts of one service this long after its first alert form one incident: one message now, one follow-up at the end.
  ANOMALOG_INCIDENT_WINDOW: durationOrOff.refine((ms) => ms <= 86_400_000, 'at most 1d').default(60_000),
  ANOMALOG_SEVERITY_CRITICAL: fraction.default(0.8),
  ANOMALOG_SEVERITY_WARNING: fraction.default(0.6),
  SLACK_WEBHOOK_URL: z.url().optional(),
  ANOMALOG_SLACK_MIN_SEVERITY: severity.default('warning'),
  ANOMALOG_EVENTS_ENDPOINT: z.url().optional(),
  ANOMALOG_EVENTS_PROTOCOL: z.enum(['grpc', 'http/protobuf']).default('grpc'),
  ANOMALOG_EVENTS_HEADERS: optionalText,

  // Where the operator commands find a running service (default: this host's HTTP port).
  ANOMALOG_URL: z.url().optional(),
  // The console links an anomaly's trace here: {traceId} and {spanId} are filled in.
  ANOMALOG_TRACE_URL: z.url({ protocol: /^https?$/ }).optional(),
});

type Raw = z.infer<typeof schema>;

export interface Config {
  host: string;
  grpcPort: number;
  httpPort: number;
  maxRequestBytes: number;
  maxInflight: number;
  /** A request body that has not fully arrived by then gets 408. */
  requestTimeoutMs: number;
  /** /metrics requires the bearer token too (when one is set). */
  metricsAuth: boolean;
  authToken: string | undefined;
  tls: { cert: string; key: string } | undefined;
  logLevel: Raw['ANOMALOG_LOG_LEVEL'];
  /** Base URL of the service's HTTP API, for the operator commands. */
  apiUrl: string;
  /** Where the console links a trace: a URL with {traceId} (and {spanId}) in it. */
  traceUrl: string | undefined;
  dataDir: string;
  snapshotIntervalSeconds: number;
  redisUrl: string | undefined;
  databaseUrl: string | undefined;
  /** Production ingest queue (Redis Streams); unused when REDIS_URL is unset. */
  queue: {
    shards: number;
    /** Unacknowledged log records allowed per shard stream before receivers push back. */
    maxBacklog: number;
    claimIdleSeconds: number;
    /** Failed deliveries of one batch before it is dead-lettered. */
    maxDeliveries: number;
    /** How long an export's bytes are remembered once stored, so its retries are not stored again (0: off). */
    retryWindowMs: number;
  };
  /** /readyz reports the pipeline stuck when its oldest unprocessed work is older than this. */
  stuckAfterMs: number;
  limits: {
    maxServices: number;
    serviceIdleTtlMs: number;
    maxPatternsPerService: number;
    /** Anomaly messages, samples and pattern examples are cut to this many characters. */
    maxStoredChars: number;
  };
  detection: {
    maxMessageChars: number;
    /** Worker threads that mask and mine (0: the main thread does). */
    threads: number;
    similarity: number;
    learningPeriodSeconds: number;
    newPatternMinLevel: Raw['ANOMALOG_NEW_PATTERN_MIN_LEVEL'];
    spikeWindowSeconds: number;
    spikeRatio: number;
    spikeMinCount: number;
  };
  embeddings: {
    provider: Raw['EMBEDDINGS'];
    model: string;
    openaiApiKey: string | undefined;
    openaiBaseUrl: string | undefined;
  };
  alerts: {
    windowSeconds: number;
    cooldownSeconds: number;
    /** Alerts of a service within this of its first alert form one incident (0: every alert on its own). */
    incidentWindowMs: number;
    criticalScore: number;
    warningScore: number;
    slackWebhookUrl: string | undefined;
    slackMinSeverity: Raw['ANOMALOG_SLACK_MIN_SEVERITY'];
    eventsEndpoint: string | undefined;
    eventsProtocol: Raw['ANOMALOG_EVENTS_PROTOCOL'];
    eventsHeaders: Record<string, string>;
  };
}

export class ConfigError extends Error {
  readonly code = 'ANOMALOG_CONFIG';
}

/** `k1=v1,k2=v2` (the OTEL_EXPORTER_OTLP_HEADERS format). */
function parseHeaders(text: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (!text) return headers;
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError(`ANOMALOG_EVENTS_HEADERS: expected key=value pairs, got "${pair}"`);
    headers[decodeURIComponent(pair.slice(0, eq).trim())] = decodeURIComponent(pair.slice(eq + 1).trim());
  }
  return headers;
}

function readFileValues(path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`ANOMALOG_CONFIG: cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`ANOMALOG_CONFIG: ${path} must be a mapping of variable names to values`);
  }
  const known = new Set(Object.keys(schema.shape));
  for (const key of Object.keys(parsed)) {
    if (!known.has(key)) throw new ConfigError(`ANOMALOG_CONFIG: unknown setting ${key} in ${path}`);
  }
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, v === null ? undefined : String(v)]));
}

/** Parse and validate; throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const fromFile = env.ANOMALOG_CONFIG ? readFileValues(env.ANOMALOG_CONFIG) : {};
  const input: Record<string, unknown> = { ...fromFile };
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    // An empty variable means "unset", as in most shells' `VAR= cmd`.
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const name = String(issue.path[0] ?? 'config');
    throw new ConfigError(`${name}: ${issue.message} (got ${JSON.stringify(input[name])})`);
  }
  const c = result.data;
  if (Boolean(c.ANOMALOG_TLS_CERT) !== Boolean(c.ANOMALOG_TLS_KEY)) {
    throw new ConfigError('ANOMALOG_TLS_CERT and ANOMALOG_TLS_KEY must be set together');
  }
  if (c.EMBEDDINGS === 'openai' && !c.OPENAI_API_KEY && !c.OPENAI_BASE_URL) {
    throw new ConfigError('EMBEDDINGS=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL for a server without keys)');
  }
  if (c.ANOMALOG_SEVERITY_WARNING > c.ANOMALOG_SEVERITY_CRITICAL) {
    throw new ConfigError('ANOMALOG_SEVERITY_WARNING must not exceed ANOMALOG_SEVERITY_CRITICAL');
  }
  const config: Config = {
    host: c.ANOMALOG_HOST,
    grpcPort: c.ANOMALOG_GRPC_PORT,
    httpPort: c.ANOMALOG_HTTP_PORT,
    maxRequestBytes: c.ANOMALOG_MAX_REQUEST_BYTES,
    maxInflight: c.ANOMALOG_MAX_INFLIGHT,
    requestTimeoutMs: c.ANOMALOG_REQUEST_TIMEOUT,
    metricsAuth: c.ANOMALOG_METRICS_AUTH,
    authToken: c.ANOMALOG_AUTH_TOKEN,
    tls: c.ANOMALOG_TLS_CERT && c.ANOMALOG_TLS_KEY ? { cert: c.ANOMALOG_TLS_CERT, key: c.ANOMALOG_TLS_KEY } : undefined,
    logLevel: c.ANOMALOG_LOG_LEVEL,
    apiUrl: (c.ANOMALOG_URL ?? `${c.ANOMALOG_TLS_CERT ? 'https' : 'http'}://127.0.0.1:${c.ANOMALOG_HTTP_PORT}`).replace(/\/+$/, ''),
    traceUrl: c.ANOMALOG_TRACE_URL,
    dataDir: c.ANOMALOG_DATA_DIR,
    snapshotIntervalSeconds: c.ANOMALOG_SNAPSHOT_INTERVAL,
    redisUrl: c.REDIS_URL,
    databaseUrl: c.DATABASE_URL,
    queue: {
      shards: c.ANOMALOG_SHARDS,
      maxBacklog: c.ANOMALOG_MAX_BACKLOG,
      claimIdleSeconds: c.ANOMALOG_CLAIM_IDLE,
      maxDeliveries: c.ANOMALOG_MAX_DELIVERIES,
      retryWindowMs: c.ANOMALOG_RETRY_WINDOW,
    },
    stuckAfterMs: c.ANOMALOG_STUCK_AFTER,
    limits: {
      maxServices: c.ANOMALOG_MAX_SERVICES,
      serviceIdleTtlMs: c.ANOMALOG_SERVICE_IDLE_TTL,
      maxPatternsPerService: c.ANOMALOG_MAX_PATTERNS_PER_SERVICE,
      maxStoredChars: c.ANOMALOG_MAX_STORED_CHARS,
    },
    detection: {
      maxMessageChars: c.ANOMALOG_MAX_MESSAGE_CHARS,
      threads: c.ANOMALOG_DETECTION_THREADS,
      similarity: c.ANOMALOG_SIMILARITY,
      learningPeriodSeconds: c.ANOMALOG_LEARNING_PERIOD,
      newPatternMinLevel: c.ANOMALOG_NEW_PATTERN_MIN_LEVEL,
      spikeWindowSeconds: c.ANOMALOG_SPIKE_WINDOW,
      spikeRatio: c.ANOMALOG_SPIKE_RATIO,
      spikeMinCount: c.ANOMALOG_SPIKE_MIN_COUNT,
    },
    embeddings: {
      provider: c.EMBEDDINGS,
      model: c.ANOMALOG_EMBEDDING_MODEL,
      openaiApiKey: c.OPENAI_API_KEY,
      openaiBaseUrl: c.OPENAI_BASE_URL,
    },
    alerts: {
      windowSeconds: c.ANOMALOG_ALERT_WINDOW,
      cooldownSeconds: c.ANOMALOG_ALERT_COOLDOWN,
      incidentWindowMs: c.ANOMALOG_INCIDENT_WINDOW,
      criticalScore: c.ANOMALOG_SEVERITY_CRITICAL,
      warningScore: c.ANOMALOG_SEVERITY_WARNING,
      slackWebhookUrl: c.SLACK_WEBHOOK_URL,
      slackMinSeverity: c.ANOMALOG_SLACK_MIN_SEVERITY,
      eventsEndpoint: c.ANOMALOG_EVENTS_ENDPOINT,
      eventsProtocol: c.ANOMALOG_EVENTS_PROTOCOL,
      eventsHeaders: parseHeaders(c.ANOMALOG_EVENTS_HEADERS),
    },
  };
  return deepFreeze(config);
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child as object);
  }
  return Object.freeze(value);
}
