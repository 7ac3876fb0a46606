/**
 * Realistic values shared by the generators: addresses, ids, user agents, request
 * paths, time stamps in the shapes products print them.
 */
import type { Rng } from './core.js';

export const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

export function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** UTC parts of a time in ms. */
export function parts(ms: number): { y: number; mo: number; d: number; h: number; mi: number; s: number; ms: number } {
  const date = new Date(ms);
  return {
    y: date.getUTCFullYear(),
    mo: date.getUTCMonth() + 1,
    d: date.getUTCDate(),
    h: date.getUTCHours(),
    mi: date.getUTCMinutes(),
    s: date.getUTCSeconds(),
    ms: date.getUTCMilliseconds(),
  };
}

/** `2024-03-12T10:15:32.123Z` */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** `2024-03-12T10:15:32.123456Z` */
export function isoMicros(ms: number, rng: Rng): string {
  return new Date(ms).toISOString().replace('Z', `${pad(rng.int(0, 999), 3)}Z`);
}

/** `2024-03-12 10:15:32` */
export function dateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** `10:15:32` */
export function clockTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** Access-log time: `12/Mar/2024:10:15:32 +0000` */
export function clf(ms: number): string {
  const p = parts(ms);
  return `${pad(p.d)}/${MONTHS[p.mo - 1]}/${p.y}:${pad(p.h)}:${pad(p.mi)}:${pad(p.s)} +0000`;
}

/** Syslog time: `Mar 12 10:15:32` (day padded with a space). */
export function syslogTime(ms: number): { month: string; day: string; time: string } {
  const p = parts(ms);
  return { month: MONTHS[p.mo - 1]!, day: String(p.d), time: clockTime(ms) };
}

export function privateIp(rng: Rng, prefix = '10.0'): string {
  return `${prefix}.${rng.int(0, 15)}.${rng.int(2, 254)}`;
}

/** Addresses on the internet (clients, scanners). */
export function publicIp(rng: Rng): string {
  const first = rng.pick([31, 37, 45, 51, 62, 66, 77, 79, 81, 84, 89, 91, 93, 95, 103, 104, 109, 141, 146, 151, 176, 178, 185, 188, 193, 194, 203, 212, 213, 217]);
  return `${first}.${rng.int(1, 254)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
}

export function ephemeralPort(rng: Rng): number {
  return rng.int(32768, 60999);
}

export function uuid(rng: Rng): string {
  return `${rng.hex(8)}-${rng.hex(4)}-4${rng.hex(3)}-${rng.pick(['8', '9', 'a', 'b'])}${rng.hex(3)}-${rng.hex(12)}`;
}

/** Kubernetes pod name of a Deployment: `web-7d4b9c8f5-x2x9k`. */
export function deploymentPod(rng: Rng, app: string): string {
  const hashAlphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let rs = '';
  for (let i = 0; i < rng.int(9, 10); i++) rs += rng.pick([...hashAlphabet]);
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += rng.pick([...hashAlphabet]);
  return `${app}-${rs}-${suffix}`;
}

const BROWSERS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36 Edg/121.0.0.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3.1 Safari/605.1.15',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:123.0) Gecko/20100101 Firefox/123.0',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.6261.105 Mobile Safari/537.36',
  'Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.6167.178 Mobile Safari/537.36',
];
const CLIENTS = [
  'curl/8.5.0',
  'curl/7.81.0',
  'python-requests/2.31.0',
  'Go-http-client/1.1',
  'Go-http-client/2.0',
  'okhttp/4.12.0',
  'axios/1.6.7',
  'Apache-HttpClient/5.2.1 (Java/17.0.10)',
  'PostmanRuntime/7.36.3',
];
const BOTS = [
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)',
  'Mozilla/5.0 zgrab/0.x',
  'Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)',
];

/** Browsers mostly, then API clients, then crawlers and scanners. */
export function userAgent(rng: Rng): string {
  const x = rng.next();
  if (x < 0.62) return rng.pick(BROWSERS);
  if (x < 0.9) return rng.pick(CLIENTS);
  return rng.pick(BOTS);
}

export function pick<T>(rng: Rng, weighted: ReadonlyArray<readonly [number, T]>): T {
  const total = weighted.reduce((s, [w]) => s + w, 0);
  let x = rng.next() * total;
  for (const [w, v] of weighted) if ((x -= w) < 0) return v;
  return weighted[weighted.length - 1]![1];
}

/** A shop front's request paths: API calls with ids and queries, static assets, pages. */
export function shopPath(rng: Rng): string {
  return pick(rng, [
    [20, () => `/api/v1/products/${rng.int(1000, 99999)}`],
    [12, () => `/api/v1/products?category=${rng.pick(['shoes', 'bags', 'outdoor', 'kids', 'sale'])}&page=${rng.int(1, 12)}`],
    [10, () => `/api/v1/cart/${uuid(rng)}`],
    [8, () => `/api/v1/orders/${rng.int(100000, 999999)}`],
    [5, () => '/api/v1/orders'],
    [6, () => `/api/v1/search?q=${rng.pick(['running+shoes', 'backpack', 'rain%20jacket', 'tent', 'socks', 'gift+card'])}`],
    [14, () => `/static/js/${rng.pick(['main', 'vendor', 'runtime', 'checkout'])}.${rng.hex(8)}.js`],
    [8, () => `/static/css/${rng.pick(['main', 'checkout'])}.${rng.hex(8)}.css`],
    [7, () => `/images/products/${rng.int(1000, 99999)}_${rng.pick(['400', '800', '1200'])}.webp`],
    [5, () => `/p/${rng.pick(['trail-runner-2', 'city-backpack-20l', 'merino-socks', 'storm-shell-jacket', 'dome-tent-3p'])}`],
    [3, () => '/'],
    [2, () => '/healthz'],
    [1, () => '/favicon.ico'],
  ])();
}

/** What scanners ask for. */
export function scannerPath(rng: Rng): string {
  return rng.pick(['/.env', '/wp-login.php', '/.git/config', '/phpmyadmin/index.php', '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php', '/cgi-bin/luci/;stok=/locale', '/actuator/env', '/server-status', '/config.json', '/admin/.env']);
}

export function httpStatusText(code: number): string {
  const texts: Record<number, string> = {
    200: 'OK',
    201: 'Created',
    204: 'No Content',
    301: 'Moved Permanently',
    302: 'Found',
    304: 'Not Modified',
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    409: 'Conflict',
    422: 'Unprocessable Entity',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
    504: 'Gateway Timeout',
  };
  const text = texts[code];
  if (!text) throw new Error(`no status text for ${code}`);
  return text;
}

/** Milliseconds with a heavy tail: most calls quick, a few slow. */
export function latencyMs(rng: Rng, typical: number): number {
  return Math.max(1, Math.round(rng.exp(typical) + (rng.chance(0.05) ? rng.exp(typical * 20) : 0)));
}

/** `0.012`-style seconds with three decimals. */
export function seconds3(ms: number): string {
  return (ms / 1000).toFixed(3);
}
