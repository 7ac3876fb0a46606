/**
 * nginx in the official container image, as `kubectl logs` shows it: the access log
 * (`main` format: combined plus X-Forwarded-For) on stdout, the error log at `notice`
 * on stderr, and the entrypoint's start-up lines. Access and entrypoint lines have no
 * header (the whole line is the message); error-log lines carry date, time, level and
 * `pid#tid`. A shop front proxying /api to three backends and serving static files.
 */
import { createClock, k, msg, schedule, type LogRecord, type Msg, type Rng, type SystemSpec } from './core.js';
import { clf, pick, privateIp, publicIp, scannerPath, shopPath, userAgent } from './values.js';

const SERVER = 'shop.example.com';
const ROOT = '/usr/share/nginx/html';
/** Clients that only start to show up in the second half. */
const LATE_AGENTS = ['Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.0; +https://openai.com/gptbot)', 'Mozilla/5.0 (compatible; Bytespider; spider-feedback@bytedance.com) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.0.0 Safari/537.36', 'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)'];

export const nginx: SystemSpec = {
  name: 'Nginx',
  columns: ['Date', 'Time', 'Level', 'Process'],
  render: (f, content) => (f.Level ? `${f.Date} ${f.Time} [${f.Level}] ${f.Process}: ${content}` : content),
  generate(rng: Rng): LogRecord[] {
    const clock = createClock(rng, Date.UTC(2024, 2, 12, 6, 0, 0), 1400);
    let late = false;
    const regulars = Array.from({ length: 40 }, () => publicIp(rng));
    const backends = ['10.0.4.21:8080', '10.0.4.22:8080', '10.0.4.23:8080'];
    let workers = [29, 30, 31, 32];
    let cid = rng.int(1, 40);
    const client = (): string => (rng.chance(0.7) ? rng.pick(regulars) : publicIp(rng));
    // The reload in the second half adds a vhost: its name shows up in error lines from then on.
    const vhosts = [SERVER];
    const vhost = (): string => rng.pick(vhosts);

    const statusFor = (method: string, path: string): number => {
      if (rng.chance(0.006)) return 499;
      if (path.startsWith('/static') || path.startsWith('/images')) return pick(rng, [[85, 200], [12, 304], [1, 404]]);
      if (method === 'POST') return pick(rng, [[70, 201], [10, 200], [6, 422], [3, 409], [1, 500]]);
      if (path.startsWith('/api')) return pick(rng, [[85, 200], [4, 404], [3, 401], [1, 500], [0.4, 502]]);
      return pick(rng, [[90, 200], [3, 301], [3, 404], [2, 304]]);
    };
    const access = (o: { ip?: string; request?: string; status?: number; bytes?: number; ua?: string; referer?: string } = {}): LogRecord => {
      const path = shopPath(rng);
      const method = path.startsWith('/api/v1/orders') && rng.chance(0.4) ? 'POST' : path.startsWith('/api/v1/cart') ? rng.pick(['GET', 'PUT', 'DELETE']) : 'GET';
      const status = o.status ?? statusFor(method, path);
      const bytes = o.bytes ?? (status === 304 || status === 499 ? 0 : status === 301 ? 169 : status >= 400 ? rng.pick([153, 157, 555, 497]) : path.startsWith('/static') || path.startsWith('/images') ? rng.int(20_000, 480_000) : rng.int(120, 24_000));
      const referer = o.referer ?? (path.startsWith('/static') || path.startsWith('/images') || rng.chance(0.4) ? `https://${SERVER}${rng.pick(['/', '/cart', '/p/trail-runner-2', '/checkout', '/search?q=tent'])}` : '-');
      const xff = rng.chance(0.15) ? `${publicIp(rng)}, ${privateIp(rng, '10.1')}` : '-';
      const user = rng.chance(0.02) ? rng.pick(['admin', 'ops', 'monitor']) : '-';
      return {
        fields: {},
        msg: msg`${o.ip ?? client()} - ${user} [${clf(clock.tick())}] "${o.request ?? `${method} ${path} HTTP/${rng.pick(['1.1', '1.1', '2.0'])}`}" ${status} ${bytes} "${referer}" "${o.ua ?? userAgent(rng)}" "${xff}"`,
      };
    };

    const err = (level: string, m: Msg, pid: number = rng.pick(workers)): LogRecord => {
      const t = new Date(clock.tick()).toISOString();
      return { fields: { Date: t.slice(0, 10).replaceAll('-', '/'), Time: t.slice(11, 19), Level: level, Process: `${pid}#${pid}` }, msg: m };
    };
    const conn = (): number => (cid += rng.int(1, 300));
    const apiRequest = (): string => `${rng.pick(['GET', 'GET', 'POST'])} ${shopPath(rng).replace(/^\/(static|images|p)\/.*/, '/api/v1/orders')} HTTP/1.1`;
    const upstreamOf = (request: string): string => `http://${rng.pick(backends)}${request.split(' ')[1]}`;

    const proxyError = (level: string, what: Msg, opts: { referrer?: boolean; group?: boolean } = {}): LogRecord => {
      const request = apiRequest();
      const upstream = opts.group ? `http://api_backend${request.split(' ')[1]}` : upstreamOf(request);
      const host = vhost();
      const base = msg`*${conn()} ${what}, client: ${client()}, server: ${host}, request: "${request}", upstream: "${upstream}", host: "${host}"`;
      return err(level, opts.referrer ? msg`${base}, referrer: "${`https://${SERVER}/cart`}"` : base);
    };
    const fileError = (level: string, what: (file: string) => Msg, path: string, referrer: boolean): LogRecord => {
      const base = msg`*${conn()} ${what(`${ROOT}${path}`)}, client: ${client()}, server: ${SERVER}, request: "${`GET ${path} HTTP/1.1`}", host: "${SERVER}"`;
      return err(level, referrer ? msg`${base}, referrer: "${`https://${SERVER}/`}"` : base);
    };
    const requestError = (level: string, what: Msg, request: string): LogRecord =>
      err(level, msg`*${conn()} ${what}, client: ${client()}, server: ${SERVER}, request: "${request}", host: "${SERVER}"`);

    const start = (): LogRecord[] => {
      const plain = (m: Msg): LogRecord => ({ fields: {}, msg: m });
      const scripts = ['/docker-entrypoint.d/10-listen-on-ipv6-by-default.sh', '/docker-entrypoint.d/20-envsubst-on-templates.sh', '/docker-entrypoint.d/30-tune-worker-processes.sh'];
      return [
        plain(k('/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration')),
        plain(k('/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/')),
        plain(msg`/docker-entrypoint.sh: Launching ${scripts[0]!}`),
        plain(msg`10-listen-on-ipv6-by-default.sh: info: Getting the checksum of ${'/etc/nginx/conf.d/default.conf'}`),
        plain(msg`10-listen-on-ipv6-by-default.sh: info: ${'/etc/nginx/conf.d/default.conf'} differs from the packaged version`),
        plain(msg`/docker-entrypoint.sh: Sourcing ${'/docker-entrypoint.d/15-local-resolvers.envsh'}`),
        plain(msg`/docker-entrypoint.sh: Launching ${scripts[1]!}`),
        plain(msg`20-envsubst-on-templates.sh: Running envsubst on ${'/etc/nginx/templates/default.conf.template'} to ${'/etc/nginx/conf.d/default.conf'}`),
        plain(msg`/docker-entrypoint.sh: Launching ${scripts[2]!}`),
        plain(k('/docker-entrypoint.sh: Configuration complete; ready for start up')),
        err('notice', k('using the "epoll" event method'), 1),
        err('notice', k('nginx/1.25.4'), 1),
        err('notice', k('built by gcc 12.2.0 (Debian 12.2.0-14)'), 1),
        err('notice', msg`OS: ${'Linux'} ${'6.1.0-18-cloud-amd64'}`, 1),
        err('notice', msg`getrlimit(RLIMIT_NOFILE): ${1048576}:${1048576}`, 1),
        err('notice', k('start worker processes'), 1),
        ...workers.map((w) => err('notice', msg`start worker process ${w}`, 1)),
      ];
    };

    const lateArrivals = (): LogRecord[] => {
      late = true;
      return [];
    };

    const reload = (): LogRecord[] => {
      vhosts.push('api.example.com');
      const old = workers;
      workers = old.map((w) => w + 30 + rng.int(0, 9));
      const out = [
        err('notice', msg`signal ${1} (${'SIGHUP'}) received from ${rng.int(200, 900)}, reconfiguring`, 1),
        err('notice', k('reconfiguring'), 1),
        err('notice', k('using the "epoll" event method'), 1),
        err('notice', k('start worker processes'), 1),
        ...workers.map((w) => err('notice', msg`start worker process ${w}`, 1)),
      ];
      for (const w of old) out.push(err('notice', k('gracefully shutting down'), w));
      for (let i = 0; i < 3; i++) out.push(access());
      for (const w of old) out.push(err('notice', k('exiting'), w), err('notice', k('exit'), w));
      for (const w of old) {
        out.push(err('notice', msg`signal ${17} (${'SIGCHLD'}) received from ${w}`, 1));
        out.push(err('notice', msg`worker process ${w} exited with code ${0}`, 1));
      }
      out.push(err('notice', msg`signal ${29} (${'SIGIO'}) received`, 1));
      return out;
    };

    const deploy = (): LogRecord[] => {
      const out: LogRecord[] = [];
      for (let i = 0; i < rng.int(3, 6); i++) {
        out.push(proxyError('error', k('connect() failed (111: Connection refused) while connecting to upstream')));
        if (rng.chance(0.5)) out.push(proxyError('warn', k('upstream server temporarily disabled while connecting to upstream')));
        out.push(access({ status: 502, bytes: 497 }), access());
      }
      return out;
    };

    const outage = (): LogRecord[] => {
      const out: LogRecord[] = [];
      for (let i = 0; i < 14; i++) {
        const r = rng.next();
        if (r < 0.35) out.push(proxyError('error', k('no live upstreams while connecting to upstream'), { group: true }), access({ status: 502, bytes: 497 }));
        else if (r < 0.6) out.push(proxyError('error', k('connect() failed (113: No route to host) while connecting to upstream')), access({ status: 502, bytes: 497 }));
        else if (r < 0.8) out.push(proxyError('error', k('upstream timed out (110: Connection timed out) while connecting to upstream')), access({ status: 504, bytes: 167 }));
        else out.push(access());
      }
      return out;
    };

    const flood = (): LogRecord[] => {
      const bot = publicIp(rng);
      const ua = 'python-requests/2.31.0';
      const out: LogRecord[] = [];
      for (let i = 0; i < 18; i++) {
        const request = `GET /api/v1/products/${rng.int(1000, 99999)} HTTP/1.1`;
        if (rng.chance(0.5)) {
          out.push(err('error', msg`*${conn()} limiting requests, excess: ${(rng.int(1000, 20000) / 1000).toFixed(3)} by zone "${'api'}", client: ${bot}, server: ${SERVER}, request: "${request}", host: "${SERVER}"`));
          out.push(access({ ip: bot, request, status: 503, bytes: 197, ua, referer: '-' }));
        } else {
          if (rng.chance(0.4)) out.push(err('warn', msg`*${conn()} delaying request, excess: ${(rng.int(100, 999) / 1000).toFixed(3)}, by zone "${'api'}", client: ${bot}, server: ${SERVER}, request: "${request}", host: "${SERVER}"`));
          out.push(access({ ip: bot, request, status: 200, ua, referer: '-' }));
        }
      }
      out.push(err('alert', msg`${1024} worker_connections are not enough`));
      return out;
    };

    const scan = (): LogRecord[] => {
      const ip = publicIp(rng);
      const ua = rng.pick(['Mozilla/5.0 zgrab/0.x', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.129 Safari/537.36']);
      return rng.some(['/.env', '/.git/config', '/wp-login.php', '/phpmyadmin/index.php', '/server-status', '/admin/.env'], 2, 4).flatMap((path) => {
        const request = `GET ${path} HTTP/1.1`;
        const denied = path.startsWith('/.') || path.includes('/.');
        const e = denied
          ? err('error', msg`*${conn()} access forbidden by rule, client: ${ip}, server: ${SERVER}, request: "${request}", host: "${SERVER}"`)
          : err('error', msg`*${conn()} open() "${ROOT + path}" failed (2: No such file or directory), client: ${ip}, server: ${SERVER}, request: "${request}", host: "${SERVER}"`);
        return [e, access({ ip, request, status: denied ? 403 : 404, bytes: denied ? 153 : 555, ua, referer: '-' })];
      });
    };

    const background = [
      { weight: 160, emit: () => [access({ ua: late && rng.chance(0.05) ? rng.pick(LATE_AGENTS) : undefined })] },
      { weight: 4, emit: () => [access({ ip: publicIp(rng), request: `GET ${scannerPath(rng)} HTTP/1.1`, status: 404, bytes: 555, ua: userAgent(rng), referer: '-' })] },
      { weight: 1.5, emit: () => [access({ ip: publicIp(rng), request: rng.pick(['\\x16\\x03\\x01\\x00\\xF1\\x01\\x00\\x00\\xED\\x03\\x03', 'SSH-2.0-Go', '', 'MGLNDD_10.0.3.5_443']), status: 400, bytes: 157, ua: '-', referer: '-' })] },
      { weight: 5, emit: () => [fileError('error', (f) => msg`open() "${f}" failed (2: No such file or directory)`, rng.pick(['/favicon.ico', '/robots.txt', '/apple-touch-icon.png', '/apple-touch-icon-precomposed.png', '/sitemap.xml']), false)] },
      { weight: 1.5, emit: () => [fileError('error', (f) => msg`open() "${f}" failed (2: No such file or directory)`, rng.pick(['/favicon.ico', '/static/img/hero-old.jpg', '/static/js/main.3f9a1c2e.js']), true)] },
      { weight: 2, emit: () => [proxyError('error', k('upstream timed out (110: Connection timed out) while reading response header from upstream'))] },
      { weight: 0.4, emit: () => [proxyError('error', k('upstream timed out (110: Connection timed out) while reading response header from upstream'), { referrer: true })] },
      { weight: 0.5, emit: () => [proxyError('error', k('upstream prematurely closed connection while reading response header from upstream'))] },
      { weight: 0.3, emit: () => [proxyError('error', k('recv() failed (104: Connection reset by peer) while reading response header from upstream'))] },
      { weight: 0.15, emit: () => [proxyError('error', k('upstream prematurely closed connection while reading upstream'))] },
      { weight: 0.1, emit: () => [proxyError('error', k('upstream sent too big header while reading response header from upstream'))] },
      { weight: 0.7, emit: () => [proxyError('warn', k('upstream server temporarily disabled while reading response header from upstream'))] },
      { weight: 1.2, emit: () => [proxyError('warn', msg`an upstream response is buffered to a temporary file ${`/var/cache/nginx/proxy_temp/${rng.int(0, 9)}/${String(rng.int(0, 99)).padStart(2, '0')}/00000${rng.int(10000, 99999)}`} while reading upstream`)] },
      { weight: 0.8, emit: () => [requestError('warn', msg`a client request body is buffered to a temporary file ${`/var/cache/nginx/client_temp/00000${rng.int(10000, 99999)}`}`, `POST /api/v1/reviews/${rng.int(1000, 99999)}/photos HTTP/1.1`)] },
      { weight: 0.6, emit: () => [requestError('error', msg`client intended to send too large body: ${rng.int(1_100_000, 25_000_000)} bytes`, `POST /api/v1/reviews/${rng.int(1000, 99999)}/photos HTTP/1.1`)] },
      { weight: 0.8, emit: () => [err('crit', msg`*${conn()} SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking, client: ${publicIp(rng)}, server: ${'0.0.0.0:443'}`)] },
      { weight: 0.5, emit: () => [err('crit', msg`*${conn()} SSL_do_handshake() failed (SSL: error:0A000102:SSL routines::unsupported protocol) while SSL handshaking, client: ${publicIp(rng)}, server: ${'0.0.0.0:443'}`)] },
      { weight: 0.12, emit: () => [err('crit', msg`*${conn()} SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking, client: ${publicIp(rng)}, server: ${'0.0.0.0:443'}`)] },
      { weight: 0.4, emit: () => [err('crit', msg`*${conn()} SSL_read() failed (SSL: error:0A000126:SSL routines::unexpected eof while reading) while keepalive, client: ${client()}, server: ${'0.0.0.0:443'}`)] },
      { weight: 0.15, emit: () => [fileError('error', (f) => msg`directory index of "${f}" is forbidden`, rng.pick(['/static/', '/images/', '/static/js/']), false)] },
      { weight: 0.08, emit: () => [fileError('error', (f) => msg`"${f}" is forbidden (13: Permission denied)`, '/static/fonts/inter-var.woff2', true)] },
      { weight: 0.1, emit: () => [requestError('error', msg`rewrite or internal redirection cycle while internally redirecting to "${'/index.html'}"`, `GET /p/${rng.pick(['gift-card', 'summer-sale', 'old-collection'])}/ HTTP/1.1`)] },
      { weight: 0.08, emit: () => [err('error', msg`*${conn()} upstream timed out (110: Connection timed out) while SSL handshaking to upstream, client: ${client()}, server: ${SERVER}, request: "${apiRequest()}", upstream: "${`https://${rng.pick(backends)}/api/v1/payments`}", host: "${SERVER}"`)] },
    ];

    const episodes = [
      { at: 0, emit: start },
      { at: 0.21, emit: scan },
      { at: 0.5, emit: lateArrivals },
      { at: 0.28, emit: deploy },
      { at: 0.44, emit: scan },
      { at: 0.55, emit: reload },
      { at: 0.62, emit: outage },
      { at: 0.74, emit: deploy },
      { at: 0.8, emit: scan },
      { at: 0.86, emit: flood },
      {
        at: 0.93,
        emit: (): LogRecord[] => [
          err('notice', msg`signal ${1} (${'SIGHUP'}) received from ${rng.int(200, 900)}, reconfiguring`, 1),
          err('notice', k('reconfiguring'), 1),
          err('emerg', msg`host not found in upstream "${'payments:8080'}" in ${'/etc/nginx/conf.d/default.conf'}:${41}`, 1),
        ],
      },
    ];
    return schedule(rng, 900, background, episodes);
  },
};
