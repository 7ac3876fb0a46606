/**
 * Operator commands. They talk to the running service's /api (see
 * service/admin-api.ts), which reads the same stores the detector uses.
 * The service is found at --url, else ANOMALOG_URL, else the local HTTP port.
 * The API client (target, call, guarded) serves the other operator commands too.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { parseDuration } from '../duration.js';
import type { CommandIo } from './command-io.js';
import { terminalJson } from '../text/terminal-text.js';
import { renderTable, truncate } from './table.js';

class ApiError extends Error {
  readonly code = 'ANOMALOG_API';
}

interface Target {
  baseUrl: string;
  token: string | undefined;
}

export function target(url: string | undefined): Target {
  const config = loadConfig();
  return { baseUrl: url?.replace(/\/+$/, '') ?? config.apiUrl, token: config.authToken };
}

export async function call(t: Target, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (t.token) headers.authorization = `Bearer ${t.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`${t.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    // fetch wraps the socket error (ECONNREFUSED, ...) as its cause.
    const cause = (error as Error).cause;
    const detail = cause instanceof Error ? cause.message : (error as Error).message;
    throw new ApiError(`cannot reach anomalog at ${t.baseUrl} (is \`anomalog serve\` running? set --url or ANOMALOG_URL): ${detail}`);
  }
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    throw new ApiError(`${t.baseUrl}${path} answered ${response.status} with a body that is not JSON`);
  }
  if (response.status === 401) throw new ApiError('unauthorised: set ANOMALOG_AUTH_TOKEN to the service token');
  if (response.status >= 400 && response.status !== 404) {
    throw new ApiError(`${method} ${path} failed with ${response.status}: ${typeof json.error === 'string' ? json.error : text}`);
  }
  return { status: response.status, json };
}

/** Runs a command body, turning expected failures (bad flags, unreachable service) into exit code 2 / 1 with a message. */
export async function guarded(io: CommandIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof ApiError) {
      io.stderr.write(`anomalog: ${error.message}\n`);
      return 1;
    }
    if (error instanceof RangeError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`anomalog: ${(error as Error).message}\n`);
      return 2;
    }
    throw error;
  }
}

export const iso = (value: unknown) => (value === null || value === undefined ? '' : new Date(value as string | number).toISOString().replace('.000Z', 'Z'));

/** Prints a listing as JSON (--json), as `empty` when there is nothing, else as the table `table` renders; exit code 0. */
export function writeList<T>(io: CommandIo, items: T[], how: { json: boolean | undefined; empty: string; table: (items: T[]) => string }): number {
  if (how.json) io.stdout.write(`${terminalJson(items, 2)}\n`);
  else io.stdout.write(items.length === 0 ? `${how.empty}\n` : how.table(items));
  return 0;
}

/** The one ID a command takes as its argument. */
export function onlyId(positionals: string[], usage: string): string {
  const id = positionals[0];
  if (!id || positionals.length > 1) throw new RangeError(usage);
  return id;
}

export function runAnomalies(argv: string[], io: CommandIo): Promise<number> {
  return guarded(io, async () => {
    const { values } = parseArgs({
      args: argv,
      options: { service: { type: 'string' }, since: { type: 'string', default: '1h' }, limit: { type: 'string', default: '100' }, json: { type: 'boolean' }, url: { type: 'string' } },
      strict: true,
    });
    const since = Date.now() - parseDuration(values.since);
    const query = new URLSearchParams({ since: String(since), limit: values.limit });
    if (values.service) query.set('service', values.service);
    const { json } = await call(target(values.url), 'GET', `/api/anomalies?${query}`);
    return writeList(io, (json.anomalies ?? []) as Array<Record<string, unknown>>, {
      json: values.json,
      empty: `no anomalies since ${iso(since)}${values.service ? ` for ${values.service}` : ''}`,
      table: (anomalies) =>
        renderTable(
          ['DETECTED', 'SERVICE', 'KIND', 'LEVEL', 'SCORE', 'PATTERN', 'REASON'],
          anomalies.map((a) => [
            iso(a.detectedAt),
            String(a.service),
            String(a.kind),
            String(a.level),
            Number(a.score).toFixed(2),
            String(a.patternId),
            truncate(String(a.reason), 100),
          ]),
        ),
    });
  });
}

export function runPatterns(argv: string[], io: CommandIo): Promise<number> {
  return guarded(io, async () => {
    const { values } = parseArgs({ args: argv, options: { service: { type: 'string' }, json: { type: 'boolean' }, url: { type: 'string' } }, strict: true });
    const query = values.service ? `?${new URLSearchParams({ service: values.service })}` : '';
    const { json } = await call(target(values.url), 'GET', `/api/patterns${query}`);
    const now = Date.now();
    return writeList(io, (json.patterns ?? []) as Array<Record<string, unknown>>, {
      json: values.json,
      empty: 'no patterns learned yet',
      table: (patterns) =>
        renderTable(
          ['ID', 'SERVICE', 'LEVEL', 'COUNT', 'LAST SEEN', 'MUTED', 'TEMPLATE'],
          patterns.map((p) => {
            const until = p.mutedUntil as number | null | undefined;
            const muted = until === null || until === undefined ? '' : until > now ? (until >= 8.64e15 ? 'yes' : `until ${iso(until)}`) : '';
            return [String(p.id), String(p.service), String(p.level), String(p.count), iso(p.lastSeen), muted, truncate(String(p.template), 100)];
          }),
        ),
    });
  });
}

export function runMute(argv: string[], io: CommandIo): Promise<number> {
  return guarded(io, async () => {
    const { values, positionals } = parseArgs({ args: argv, options: { for: { type: 'string' }, url: { type: 'string' } }, allowPositionals: true, strict: true });
    const id = onlyId(positionals, 'usage: anomalog mute ID [--for 7d]');
    const until = values.for ? Date.now() + parseDuration(values.for) : null;
    const { status } = await call(target(values.url), 'PUT', `/api/patterns/${encodeURIComponent(id)}/mute`, { until });
    if (status === 404) {
      io.stderr.write(`anomalog: no pattern ${id} (see \`anomalog patterns\`)\n`);
      return 1;
    }
    io.stdout.write(until === null ? `muted ${id} until unmuted\n` : `muted ${id} until ${iso(until)}\n`);
    return 0;
  });
}

export function runUnmute(argv: string[], io: CommandIo): Promise<number> {
  return guarded(io, async () => {
    const { values, positionals } = parseArgs({ args: argv, options: { url: { type: 'string' } }, allowPositionals: true, strict: true });
    const id = onlyId(positionals, 'usage: anomalog unmute ID');
    const { status } = await call(target(values.url), 'DELETE', `/api/patterns/${encodeURIComponent(id)}/mute`);
    if (status === 404) {
      io.stderr.write(`anomalog: no pattern ${id} (see \`anomalog patterns\`)\n`);
      return 1;
    }
    io.stdout.write(`unmuted ${id}\n`);
    return 0;
  });
}
