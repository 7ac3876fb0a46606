/**
 * JSON logs of three widely used encoders other than Go's slog, one object per line, no
 * header: a Python worker with structlog's JSONRenderer (`event` holds the text,
 * PyStructlog), a Spring Boot service with ecs-logging-java (`message`, `log.level`,
 * `log.logger`, JavaECS), and a host's journal as `journalctl -o json` prints it
 * (`MESSAGE`, `PRIORITY`, `SYSLOG_IDENTIFIER`, JournaldJSON).
 *
 * Labelling, as for slog: the keys, the level and the logger (fixed at the call site)
 * are the statement's, every attribute value is a parameter; the text field's words are
 * the statement's and the values inside them its parameters, as Loghub labels a message
 * (`Accepted publickey for <*> from <*> port <*> ssh2: <*> <*>`).
 */
import { createClock, k, msg, schedule, type LogRecord, type Msg, type Rng, type SystemSpec } from './core.js';
import { iso, isoMicros, latencyMs, pick, privateIp, publicIp, uuid } from './values.js';

/** A field: its key, and a value that is a parameter (string, number) or the statement's own text (Msg). */
type Field = readonly [key: string, value: string | number | Msg];

/** A JSON string's contents as an encoder writes them. */
const escaped = (text: string): string => JSON.stringify(text).slice(1, -1);

/** One object; `spaced` writes `"key": value` as ecs-logging-java does for some keys. */
function jsonLine(fields: readonly Field[], spaced: ReadonlySet<string> = new Set()): Msg {
  const parts = fields.map(([key, value]): Msg => {
    const head = `"${key}":${spaced.has(key) ? ' ' : ''}`;
    if (typeof value === 'number') return msg`${k(head)}${value}`;
    if (typeof value === 'string') return msg`${k(`${head}"`)}${escaped(value)}${k('"')}`;
    return { content: `${head}"${escaped(value.content)}"`, template: `${head}"${escaped(value.template)}"` };
  });
  return { content: `{${parts.map((p) => p.content).join(',')}}`, template: `{${parts.map((p) => p.template).join(',')}}` };
}

const jsonService = (name: string, generate: (rng: Rng) => LogRecord[]): SystemSpec => ({ name, columns: [], render: (_f, content) => content, generate });

