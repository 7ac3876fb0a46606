/**
 * Delivers alert rows to their channels in the background: claims due rows with a
 * lease, tries each pending channel, and stores the outcome with the next attempt
 * time (exponential backoff, or the channel's Retry-After). Rows left by a previous
 * run are simply due, so a restart delivers them.
 */
import type { Counter } from 'prom-client';
import type { Logger } from '../logger.js';
import type { AlertRepo, ChannelDelivery, OutboxRow } from '../store/alert-repo.js';
import type { AlertChannel, DeliveryResult } from './alert-channel.js';

export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
  /** Attempts per channel before the alert is marked failed for it. */
  maxAttempts: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 1_000, maxMs: 10 * 60_000, maxAttempts: 20 };

export interface OutboxDeps {
  repo: AlertRepo;
  channels: AlertChannel[];
  logger: Logger;
  deliveries: Counter<'channel' | 'outcome'>;
  now: () => number;
  retry: RetryPolicy;
  /** How often to look for rows written by other processes or due for a retry. */
  pollMs: number;
  leaseMs: number;
}

export interface Outbox {
  start(): void;
  /** Run a pass now (new rows were written). */
  wake(): void;
  /** Run a pass at this time (ms since the epoch): a row written to wait until then falls due. */
  wakeAt(at: number): void;
  /** Stop looping; waits for the pass in flight, at most timeoutMs. */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Rows claimed per pass. One: webhooks rate-limit per URL, so rows go one after
 * another anyway, and a short lease then covers the one delivery in flight.
 */
const BATCH = 1;
/** A channel that is not configured in this process keeps its rows pending; look again later. */
const MISSING_CHANNEL_RETRY_MS = 5 * 60_000;

export function backoffMs(attempt: number, policy: RetryPolicy, random = Math.random): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  // ±20% jitter so processes retrying the same outage spread out.
  return Math.round(exp * (0.8 + 0.4 * random()));
}

export function createOutbox(deps: OutboxDeps): Outbox {
  const { repo, logger, now } = deps;
  const byName = new Map(deps.channels.map((c) => [c.name, c]));
  /** Channel-wide pause after a 429, so other alerts do not hammer a rate-limited webhook. */
  const pausedUntil = new Map<string, number>();
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let wakeUp: (() => void) | undefined;
  /** Set by wake() during a pass, so the request is not lost while no one is sleeping. */
  let woken = false;
  let loop: Promise<void> | undefined;
  /** Times rows written here fall due; the loop sleeps no longer than to the earliest. */
  const dueTimes = new Set<number>();

  /** How long to sleep: the poll interval, or less when a row falls due sooner. */
  function sleepMs(): number {
    const t = now();
    let ms = deps.pollMs;
    for (const at of dueTimes) {
      if (at <= t) dueTimes.delete(at);
      else ms = Math.min(ms, at - t);
    }
    return ms;
  }

  async function deliverChannel(row: OutboxRow, name: string, state: ChannelDelivery): Promise<ChannelDelivery> {
    const t = now();
    if ((state.nextAttemptAt ?? 0) > t) return state;
    const channel = byName.get(name);
    if (!channel) {
      logger.warn({ alert: row.alert.id, channel: name }, 'alert waits for a channel that is not configured here');
      return { ...state, nextAttemptAt: t + MISSING_CHANNEL_RETRY_MS };
    }
    const paused = pausedUntil.get(name) ?? 0;
    if (paused > t) return { ...state, nextAttemptAt: paused };

    let result: DeliveryResult;
    try {
      result = await channel.deliver(row.alert);
    } catch (error) {
      // A channel should return results; a throw is a bug, but the alert is still worth retrying.
      logger.error({ err: error, alert: row.alert.id, channel: name }, 'alert channel threw');
      result = { kind: 'retryable', error: (error as Error).message };
    }
    const attempts = state.attempts + 1;
    const done = now();
    deps.deliveries.inc({ channel: name, outcome: result.kind });
    switch (result.kind) {
      case 'success':
        return { state: 'delivered', attempts, deliveredAt: done };
      case 'failure':
        logger.error({ alert: row.alert.id, channel: name, error: result.error }, 'alert delivery failed for good');
        return { state: 'failed', attempts, lastError: result.error };
      case 'retryable': {
        if (attempts >= deps.retry.maxAttempts) {
          logger.error({ alert: row.alert.id, channel: name, attempts, error: result.error }, 'alert delivery gave up');
          return { state: 'failed', attempts, lastError: result.error };
        }
        if (result.retryAfterMs !== undefined) pausedUntil.set(name, done + result.retryAfterMs);
        const delay = result.retryAfterMs ?? backoffMs(attempts, deps.retry);
        logger.warn({ alert: row.alert.id, channel: name, attempts, delayMs: delay, error: result.error }, 'alert delivery will be retried');
        return { state: 'pending', attempts, lastError: result.error, nextAttemptAt: done + delay };
      }
    }
  }

  async function deliverRow(row: OutboxRow): Promise<void> {
    const delivery = { ...row.delivery };
    for (const [name, state] of Object.entries(row.delivery)) {
      if (state.state === 'pending') delivery[name] = await deliverChannel(row, name, state);
    }
    const pending = Object.values(delivery).filter((d) => d.state === 'pending');
    const states = Object.values(delivery);
    const t = now();
    await repo.saveDelivery(row.alert.id, {
      delivery,
      done: pending.length === 0,
      attempts: states.reduce((sum, d) => sum + d.attempts, 0),
      lastError: states.find((d) => d.lastError)?.lastError ?? null,
      nextAttemptAt: pending.length ? Math.min(...pending.map((d) => d.nextAttemptAt ?? t)) : t,
    });
  }

  /** Returns true when there may be more due rows right away. */
  async function pass(): Promise<boolean> {
    const rows = await repo.claimDue(now(), BATCH, deps.leaseMs);
    for (const [i, row] of rows.entries()) {
      if (!running) {
        // Stopping: hand the untried rows back so a restarted process need not wait out the lease.
        await repo.release(rows.slice(i).map((r) => r.alert.id));
        break;
      }
      await deliverRow(row).catch((error: unknown) => {
        // The lease runs out and another pass retries the row.
        logger.error({ err: error, alert: row.alert.id }, 'could not record alert delivery');
      });
    }
    return rows.length === BATCH;
  }

  async function run(): Promise<void> {
    while (running) {
      let more = false;
      woken = false;
      try {
        more = await pass();
      } catch (error) {
        logger.warn({ err: error }, 'alert outbox pass failed; retrying');
      }
      if (more || woken || !running) continue;
      await new Promise<void>((resolve) => {
        wakeUp = resolve;
        timer = setTimeout(resolve, sleepMs());
      });
      clearTimeout(timer);
      wakeUp = undefined;
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    wake() {
      woken = true;
      wakeUp?.();
    },
    wakeAt(at) {
      if (dueTimes.has(at)) return;
      dueTimes.add(at);
      // Sleeping to the poll interval: sleep again, to whichever comes first.
      wakeUp?.();
    },
    async stop(timeoutMs = 5_000) {
      running = false;
      wakeUp?.();
      if (!loop) return;
      let bound: NodeJS.Timeout | undefined;
      await Promise.race([loop, new Promise<void>((resolve) => (bound = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(bound);
    },
  };
}
