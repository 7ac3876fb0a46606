/**
 * ANOMALOG_SERVICE_IDLE_TTL: on a timer, tells each part that keeps per-service
 * state (the admission slots, the detector and its store) to forget the
 * services idle since now − TTL. Counted and logged per part.
 */
import prom from 'prom-client';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';

export interface IdlePart {
  name: string;
  /** Forgets what was idle since `before` (ms); resolves with how many services. */
  forgetIdle(before: number): Promise<number>;
}

export interface IdleSweep {
  /** One pass now (the timer calls it too). */
  sweep(): Promise<void>;
  stop(): void;
}

/** A tenth of the TTL, between 1 s and 1 min: a service is forgotten at most that late. */
export function sweepIntervalMs(ttlMs: number): number {
  return Math.min(60_000, Math.max(1_000, ttlMs / 10));
}

export function startIdleSweep(deps: {
  ttlMs: number;
  parts: IdlePart[];
  logger: Logger;
  registry: Registry;
  now?: () => number;
  intervalMs?: number;
}): IdleSweep {
  const { ttlMs, parts, logger } = deps;
  const now = deps.now ?? Date.now;
  const forgotten = new prom.Counter({
    name: 'anomalog_idle_services_forgotten_total',
    help: 'Services forgotten after ANOMALOG_SERVICE_IDLE_TTL without records, by part (admission, detector)',
    labelNames: ['part'],
    registers: [deps.registry],
  });
  let running: Promise<void> | undefined;

  async function pass(): Promise<void> {
    const before = now() - ttlMs;
    for (const part of parts) {
      try {
        const n = await part.forgetIdle(before);
        if (n > 0) {
          forgotten.inc({ part: part.name }, n);
          logger.info({ part: part.name, services: n, idleTtlMs: ttlMs }, 'forgot services idle for ANOMALOG_SERVICE_IDLE_TTL');
        }
      } catch (error) {
        logger.warn({ err: error, part: part.name }, 'idle service sweep failed; retrying at the next one');
      }
    }
  }

  function sweep(): Promise<void> {
    // A pass still running (a slow store) is not started again.
    running ??= pass().finally(() => {
      running = undefined;
    });
    return running;
  }

  const timer = setInterval(() => void sweep(), deps.intervalMs ?? sweepIntervalMs(ttlMs));
  timer.unref();
  return {
    sweep,
    stop: () => clearInterval(timer),
  };
}
