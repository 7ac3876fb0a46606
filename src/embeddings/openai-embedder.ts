/**
 * Embeddings from the OpenAI API or any OpenAI-compatible server
 * (OPENAI_BASE_URL). The openai client retries 429 and 5xx itself, with
 * exponential backoff and Retry-After; a failure after the retries rejects, and
 * the batch that needed the vectors is refused, to be retried (see guarded-embedder.ts).
 */
import OpenAI from 'openai';
import type { Logger } from '../logger.js';
import type { Embedder } from './embedder.js';
import { normalise } from './embedder.js';

/** The API accepts up to 2048 inputs, but small batches keep one failure cheap. */
const BATCH = 100;

export interface OpenAiEmbedderDeps {
  apiKey?: string | undefined;
  baseURL?: string | undefined;
  model: string;
  timeoutMs?: number;
  maxRetries?: number;
  logger: Logger;
}

export function createOpenAiEmbedder(deps: OpenAiEmbedderDeps): Embedder {
  const client = new OpenAI({
    // Self-hosted compatible servers often need no key, but the client insists on one.
    apiKey: deps.apiKey ?? 'unused',
    baseURL: deps.baseURL,
    // Detection waits on this call: a slow outage must not hold every export for minutes.
    timeout: deps.timeoutMs ?? 10_000,
    maxRetries: deps.maxRetries ?? 2,
  });
  let dimensions = 0;

  async function embedBatch(texts: string[]): Promise<Float32Array[]> {
    const started = Date.now();
    const response = await client.embeddings.create({ model: deps.model, input: texts, encoding_format: 'float' });
    const vectors = new Array<Float32Array>(texts.length);
    for (const item of response.data) vectors[item.index] = normalise(Float32Array.from(item.embedding));
    for (let i = 0; i < vectors.length; i++) {
      if (!vectors[i]) throw new Error(`embeddings response from ${deps.model} lacks input ${i}`);
    }
    dimensions = vectors[0]?.length ?? dimensions;
    deps.logger.debug({ model: deps.model, texts: texts.length, ms: Date.now() - started }, 'embedded templates');
    return vectors;
  }

  return {
    model: deps.model,
    get dimensions() {
      return dimensions;
    },
    async embed(texts) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += BATCH) out.push(...(await embedBatch(texts.slice(i, i + BATCH))));
      return out;
    },
  };
}
