/**
 * Telling an outage from a bad batch. A batch that fails because a dependency is
 * down (Redis, Postgres, the embeddings provider) is retried until it recovers;
 * only a failure the batch itself causes counts toward ANOMALOG_MAX_DELIVERIES
 * and ends in the dead letters.
 */

/** A dependency is unavailable: retry later, the work itself is fine. */
export class DependencyUnavailableError extends Error {
  readonly code: string = 'ANOMALOG_DEPENDENCY_UNAVAILABLE';
  constructor(
    readonly dependency: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);
/** SQLSTATE classes of a server or connection in trouble, not of a statement's data. */
const TRANSIENT_SQLSTATE_CLASSES = new Set(['08', '53', '57', '58']);

/** True when `error` (or its cause) says a dependency is down rather than that the work is bad. */
export function isTransient(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof DependencyUnavailableError) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (NETWORK_CODES.has(code)) return true;
      if (/^[0-9A-Z]{5}$/.test(code) && TRANSIENT_SQLSTATE_CLASSES.has(code.slice(0, 2))) return true;
    }
    // ioredis while disconnected, node-postgres when its pool cannot connect.
    if (/Connection is closed|Stream isn't writeable|max retries per request|timeout exceeded when trying to connect|Connection terminated/i.test(e.message)) return true;
  }
  return false;
}

/** SQLSTATE class 22 (data exception): the row's content was refused (a NUL, bad JSON, an out-of-range value). */
export function isDataException(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('22')) return true;
  }
  return false;
}