/** A FastAPI order worker logging with structlog: `{"event": …, kwargs…, "level": …, "logger": …, "timestamp": …}`. */
export const pyStructlog = jsonService('PyStructlog', (rng) => {
  const clock = createClock(rng, Date.UTC(2024, 4, 6, 9, 0, 0), 650);
  const line = (level: string, logger: string, event: Msg | string, kwargs: readonly Field[] = []): LogRecord => ({
    fields: {},
    msg: jsonLine([['event', typeof event === 'string' ? k(event) : event], ...kwargs, ['level', k(level)], ['logger', k(logger)], ['timestamp', `${isoMicros(clock.tick(), rng)}`]]),
  });
  const tasks = ['send_receipt', 'sync_inventory', 'charge_card', 'render_invoice'];
  const routes = ['/orders', '/orders/{order_id}', '/orders/{order_id}/items', '/health'];
  const request = (status?: number): LogRecord => {
    const route = rng.pick(routes);
    return line('info', 'app.http', 'request handled', [
      ['method', route === '/orders' ? rng.pick(['GET', 'POST']) : 'GET'], ['path', route.replace('{order_id}', String(rng.int(10000, 99999)))],
      ['status_code', status ?? pick(rng, [[90, 200], [4, 404], [3, 422], [1, 500]])], ['duration_ms', latencyMs(rng, 12)], ['request_id', uuid(rng)],
    ]);
  };
  const task = (): LogRecord[] => {
    const name = rng.pick(tasks);
    const id = uuid(rng);
    return [
      line('info', 'app.worker', 'task started', [['task', name], ['task_id', id], ['queue', rng.pick(['default', 'billing'])]]),
      line('info', 'app.worker', 'task succeeded', [['task', name], ['task_id', id], ['runtime_s', Math.round(rng.exp(0.8) * 1000) / 1000]]),
    ];
  };
  const cache = (): LogRecord => line('debug', 'app.cache', rng.chance(0.7) ? 'cache hit' : 'cache miss', [['key', `order:${rng.int(10000, 99999)}`]]);
  const retry = (): LogRecord =>
    line('warning', 'app.clients.payments', 'retrying upstream call', [
      ['attempt', rng.int(1, 3)], ['url', 'https://payments.internal/v1/charges'], ['error', rng.pick(['ReadTimeout', 'ConnectError: [Errno 111] Connection refused'])],
    ]);
  const traceback = (error: string): string =>
    `Traceback (most recent call last):\n  File "/app/worker/tasks.py", line ${rng.int(40, 90)}, in charge_card\n    resp = client.charge(order)\n  File "/app/clients/payments.py", line 57, in charge\n    raise PaymentError(body["detail"])\napp.clients.payments.PaymentError: ${error}`;
  const background = [
    { weight: 40, emit: () => [request()] },
    { weight: 12, emit: task },
    { weight: 10, emit: () => [cache()] },
    { weight: 2, emit: () => [retry()] },
    { weight: 1, emit: () => [line('info', 'app.db', 'pool status', [['size', 10], ['checked_out', rng.int(0, 10)], ['overflow', rng.int(0, 3)]])] },
  ];
  const episodes = [
    { at: 0, emit: () => [line('info', 'app.main', 'worker booting', [['version', '3.8.1'], ['pid', rng.int(7, 90)]]), line('info', 'app.main', 'connected to broker', [['url', 'amqp://rabbitmq:5672//']])] },
    {
      at: 0.45,
      emit: () =>
        Array.from({ length: 3 }, () =>
          line('error', 'app.worker', 'task failed', [['task', 'charge_card'], ['task_id', uuid(rng)], ['exception', traceback(rng.pick(['card_declined', 'amount_too_large']))]]),
        ),
    },
    { at: 0.6, emit: () => [line('warning', 'app.main', 'config reloaded', [['changed', rng.pick(['RATE_LIMIT', 'WORKER_CONCURRENCY'])]])] },
    {
      at: 0.8,
      emit: () => [
        line('error', 'app.db', 'database connection lost', [['host', 'orders-db'], ['error', 'server closed the connection unexpectedly']]),
        ...Array.from({ length: 3 }, () => request(503)),
        line('info', 'app.db', 'database connection restored', [['host', 'orders-db'], ['downtime_s', rng.int(3, 40)]]),
      ],
    },
  ];
  return schedule(rng, 900, background, episodes);
});

