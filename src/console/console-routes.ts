/**
 * Serves the console: GET / is the page, /console/app.js and /console/app.css
 * its bundle, which esbuild builds from src/console/web into dist/console
 * (`npm run build`; `npm install` runs it). None of them holds data, so they
 * are answered before the bearer check; everything the page shows comes
 * through /api with the token. The bundle is read once, at start.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../logger.js';
import type { HttpExtension } from '../receiver/http-server.js';
import { consolePage, SECURITY_HEADERS } from './console-page.js';

/** dist/console, found from this file whether it runs from dist/src/console or from src/console (tests). */
const DEFAULT_ASSETS_DIR = fileURLToPath(
  new URL(import.meta.url.includes('/dist/src/') ? '../../console/' : '../../dist/console/', import.meta.url),
);

const ASSETS = [
  { path: '/console/app.js', file: 'app.js', type: 'text/javascript; charset=utf-8' },
  { path: '/console/app.css', file: 'app.css', type: 'text/css; charset=utf-8' },
] as const;

interface Served {
  body: Buffer;
  type: string;
  etag: string;
}

function served(body: Buffer | string, type: string): Served {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return { body: bytes, type, etag: `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 22)}"` };
}

function answer(req: IncomingMessage, res: ServerResponse, item: Served): void {
  const headers = { ...SECURITY_HEADERS, 'cache-control': 'no-cache', etag: item.etag };
  if (req.headers['if-none-match'] === item.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-type': item.type, 'content-length': item.body.length });
  res.end(req.method === 'HEAD' ? undefined : item.body);
}

function sendText(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), ...extra });
  res.end(text);
}

export async function createConsole(deps: { logger: Logger; assetsDir?: string }): Promise<HttpExtension> {
  const dir = deps.assetsDir ?? DEFAULT_ASSETS_DIR;
  const routes = new Map<string, Served>();
  let missing: string | undefined;
  try {
    for (const asset of ASSETS) routes.set(asset.path, served(await readFile(join(dir, asset.file)), asset.type));
  } catch (error) {
    // The service runs without its console rather than not at all; the page says why.
    missing = `the console is not built (${(error as Error).message}): run \`npm run build\``;
    deps.logger.warn({ err: error, dir }, 'console assets missing; GET / answers 503 until they are built');
  }
  if (!missing) {
    const version = [...routes.values()].map((r) => r.etag.slice(1, 9)).join('');
    routes.set('/', served(consolePage(version), 'text/html; charset=utf-8'));
  }

  return {
    async handle(req, res, url) {
      const path = url.pathname;
      if (path !== '/' && path !== '/favicon.ico' && !path.startsWith('/console/')) return false;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendText(res, 405, 'use GET\n', { allow: 'GET, HEAD' });
        return true;
      }
      // No icon: answering keeps the browser's automatic request from counting as an unauthenticated one.
      if (path === '/favicon.ico') {
        res.writeHead(204, SECURITY_HEADERS);
        res.end();
        return true;
      }
      if (missing && path === '/') {
        sendText(res, 503, `${missing}\n`);
        return true;
      }
      const item = routes.get(path);
      if (item) answer(req, res, item);
      else sendText(res, 404, 'no such console file\n');
      return true;
    },
  };
}
