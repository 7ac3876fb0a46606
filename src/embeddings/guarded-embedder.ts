/**
 * Wraps a remote embedder so an outage is cheap and visible: after a failure
 * the provider counts as down and calls fail at once with
 * DependencyUnavailableError (the batch is refused, to be retried) instead of
 * each waiting out the client's own timeouts and retries; one call is let
 * through after a backoff that doubles up to maxBackoffMs, and the first
 * success ends the outage. A status() read past the backoff probes the provider
 * in the background, so readiness recovers without waiting for traffic.
 */
import type { Logger } from '../logger.js';
import { DependencyUnavailableError } from '../errors.js';
import type { Embedder, EmbedderStatus } from './embedder.js';

export interface GuardedEmbedderDeps {
  embedder: Embedder;
  logger: Logger;
  now?: () => number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export function createGuardedEmbedder(deps: GuardedEmbedderDeps): Embedder {
  const { embedder, logger } = deps;
  const now = deps.now ?? Date.now;
  const minBackoffMs = deps.minBackoffMs ?? 1_000;
  const maxBackoffMs = deps.maxBackoffMs ?? 30_000;
  let downSince: number | undefined;
  let lastError = '';
  let backoffMs = 0;
  let retryAt = 0;
  let probing = false;

  function unavailable(): DependencyUnavailableError {
    return new DependencyUnavailableError('embeddings', `embeddings provider (${embedder.model}) unavailable since ${new Date(downSince!).toISOString()}: ${lastError}`);
  }

  return {
    model: embedder.model,
    get dimensions() {
      return embedder.dimensions;
    },
    embed,
    status(): EmbedderStatus {
      if (downSince === undefined) return { ok: true, detail: 'ok' };
      if (!probing && now() >= retryAt) {
        probing = true;
        embed(['anomalog readiness probe'])
          .catch(() => undefined)
          .finally(() => (probing = false));
      }
      return { ok: false, detail: unavailable().message };
    },
  };

  async function embed(texts: string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    if (downSince !== undefined && now() < retryAt) throw unavailable();
    try {
      const vectors = await embedder.embed(texts);
      if (downSince !== undefined) logger.info({ model: embedder.model, downMs: now() - downSince }, 'embeddings provider recovered');
      downSince = undefined;
      backoffMs = 0;
      return vectors;
    } catch (error) {
      lastError = (error as Error).message;
      if (downSince === undefined) {
        downSince = now();
        logger.error({ err: error, model: embedder.model }, 'embeddings provider failing; batches with new templates are refused until it recovers');
      }
      backoffMs = Math.min(Math.max(backoffMs * 2, minBackoffMs), maxBackoffMs);
      retryAt = now() + backoffMs;
      throw new DependencyUnavailableError('embeddings', `embedding ${texts.length} template(s) with ${embedder.model} failed: ${lastError}`, { cause: error });
    }
  }
}
