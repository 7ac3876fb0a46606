/**
 * The operator API behind `anomalog anomalies|patterns|mute|unmute|dead-letters`
 * and the console, served on the HTTP port (bearer-protected like /v1/logs).
 * The CLI goes through it so that it works the same on the embedded default
 * (whose PGlite and memory store belong to the running process) and in production.
 *
 * A bad request answers 400 naming what is wrong with it; a failure on the
 * server's side answers 503 with a generic message and is logged in full, so
 * no store's error text reaches the client.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConsoleSettings, PatternView, ServiceView } from '../console/api-types.js';
import { DeadLetterReplayError, type DeadLetters } from '../dead-letter.js';
import { isLevel } from '../log-entry.js';
import type { Logger } from '../logger.js';
import type { AnomalyRow, RecentQuery } from '../store/anomaly-repo.js';
import { cutText } from '../text/safe-text.js';
import { MAX_WINDOWS } from './console-views.js';

export interface AdminBackend {
  recentAnomalies(q: RecentQuery): Promise<AnomalyRow[]>;
  anomaly(id: string): Promise<AnomalyRow | undefined>;
  listPatterns(q: { service?: string; windows?: number }): Promise<PatternView[]>;
  services(): Promise<ServiceView[]>;
  settings: ConsoleSettings;
  /** until: ms since epoch, or null for "until unmuted". False when no such pattern. */
  mute(id: string, untilMs: number | null): Promise<boolean>;
  unmute(id: string): Promise<boolean>;
  deadLetters: DeadLetters;
}

const MAX_BODY = 64 * 1024;
/** Rows one request may ask for. */
const MAX_LIMIT = 1000;
/** A dead-letter id: a table row's number or a stream entry's id. */
const DEAD_LETTER_ID = /^\d{1,20}(-\d{1,20})?$/;
/** A brief anomaly (the console's list) carries this much of its message and template. */
const BRIEF_CHARS = 300;
/** A kind filter: a few of the detector's kind names. */
const KIND = /^[a-z_]{1,40}$/;

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
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
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

/** `a,b,c` → its non-empty items, each checked. */
function listOf(value: string | null, name: string, valid: (item: string) => boolean): string[] | undefined {
  if (value === null || value === '') return undefined;
  const items = value.split(',').filter((item) => item !== '');
  const bad = items.find((item) => !valid(item));
  if (bad !== undefined) throw new BadRequestError(`${name}: "${cutText(bad, 40)}" is not a known ${name}`);
  return items;
}

/** The next page's cursor: `before` (ms) and `beforeId`, from the last row of this one. */
function cursorOf(query: URLSearchParams): RecentQuery['before'] {
  const before = optionalNumber(query.get('before'), 'before');
  if (before === undefined) return undefined;
  // Without an id, only rows strictly older: no id sorts below ''.
  return { detectedAt: before, id: query.get('beforeId') ?? '' };
}

/** The list's view of an anomaly: no samples or attributes, message and template cut short. */
function brief(row: AnomalyRow): Record<string, unknown> {
  const { samples: _samples, attributes: _attributes, ...rest } = row;
  return { ...rest, message: cutText(row.message, BRIEF_CHARS), template: cutText(row.template, BRIEF_CHARS) };
}

/**
 * A browser marks a request another site's page makes (Sec-Fetch-Site). Without
 * a token such a page could otherwise mute patterns of a service on the
 * operator's own network; the CLI sends no such header. (Origin is not compared
 * with Host: a proxy in front may rewrite Host.)
 */
function crossSite(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  return site === 'cross-site' || site === 'same-site';
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
      const limit = limitOf(query.get('limit'), 100);
      const rows = await backend.recentAnomalies({
        service: query.get('service') ?? undefined,
        sinceMs: optionalNumber(query.get('since'), 'since'),
        kinds: listOf(query.get('kind'), 'kind', (k) => KIND.test(k)),
        levels: listOf(query.get('level'), 'level', isLevel),
        before: cursorOf(query),
        limit,
      });
      const last = rows.at(-1);
      // A full page may have more behind it: where the next one starts.
      const next = rows.length === limit && last ? { before: last.detectedAt, beforeId: last.id } : null;
      return send(res, 200, { anomalies: query.get('view') === 'brief' ? rows.map(brief) : rows, next });
    }
    const one = /^\/api\/anomalies\/([^/]+)$/.exec(url.pathname);
    if (one) {
      if (req.method !== 'GET') return void methodNotAllowed(res, 'GET');
      const id = pathPart(one[1]!);
      const row = await backend.anomaly(id);
      return send(res, row ? 200 : 404, row ? { anomaly: row } : { error: 'no such anomaly' });
    }
    if (url.pathname === '/api/patterns') {
      if (req.method !== 'GET') return void methodNotAllowed(res, 'GET');
      const windows = query.get('windows');
      if (windows !== null && !(/^\d{1,3}$/.test(windows) && Number(windows) <= MAX_WINDOWS)) {
        throw new BadRequestError(`windows must be a whole number from 0 to ${MAX_WINDOWS}`);
      }
      const patterns = await backend.listPatterns({ service: query.get('service') ?? undefined, windows: windows === null ? undefined : Number(windows) });
      return send(res, 200, { patterns, windowSeconds: backend.settings.windowSeconds });
    }
    if (url.pathname === '/api/services') {
      if (req.method !== 'GET') return void methodNotAllowed(res, 'GET');
      return send(res, 200, { services: await backend.services() });
    }
    if (url.pathname === '/api/settings') {
      if (req.method !== 'GET') return void methodNotAllowed(res, 'GET');
      return send(res, 200, backend.settings);
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
      if (req.method !== 'GET' && req.method !== 'HEAD' && crossSite(req)) {
        logger.warn({ method: req.method, path: url.pathname, origin: req.headers.origin }, 'API request from another site refused');
        send(res, 403, { error: 'requests from pages of other sites are refused' });
        return true;
      }
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
