/** Deterministic names shared by every process: the same template gets the same key everywhere. */
import { createHash } from 'node:crypto';

function digest(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

/** Names one template text of one service in the shared template → pattern map. */
export function templateKey(service: string, template: string): string {
  return digest(service, template).slice(0, 32);
}

/** The id of a pattern created from this template key. */
export function patternIdOf(key: string): string {
  return key.slice(0, 16);
}

/** The embedding cache key: a template is embedded once per model. */
export function embeddingKey(model: string, template: string): string {
  return digest(model, template).slice(0, 32);
}

/** Anomaly ids repeat for the same event, so retries and replicas deduplicate. */
export function anomalyId(...parts: Array<string | number>): string {
  return digest(...parts.map(String)).slice(0, 32);
}

/** The id of a service's overflow pattern, which takes its new templates past ANOMALOG_MAX_PATTERNS_PER_SERVICE. */
export function overflowPatternId(service: string): string {
  return digest(service, '\u0000overflow').slice(0, 16);
}
