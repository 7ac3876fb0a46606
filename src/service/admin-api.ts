/**
 * The operator API behind `anomalog anomalies|patterns|mute|unmute|dead-letters`,
 * served on the HTTP port (bearer-protected like /v1/logs). The CLI goes
 * through it so that it works the same on the embedded default (whose PGlite
 * and memory store belong to the running process) and in production.
 *
 * A bad request answers 400 naming what is wrong with it; a failure on the
 * server's side answers 503 with a generic message and is logged in full, so
 * no store's error text reaches the client.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DeadLetterReplayError, type DeadLetters } from '../dead-letter.js';
import type { Logger } from '../logger.js';

export interface AdminBackend {
  recentAnomalies(q: { service?: string; sinceMs?: number; limit?: number }): Promise<unknown[]>;
  listPatterns(q: { service?: string }): Promise<unknown[]>;
  /** until: ms since epoch, or null for "until unmuted". False when no such pattern. */
  mute(id: string, untilMs: number | null): Promise<boolean>;
  unmute(id: string): Promise<boolean>;
  deadLetters: DeadLetters;
}

const MAX_BODY = 64 * 1024;
/** Rows one request may ask for. */
export const MAX_LIMIT = 1000;
/** A dead-letter id: a table row's number or a stream entry's id. */
const DEAD_LETTER_ID = /^\d{1,20}(-\d{1,20})?$/;

/** The request is wrong: 400 with this (our own) message. */
class BadRequestError extends Error {
  readonly code = 'ANOMALOG_BAD_REQUEST';
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new BadRequestError(`request body over ${MAX_BODY} bytes`, 413);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  try {
    return text === '' ? {} : (JSON.parse(text) as unknown);
  } catch {
    throw new BadRequestError('request body is not valid JSON');
  }
}

function optionalNumber(value: string | null, name: string): number | undefined {
  if (value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new BadRequestError(`${name} must be a number`);
  return n;
}

/** A positive whole number, at most MAX_LIMIT (larger asks get MAX_LIMIT rows). */
function limitOf(value: string | null, fallback: number): number {
  if (value === null || value === '') return fallback;
  if (!/^\d{1,15}$/.test(value) || Number(value) < 1) throw new BadRequestError(`limit must be a whole number from 1 to ${MAX_LIMIT}`);
  return Math.min(Number(value), MAX_LIMIT);
}

function pathPart(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new BadRequestError('malformed percent-encoding in the path');
  }
}

function methodNotAllowed(res: ServerResponse, allowed: string): true {
  send(res, 405, { error: `use ${allowed}` });
  return true;
}

export function createAdminApi(backend: AdminBackend, logger: Logger) {
  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const query = url.searchParams;
    if (url.pathname === '/api/anomalies') {
      if (req.method !== 'GET') return void methodNotAllowed(res, 'GET');
      const rows = await backend.recentAnomalies({
        service: query.get('service') ?? undefined,
        sinceMs: optionalNumber(query.get('since'), 'since'),
        limit: limitOf(query.get('limit'), 100),
      });
      return send(res, 200, { anomalies: rows });
    }
    if (url.pathname === '/api/patterns') {
      if (req.method !== 'GET') return void methodNotAllowed(res, 'GET');
      return send(res, 200, { patterns: await backend.listPatterns({ service: query.get('service') ?? undefined }) });
    }
    if (url.pathname === '/api/dead-letters') {
      if (req.method !== 'GET') return void methodNotAllowed(res, 'GET');
      return send(res, 200, { deadLetters: await backend.deadLetters.list(limitOf(query.get('limit'), 100)) });
    }
    const replay = /^\/api\/dead-letters\/([^/]+)\/replay$/.exec(url.pathname);
    if (replay) {
      if (req.method !== 'POST') return void methodNotAllowed(res, 'POST');
      const id = pathPart(replay[1]!);
      if (!DEAD_LETTER_ID.test(id)) throw new BadRequestError('not a dead-letter id (see `anomalog dead-letters`)');
      const found = await backend.deadLetters.replay(id);
      return send(res, found ? 200 : 404, found ? { id, replayed: true } : { error: `no dead letter ${id}` });
    }
    const mute = /^\/api\/patterns\/([^/]+)\/mute$/.exec(url.pathname);
    if (mute) {
      const id = pathPart(mute[1]!);
      if (req.method === 'PUT' || req.method === 'POST') {
        const body = (await readJson(req)) as { until?: unknown } | null;
        const until = body?.until ?? null;
        if (until !== null && (typeof until !== 'number' || !Number.isFinite(until))) {
          throw new BadRequestError('"until" must be a number of ms since the epoch, or null');
        }
        const found = await backend.mute(id, until);
        return send(res, found ? 200 : 404, found ? { id, muted: true, until } : { error: 'no such pattern' });
      }
      if (req.method === 'DELETE') {
        const found = await backend.unmute(id);
        return send(res, found ? 200 : 404, found ? { id, muted: false } : { error: 'no such pattern' });
      }
      return void methodNotAllowed(res, 'PUT or DELETE');
    }
    send(res, 404, { error: 'no such API path' });
  }

  return {
    async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
      if (!url.pathname.startsWith('/api/')) return false;
      try {
        await route(req, res, url);
      } catch (error) {
        if (error instanceof BadRequestError) {
          logger.debug({ method: req.method, path: url.pathname, reason: error.message }, 'bad API request');
          send(res, error.status, { error: error.message });
        } else if (error instanceof DeadLetterReplayError) {
          logger.warn({ err: error, path: url.pathname }, 'dead letter cannot be replayed');
          send(res, 409, { error: error.message });
        } else {
          logger.error({ err: error, method: req.method, path: url.pathname }, 'API request failed');
          send(res, 503, { error: 'the service could not answer this now; retry later' });
        }
      }
      return true;
    },
  };
}