/** An order service with ecs-logging-java's Logback encoder (`"log.level": "INFO"` and `"ecs.version": …` spaced as it writes them). */
export const javaEcs = jsonService('JavaECS', (rng) => {
  const clock = createClock(rng, Date.UTC(2024, 4, 6, 9, 0, 0), 700);
  const spaced = new Set(['log.level', 'ecs.version']);
  let worker = 0;
  const thread = (): string => `http-nio-8080-exec-${(worker = (worker % 10) + 1)}`;
  const line = (level: string, logger: string, message: Msg, extra: readonly Field[] = [], threadName = thread()): LogRecord => ({
    fields: {},
    msg: jsonLine(
      [
        ['@timestamp', iso(clock.tick())], ['log.level', k(level)], ['message', message], ['ecs.version', '1.2.0'], ['service.name', 'orders'],
        ['event.dataset', 'orders'], ['process.thread.name', threadName], ['log.logger', k(logger)], ...extra,
      ],
      spaced,
    ),
  });
  const orderId = (): number => rng.int(100000, 999999);
  const created = (): LogRecord => line('INFO', 'com.example.orders.web.OrderController', msg`Created order ${orderId()} for customer ${rng.int(1000, 9999)} with ${rng.int(1, 6)} items`);
  const fetched = (): LogRecord => line('DEBUG', 'com.example.orders.service.OrderService', msg`Loaded order ${orderId()} in ${rng.int(1, 40)} ms`);
  const paid = (): LogRecord => line('INFO', 'com.example.orders.messaging.PaymentListener', msg`Payment ${`pay_${rng.alnum(12)}`} confirmed for order ${orderId()}`, [], `org.springframework.kafka.KafkaListenerEndpointContainer#0-0-C-1`);
  const hikari = (): LogRecord =>
    line('DEBUG', 'com.zaxxer.hikari.pool.HikariPool', msg`HikariPool-1 - Pool stats (total=${10}, active=${rng.int(0, 10)}, idle=${rng.int(0, 10)}, waiting=${rng.int(0, 3)})`, [], 'HikariPool-1 housekeeper');
  const failure = (id: number): LogRecord =>
    line('ERROR', 'com.example.orders.web.GlobalExceptionHandler', msg`Request failed for order ${id}`, [
      ['error.type', 'org.springframework.dao.DataAccessResourceFailureException'],
      ['error.message', 'Unable to acquire JDBC Connection'],
      ['error.stack_trace', `org.springframework.dao.DataAccessResourceFailureException: Unable to acquire JDBC Connection\n\tat org.springframework.orm.jpa.vendor.HibernateJpaDialect.convertHibernateAccessException(HibernateJpaDialect.java:${rng.int(200, 290)})\n\tat com.example.orders.service.OrderService.find(OrderService.java:51)\n`],
    ]);
  const background = [
    { weight: 20, emit: () => [created()] },
    { weight: 25, emit: () => [fetched()] },
    { weight: 12, emit: () => [paid()] },
    { weight: 2, emit: () => [hikari()] },
    { weight: 1, emit: () => [line('WARN', 'com.example.orders.service.StockClient', msg`Stock check for SKU ${`SKU-${rng.int(1000, 9999)}`} took ${rng.int(1000, 3000)} ms`)] },
  ];
  const episodes = [
    {
      at: 0,
      emit: () => [
        line('INFO', 'com.example.orders.OrderApplication', msg`Starting OrderApplication v${'2.4.0'} using Java ${'21.0.2'} with PID ${rng.int(1, 99)}`, [], 'main'),
        line('INFO', 'org.springframework.boot.web.embedded.tomcat.TomcatWebServer', msg`Tomcat started on port ${8080} (http) with context path ''`, [], 'main'),
        line('INFO', 'com.example.orders.OrderApplication', msg`Started OrderApplication in ${(rng.int(30, 90) / 10).toFixed(1)} seconds (process running for ${(rng.int(91, 120) / 10).toFixed(1)})`, [], 'main'),
      ],
    },
    {
      at: 0.5,
      emit: () => [
        line('WARN', 'com.zaxxer.hikari.pool.HikariPool', msg`HikariPool-1 - Connection is not available, request timed out after ${30000}ms (total=${10}, active=${10}, idle=${0}, waiting=${rng.int(4, 12)})`, [], 'HikariPool-1 housekeeper'),
        ...Array.from({ length: 3 }, () => failure(orderId())),
      ],
    },
    { at: 0.75, emit: () => [line('INFO', 'com.example.orders.config.FeatureFlags', msg`Feature flag ${rng.pick(['split-shipments', 'express-checkout'])} enabled for ${rng.int(5, 50)}% of traffic`)] },
  ];
  return schedule(rng, 900, background, episodes);
});

