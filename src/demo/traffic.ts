import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';

/** Realistic multi-service log traffic for the demo and the alerting benchmark. */
export type Severity = 'info' | 'warn' | 'error';
export const SEVERITY: Record<Severity, SeverityNumber> = { info: SeverityNumber.INFO, warn: SeverityNumber.WARN, error: SeverityNumber.ERROR };

export const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
export const hex = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join('');
const ms = () => Math.floor(5 + Math.random() * 400);

/** Normal traffic: a few message shapes per service, with variable parts. */
export const NORMAL: Record<string, Array<() => [Severity, string]>> = {
  checkout: [
    () => ['info', `POST /api/checkout 200 ${ms()}ms user=${hex(8)}`],
    () => ['info', `cart ${hex(12)} priced with ${1 + Math.floor(Math.random() * 9)} items total=${(Math.random() * 300).toFixed(2)} EUR`],
    () => ['info', `order ${crypto.randomUUID()} created for customer ${1000 + Math.floor(Math.random() * 9000)}`],
  ],
  'payment-gateway': [
    () => ['info', `charge ${hex(16)} authorised amount=${(Math.random() * 300).toFixed(2)} currency=EUR in ${ms()}ms`],
    () => ['info', `3DS challenge completed for card ending ${1000 + Math.floor(Math.random() * 9000)}`],
    () => ['warn', `retrying charge ${hex(16)} attempt ${1 + Math.floor(Math.random() * 2)} after ${ms()}ms`],
  ],
  inventory: [
    () => ['info', `reserved ${1 + Math.floor(Math.random() * 5)} units of sku ${pick(['A', 'B', 'C'])}-${10000 + Math.floor(Math.random() * 90000)}`],
    () => ['info', `GET /stock/${10000 + Math.floor(Math.random() * 90000)} 200 ${ms()}ms`],
  ],
  auth: [
    () => ['info', `login ok for user ${hex(8)} from 10.${Math.floor(Math.random() * 255)}.${Math.floor(Math.random() * 255)}.${Math.floor(Math.random() * 255)}`],
    () => ['info', `token refreshed for session ${crypto.randomUUID()} ttl=3600s`],
    () => ['warn', `slow LDAP bind took ${800 + ms()}ms`],
  ],
};

export const NOVEL_ERROR = () => `Card processor connection pool exhausted: 0/32 connections available, acquire timed out after 5000ms (merchant ${hex(6)})`;
export const SPIKE = () => `GET /stock/${10000 + Math.floor(Math.random() * 90000)} 200 ${ms()}ms`;


/** Twenty unrelated failures, each a shape no service logs normally (alert-latency trials). */
export const NOVEL_ERRORS: ReadonlyArray<readonly [service: string, message: () => string]> = [
  ['payment-gateway', NOVEL_ERROR],
  ['checkout', () => `Deadlock detected while updating order ledger row ${hex(8)}; transaction rolled back`],
  ['inventory', () => `Replica lag exceeded threshold: follower db-${hex(4)} is ${ms()} seconds behind primary`],
  ['auth', () => `JWKS endpoint returned malformed key set, rejecting all bearer tokens`],
  ['payment-gateway', () => `TLS handshake with acquirer failed: certificate expired on 2026-11-01`],
  ['checkout', () => `Kafka producer buffer full, dropping outbound event for partition ${ms() % 12}`],
  ['inventory', () => `Disk quota exceeded on volume /var/lib/stock-cache (${ms()}% used)`],
  ['auth', () => `Password hash verification panicked: bcrypt cost factor unsupported`],
  ['payment-gateway', () => `Fraud scoring model unavailable, circuit breaker open for merchant ${hex(6)}`],
  ['checkout', () => `Tax calculation service responded with HTTP 502 Bad Gateway`],
  ['inventory', () => `Out of memory: heap limit reached while rebuilding warehouse index`],
  ['auth', () => `Session store eviction storm: ${ms()} keys evicted in one second`],
  ['payment-gateway', () => `Refund reconciliation mismatch between ledger and acquirer report`],
  ['checkout', () => `Shipping quote provider DNS resolution failed for rates.carrier.example`],
  ['inventory', () => `Schema migration lock held too long by pid ${1000 + ms()}`],
  ['auth', () => `SAML assertion signature invalid for identity provider ${hex(5)}`],
  ['payment-gateway', () => `Idempotency key collision detected on settlement batch ${hex(10)}`],
  ['checkout', () => `Coupon engine threw NullPointerException in discount resolver`],
  ['inventory', () => `Supplier feed parser aborted: unexpected end of XML document`],
  ['auth', () => `Rate limiter backend unreachable, failing closed for all logins`],
];

export interface TrafficDriver {
  emit(service: string, severity: Severity, body: string): void;
  /** Normal traffic from every service at about perSecond records each, for `seconds`. */
  normal(seconds: number, perSecond: number): Promise<void>;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Sends through the real OpenTelemetry JS SDK (one LoggerProvider per service,
 * batch processor, OTLP/gRPC exporter). `suffix` keeps service names unique
 * when several runs share one Redis.
 */
export function createTrafficDriver(opts: { grpcPort: number; suffix?: string; scheduledDelayMillis?: number }): TrafficDriver {
  const providers = new Map<string, LoggerProvider>();
  const provider = (service: string) => {
    let p = providers.get(service);
    if (!p) {
      p = new LoggerProvider({
        resource: resourceFromAttributes({ 'service.name': service, 'deployment.environment': 'demo' }),
        processors: [
          new BatchLogRecordProcessor({
            exporter: new OTLPLogExporter({ url: `http://127.0.0.1:${opts.grpcPort}` }),
            scheduledDelayMillis: opts.scheduledDelayMillis ?? 100,
            maxExportBatchSize: 1000,
            maxQueueSize: 20_000,
          }),
        ],
      });
      providers.set(service, p);
    }
    return p;
  };
  const emit = (service: string, severity: Severity, body: string) =>
    provider(`${service}${opts.suffix ?? ''}`).getLogger('anomalog-demo').emit({ severityNumber: SEVERITY[severity], severityText: severity.toUpperCase(), body });
  return {
    emit,
    async normal(seconds, perSecond) {
      const until = Date.now() + seconds * 1000;
      while (Date.now() < until) {
        for (const [service, shapes] of Object.entries(NORMAL)) {
          for (let i = 0; i < perSecond / 10; i++) emit(service, ...pick(shapes)());
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async flush() {
      await Promise.all([...providers.values()].map((p) => p.forceFlush()));
    },
    async shutdown() {
      await Promise.all([...providers.values()].map((p) => p.shutdown()));
    },
  };
}
