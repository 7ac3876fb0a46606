/**
 * HAProxy 2.8 on Ubuntu, logging to the journal (`journalctl -u haproxy`): the worker's
 * traffic logs (`option httplog` and `option tcplog`, each one statement whose every
 * field is a parameter: frontend, backend/server, timers, status, termination state),
 * connection errors, health-check and server state events, and the master process's
 * `[LEVEL]   (pid) : message` lines on reload. The header is the syslog prefix.
 */
import { createClock, k, msg, schedule, type LogRecord, type Msg, type Rng, type SystemSpec } from './core.js';
import { MONTHS, clf, latencyMs, pad, parts, pick, privateIp, publicIp, shopPath } from './values.js';

const HOST = 'lb-01';

export const haproxy: SystemSpec = {
  name: 'HAProxy',
  columns: ['Month', 'Day', 'Time', 'Host', 'Component', 'Pid'],
  render: (f, content) => `${f.Month} ${f.Day} ${f.Time} ${f.Host} ${f.Component}[${f.Pid}]: ${content}`,
  generate(rng: Rng): LogRecord[] {
    const clock = createClock(rng, Date.UTC(2024, 2, 12, 15, 0, 0), 900);
    const master = 1841;
    let worker = 2345;
    const line = (m: Msg, pid = worker, gap?: number): LogRecord => {
      const p = parts(clock.tick(gap));
      return { fields: { Month: MONTHS[p.mo - 1]!, Day: pad(p.d), Time: `${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}`, Host: HOST, Component: 'haproxy', Pid: String(pid) }, msg: m };
    };
    const accept = (): string => clf(clock.now()).replace(' +0000', `.${pad(rng.int(0, 999), 3)}`);
    const clients = Array.from({ length: 30 }, () => publicIp(rng));
    const client = (): string => (rng.chance(0.7) ? rng.pick(clients) : publicIp(rng));
    const servers: Record<string, string[]> = { 'api-backend': ['api-1', 'api-2', 'api-3'], 'web-backend': ['web-1', 'web-2'], 'static-backend': ['cdn-1'] };
    // The last reload adds a search backend; its requests are logged from then on.
    let searchBackend = false;
    const down = new Set<string>();

    const http = (o: { backend?: string; status?: number; term?: string; server?: string } = {}): LogRecord => {
      const path = shopPath(rng);
      const backend = o.backend ?? (searchBackend && path.startsWith('/api/v1/search') ? 'search-backend' : path.startsWith('/api') ? 'api-backend' : path.startsWith('/static') || path.startsWith('/images') ? 'static-backend' : 'web-backend');
      const up = servers[backend]!.filter((s) => !down.has(`${backend}/${s}`));
      const server = o.server ?? (up.length ? rng.pick(up) : '<NOSRV>');
      const method = path.startsWith('/api/v1/orders') && rng.chance(0.4) ? 'POST' : 'GET';
      const status = o.status ?? pick(rng, [[86, 200], [4, 304], [3, 404], [2, 201], [1, 401], [1, 500], [0.5, 502], [0.5, 302]]);
      const term = o.term ?? (status === 502 ? 'SH--' : rng.chance(0.01) ? 'CD--' : '----');
      const tr = rng.int(0, 3);
      const tc = server === '<NOSRV>' ? -1 : rng.int(0, 2);
      const tResp = server === '<NOSRV>' ? -1 : latencyMs(rng, 30);
      const ta = Math.max(tr, 0) + Math.max(tc, 0) + Math.max(tResp, 0) + rng.int(0, 3);
      const conns = rng.int(20, 400);
      return line(
        msg`${client()}:${rng.int(1024, 65535)} [${accept()}] ${rng.chance(0.9) ? 'https-in~' : 'http-in'} ${backend}/${server} ${tr}/${0}/${tc}/${tResp}/${ta} ${status} ${status === 304 ? 0 : rng.int(120, 90000)} ${'-'} ${'-'} ${term} ${conns}/${conns - rng.int(0, 5)}/${rng.int(0, 30)}/${rng.int(0, 12)}/${0} ${0}/${0} "${`${method} ${path} ${rng.pick(['HTTP/1.1', 'HTTP/2.0'])}`}"`,
      );
    };
    const redirect = (): LogRecord =>
      line(msg`${client()}:${rng.int(1024, 65535)} [${accept()}] ${'http-in'} ${'http-in'}/${'<NOSRV>'} ${rng.int(0, 2)}/${-1}/${-1}/${-1}/${rng.int(0, 2)} ${301} ${109} ${'-'} ${'-'} ${'LR--'} ${rng.int(20, 400)}/${rng.int(1, 40)}/${0}/${0}/${0} ${0}/${0} "${`GET ${shopPath(rng)} HTTP/1.1`}"`);
    const badRequest = (): LogRecord =>
      line(msg`${publicIp(rng)}:${rng.int(1024, 65535)} [${accept()}] ${'https-in~'} ${'https-in'}/${'<NOSRV>'} ${-1}/${-1}/${-1}/${-1}/${rng.int(5000, 5003)} ${408} ${0} ${'-'} ${'-'} ${'cR--'} ${rng.int(20, 400)}/${rng.int(1, 400)}/${0}/${0}/${0} ${0}/${0} "${'<BADREQ>'}"`);
    const tcp = (): LogRecord => {
      const conns = rng.int(5, 60);
      return line(msg`${privateIp(rng, '10.0')}:${rng.int(32768, 60999)} [${accept()}] ${'pg-in'} ${'pg-backend'}/${rng.pick(['pg-1', 'pg-1', 'pg-2'])} ${rng.int(0, 2)}/${rng.int(0, 3)}/${rng.int(1000, 900000)} ${rng.int(300, 900000)} ${rng.pick(['--', '--', 'cD', 'sD'])} ${conns}/${rng.int(1, 9)}/${rng.int(1, 9)}/${rng.int(1, 9)}/${0} ${0}/${0}`);
    };
    const sslError = (): LogRecord => {
      const what = pick(rng, [[5, 'SSL handshake failure'], [3, 'Connection closed during SSL handshake'], [1, 'Timeout during SSL handshake']] as const);
      return line(msg`${publicIp(rng)}:${rng.int(1024, 65535)} [${accept()}] ${'https-in'}/${1}: ${k(what)}`);
    };

    const check = (srv: string, ok: boolean, how: 'l7' | 'l4timeout', rise: string): LogRecord =>
      ok
        ? line(msg`Health check for server ${srv} succeeded, reason: Layer7 check passed, code: ${200}, check duration: ${`${rng.int(1, 9)}ms`}, status: ${rise} UP.`)
        : how === 'l7'
          ? line(msg`Health check for server ${srv} failed, reason: Layer7 wrong status, code: ${rng.pick([500, 503])}, info: "${rng.pick(['Service Unavailable', 'Internal Server Error'])}", check duration: ${`${rng.int(1, 9)}ms`}, status: ${rise} UP.`)
          : line(msg`Health check for server ${srv} failed, reason: Layer4 timeout, check duration: ${`${rng.int(2000, 2003)}ms`}, status: ${rise} UP.`);
    const serverDown = (backend: string, s: string, reason: Msg): LogRecord => {
      down.add(`${backend}/${s}`);
      const left = servers[backend]!.filter((x) => !down.has(`${backend}/${x}`)).length;
      return line(msg`Server ${`${backend}/${s}`} is DOWN, ${reason}. ${left} active and ${0} backup servers left. ${rng.int(0, 9)} sessions active, ${0} requeued, ${0} remaining in queue.`);
    };
    const serverUp = (backend: string, s: string): LogRecord => {
      down.delete(`${backend}/${s}`);
      const online = servers[backend]!.filter((x) => !down.has(`${backend}/${x}`)).length;
      return line(msg`Server ${`${backend}/${s}`} is UP, reason: Layer7 check passed, code: ${200}, check duration: ${`${rng.int(1, 9)}ms`}. ${online} active and ${0} backup servers online. ${0} sessions requeued, ${0} total in queue.`);
    };

    const flappyCheck = (): LogRecord[] => {
      const srv = `api-backend/${rng.pick(['api-1', 'api-2', 'api-3'])}`;
      return [check(srv, false, rng.chance(0.7) ? 'l7' : 'l4timeout', '2/3'), http(), http(), check(srv, true, 'l7', '3/3')];
    };

    const reload = (ok: boolean, addSearch = false): LogRecord[] => {
      const out = [
        line(msg`[NOTICE]   (${master}) : Reloading HAProxy`, master),
        line(msg`[NOTICE]   (${master}) : haproxy version is ${'2.8.5-1ubuntu3'}`, master, 5),
        line(msg`[NOTICE]   (${master}) : path to executable is ${'/usr/sbin/haproxy'}`, master, 1),
      ];
      if (!ok) {
        out.push(
          line(msg`[ALERT]    (${master}) : config : [${'/etc/haproxy/haproxy.cfg'}:${58}] : 'server ${'api-backend/api-4'}' : could not resolve address '${'api-4.internal'}'.`, master, 20),
          line(msg`[ALERT]    (${master}) : config : Failed to initialize server(s) addr.`, master, 1),
          line(msg`[WARNING]  (${master}) : Loading failure!`, master, 1),
        );
        return out;
      }
      const old = worker;
      worker += rng.int(20, 90);
      if (addSearch) {
        servers['search-backend'] = ['search-1', 'search-2'];
        searchBackend = true;
      }
      for (const p of ['https-in', 'http-in', 'pg-in', 'stats']) out.push(line(msg`Proxy ${p} started.`, worker, 30));
      for (const p of ['api-backend', 'web-backend', 'static-backend', 'pg-backend']) out.push(line(msg`Proxy ${p} started.`, worker, 1));
      out.push(line(msg`[NOTICE]   (${master}) : New worker (${worker}) forked`, master, 5), line(msg`[NOTICE]   (${master}) : Loading success.`, master, 1));
      for (const [kind, p] of [['frontend', 'https-in'], ['frontend', 'http-in'], ['frontend', 'pg-in'], ['backend', 'api-backend']] as const) out.push(line(msg`Stopping ${kind} ${p} in ${0} ms.`, old, 5));
      out.push(line(msg`Proxy ${'https-in'} stopped (cumulated conns: FE: ${rng.int(10000, 90000)}, BE: ${0}).`, old, 1));
      out.push(line(msg`Proxy ${'api-backend'} stopped (cumulated conns: FE: ${0}, BE: ${rng.int(10000, 90000)}).`, old, 1));
      out.push(http(), tcp(), line(msg`[WARNING]  (${master}) : Former worker (${old}) exited with code ${0} (${'Exit'})`, master, 30_000));
      return out;
    };

    const apiOutage = (): LogRecord[] => {
      const out: LogRecord[] = [check('api-backend/api-3', false, 'l7', '2/3'), http(), check('api-backend/api-3', false, 'l7', '1/3'), http()];
      out.push(serverDown('api-backend', 'api-3', msg`reason: Layer7 wrong status, code: ${503}, info: "${'Service Unavailable'}", check duration: ${'2ms'}`));
      for (let i = 0; i < 6; i++) out.push(http());
      out.push(serverDown('api-backend', 'api-2', msg`reason: Layer4 connection problem, info: "Connection refused", check duration: ${'0ms'}`));
      out.push(serverDown('api-backend', 'api-1', msg`reason: Layer4 timeout, check duration: ${'2001ms'}`));
      out.push(line(msg`backend ${'api-backend'} has no server available!`));
      for (let i = 0; i < 6; i++) out.push(http({ backend: 'api-backend', server: '<NOSRV>', status: 503, term: 'SC--' }), http({ backend: 'web-backend' }));
      out.push(serverUp('api-backend', 'api-1'), serverUp('api-backend', 'api-2'));
      for (let i = 0; i < 4; i++) out.push(http());
      out.push(serverUp('api-backend', 'api-3'));
      return out;
    };
    const maintenance = (): LogRecord[] => {
      down.add('web-backend/web-2');
      const out = [line(msg`Server ${'web-backend/web-2'} is going DOWN for maintenance. ${1} active and ${0} backup servers left. ${rng.int(0, 9)} sessions active, ${0} requeued, ${0} remaining in queue.`)];
      for (let i = 0; i < 8; i++) out.push(http());
      down.delete('web-backend/web-2');
      out.push(line(msg`Server ${'web-backend/web-2'} is UP/READY (leaving forced maintenance).`));
      return out;
    };
    const dnsChange = (): LogRecord[] => [line(msg`${'api-backend'}/${'api-2'} changed its IP from ${'10.0.1.23'} to ${'10.0.1.47'} by ${'kube-dns'}/${'ns1'}.`)];

    const background = [
      { weight: 150, emit: () => [http()] },
      { weight: 10, emit: () => [tcp()] },
      { weight: 5, emit: () => [redirect()] },
      { weight: 2, emit: () => [badRequest()] },
      { weight: 6, emit: () => [sslError()] },
      { weight: 1.5, emit: flappyCheck },
      { weight: 0.8, emit: () => [http({ status: 504, term: 'sH--' })] },
    ];

    return schedule(rng, 900, background, [
      { at: 0.33, emit: () => reload(true) },
      { at: 0.6, emit: apiOutage },
      { at: 0.7, emit: maintenance },
      { at: 0.77, emit: dnsChange },
      { at: 0.84, emit: () => reload(false) },
      { at: 0.9, emit: () => reload(true, true) },
    ]);
  },
};