/** An Ubuntu host's journal, `journalctl -o json`: trusted `_` fields, then the sender's. */
export const journaldJson = jsonService('JournaldJSON', (rng) => {
  const clock = createClock(rng, Date.UTC(2024, 4, 6, 9, 0, 0), 900);
  const boot = rng.hex(32);
  let seq = rng.int(100000, 900000);
  type Source = { unit: string; comm: string; exe: string; identifier: string; pid: number; transport: string };
  const sources: Record<string, Source> = {
    sshd: { unit: 'ssh.service', comm: 'sshd', exe: '/usr/sbin/sshd', identifier: 'sshd', pid: 0, transport: 'syslog' },
    cron: { unit: 'cron.service', comm: 'cron', exe: '/usr/sbin/cron', identifier: 'CRON', pid: 0, transport: 'syslog' },
    systemd: { unit: 'init.scope', comm: 'systemd', exe: '/usr/lib/systemd/systemd', identifier: 'systemd', pid: 1, transport: 'journal' },
    logind: { unit: 'systemd-logind.service', comm: 'systemd-logind', exe: '/usr/lib/systemd/systemd-logind', identifier: 'systemd-logind', pid: rng.int(700, 900), transport: 'journal' },
  };
  const line = (source: Source, priority: number, message: Msg, pid = source.pid || rng.int(1000, 60000)): LogRecord => {
    const micros = `${clock.tick()}${String(rng.int(0, 999)).padStart(3, '0')}`;
    return {
      fields: {},
      msg: jsonLine([
        ['__CURSOR', `s=${rng.hex(32)};i=${(seq++).toString(16)};b=${boot};m=${rng.hex(8)};t=${rng.hex(13)};x=${rng.hex(16)}`],
        ['__REALTIME_TIMESTAMP', micros], ['__MONOTONIC_TIMESTAMP', String(rng.int(1e9, 9e10))], ['_BOOT_ID', boot],
        ['PRIORITY', k(String(priority))], ['_UID', '0'], ['_GID', '0'], ['_HOSTNAME', 'ip-10-0-1-23'], ['_TRANSPORT', source.transport],
        ['SYSLOG_IDENTIFIER', k(source.identifier)], ['_PID', String(pid)], ['_COMM', source.comm], ['_EXE', source.exe], ['_SYSTEMD_UNIT', source.unit],
        ['MESSAGE', message],
      ]),
    };
  };
  const users = ['ubuntu', 'deploy'];
  const ssh = (): LogRecord[] => {
    const pid = rng.int(1000, 60000);
    const user = rng.pick(users);
    const ip = publicIp(rng);
    const port = rng.int(32768, 60999);
    return [
      line(sources.sshd!, 6, msg`Accepted publickey for ${user} from ${ip} port ${port} ssh2: ED25519 SHA256:${rng.alnum(43)}`, pid),
      line(sources.sshd!, 6, msg`pam_unix(sshd:session): session opened for user ${user}(uid=${1000}) by ${user}(uid=${0})`, pid),
    ];
  };
  const failedSsh = (): LogRecord => line(sources.sshd!, 6, msg`Invalid user ${rng.pick(['admin', 'oracle', 'test', 'git'])} from ${publicIp(rng)} port ${rng.int(32768, 60999)}`);
  const cron = (): LogRecord => line(sources.cron!, 6, msg`(root) CMD (${rng.pick(['command -v debian-sa1 > /dev/null && debian-sa1 1 1', '/usr/local/bin/backup.sh'])})`);
  let session = rng.int(12, 40);
  const logind = (): LogRecord[] => {
    const n = session++;
    return [line(sources.logind!, 6, msg`New session ${n} of user ${rng.pick(users)}.`), line(sources.logind!, 6, msg`Session ${n} logged out. Waiting for processes to exit.`)];
  };
  const background = [
    { weight: 8, emit: ssh },
    { weight: 10, emit: () => [failedSsh()] },
    { weight: 6, emit: () => [cron()] },
    { weight: 4, emit: logind },
    { weight: 3, emit: () => [line(sources.systemd!, 6, msg`Started ${rng.pick(['session-12.scope', 'session-13.scope', 'session-14.scope'])} - Session ${rng.int(12, 99)} of User ${rng.pick(users)}.`)] },
  ];
  const episodes = [
    {
      at: 0.4,
      emit: () => [
        line(sources.systemd!, 6, msg`Starting ${'apt-daily-upgrade.service'} - Daily apt upgrade and clean activities...`),
        line(sources.systemd!, 6, msg`${'apt-daily-upgrade.service'}: Deactivated successfully.`),
        line(sources.systemd!, 6, msg`Finished ${'apt-daily-upgrade.service'} - Daily apt upgrade and clean activities.`),
      ],
    },
    {
      at: 0.7,
      emit: () => [
        line(sources.systemd!, 3, msg`${'docker.service'}: Main process exited, code=${'killed'}, status=${'9/KILL'}`),
        line(sources.systemd!, 4, msg`${'docker.service'}: Failed with result '${'signal'}'.`),
        line(sources.systemd!, 6, msg`${'docker.service'}: Scheduled restart job, restart counter is at ${1}.`),
      ],
    },
    { at: 0.85, emit: () => [line(sources.sshd!, 6, msg`Received disconnect from ${privateIp(rng)} port ${rng.int(32768, 60999)}:11: disconnected by user`)] },
  ];
  return schedule(rng, 900, background, episodes);
});
