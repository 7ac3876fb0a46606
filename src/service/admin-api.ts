/**
 * The operator API behind `anomalog anomalies|patterns|mute|unmute`, served on
 * the HTTP port (bearer-protected like /v1/logs). The CLI goes through it so that
 * it works the same on the embedded default (whose PGlite and memory store
 * belong to the running process) and in production.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface AdminBackend {
  recentAnomalies(q: { service?: string; sinceMs?: number; limit?: number }): Promise<unknown[]>;
  listPatterns(q: { service?: string }): Promise<unknown[]>;
  /** until: ms since epoch, or null for "until unmuted". False when no such pattern. */
  mute(id: string, untilMs: number | null): Promise<boolean>;
  unmute(id: string): Promise<boolean>;
}

const MAX_BODY = 64 * 1024;

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
    if (size > MAX_BODY) throw new RangeError('body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  return text === '' ? {} : (JSON.parse(text) as unknown);
}

function optionalNumber(value: string | null, name: string): number | undefined {
  if (value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new TypeError(`${name} must be a number, got "${value}"`);
  return n;
}

export function createAdminApi(backend: AdminBackend) {
  return {
    async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
      if (!url.pathname.startsWith('/api/')) return false;
      try {
        if (url.pathname === '/api/anomalies') {
          if (req.method !== 'GET') return send(res, 405, { error: 'use GET' }), true;
          const rows = await backend.recentAnomalies({
            service: url.searchParams.get('service') ?? undefined,
            sinceMs: optionalNumber(url.searchParams.get('since'), 'since'),
            limit: optionalNumber(url.searchParams.get('limit'), 'limit'),
          });
          send(res, 200, { anomalies: rows });
          return true;
        }
        if (url.pathname === '/api/patterns') {
          if (req.method !== 'GET') return send(res, 405, { error: 'use GET' }), true;
          send(res, 200, { patterns: await backend.listPatterns({ service: url.searchParams.get('service') ?? undefined }) });
          return true;
        }
        const mute = /^\/api\/patterns\/([^/]+)\/mute$/.exec(url.pathname);
        if (mute) {
          const id = decodeURIComponent(mute[1]!);
          if (req.method === 'PUT' || req.method === 'POST') {
            const body = (await readJson(req)) as { until?: unknown };
            const until = body.until ?? null;
            if (until !== null && (typeof until !== 'number' || !Number.isFinite(until))) {
              send(res, 400, { error: '"until" must be a number of ms since the epoch, or null' });
              return true;
            }
            const found = await backend.mute(id, until);
            send(res, found ? 200 : 404, found ? { id, muted: true, until } : { error: `no pattern ${id}` });
            return true;
          }
          if (req.method === 'DELETE') {
            const found = await backend.unmute(id);
            send(res, found ? 200 : 404, found ? { id, muted: false } : { error: `no pattern ${id}` });
            return true;
          }
          send(res, 405, { error: 'use PUT or DELETE' });
          return true;
        }
        send(res, 404, { error: `no such API path ${url.pathname}` });
        return true;
      } catch (error) {
        const client = error instanceof SyntaxError || error instanceof TypeError || error instanceof RangeError;
        send(res, client ? 400 : 503, { error: (error as Error).message });
        return true;
      }
    },
  };
}
