/**
 * PostgreSQL 16 server log with Debian's `log_line_prefix = '%m [%p] %q%u@%d '`,
 * log_connections/log_disconnections on, log_min_duration_statement = 250 ms,
 * log_autovacuum_min_duration = 0, log_lock_waits on, log_temp_files = 0. Content
 * is `SEVERITY:  message` (the severity word is PostgreSQL's, after the configurable
 * prefix); DETAIL / HINT / CONTEXT / STATEMENT lines are records of their own, and
 * the autovacuum and deadlock reports are multi-line records (tab-led continuation
 * lines, as the server writes them).
 */
import { createClock, k, lines, msg, schedule, type LogRecord, type Msg, type Rng, type SystemSpec } from './core.js';
import { ephemeralPort, pad, privateIp, uuid } from './values.js';

const HBA = '/etc/postgresql/16/main/pg_hba.conf';

export const postgres: SystemSpec = {
  name: 'PostgreSQL',
  columns: ['Time', 'Pid', 'Session'],
  render: (f, content) => `${f.Time} [${f.Pid}] ${f.Session ? `${f.Session} ` : ''}${content}`,
  generate(rng: Rng): LogRecord[] {
    const clock = createClock(rng, Date.UTC(2024, 2, 12, 8, 0, 0), 2200);
    const appHosts = Array.from({ length: 6 }, () => privateIp(rng, '10.0'));
    let nextPid = 4100;
    const backendPids: number[] = [];
    const pidFor = (): number => {
      if (backendPids.length < 12 || rng.chance(0.15)) backendPids.push((nextPid += rng.int(1, 40)));
      return rng.pick(backendPids);
    };
    let xid = 991_000 + rng.int(0, 999);
    const lsnHi = 2;
    let lsnLo = 0x19000028;
    const lsn = (): string => `${lsnHi}/${(lsnLo += rng.int(0x1000, 0x400000)).toString(16).toUpperCase()}`;

    /** Follow-up lines of a report (DETAIL, HINT, CONTEXT, STATEMENT) share its time. */
    const time = (m: Msg): string => {
      const ms = /^(DETAIL|HINT|CONTEXT|STATEMENT):/.test(m.content) ? clock.tick(0) : clock.tick();
      return `${new Date(ms).toISOString().slice(0, 23).replace('T', ' ')} UTC`;
    };
    const rec = (pid: number, session: string, m: Msg): LogRecord => ({ fields: { Time: time(m), Pid: String(pid), Session: session }, msg: m });
    const sessionOf = (): { pid: number; session: string } => ({ pid: pidFor(), session: 'app@orders' });
    // A billing service starts using the server in the second half: new user, database, client and tables.
    let billing = false;
    const startBilling = (): LogRecord[] => {
      billing = true;
      return [];
    };

    const customer = (): number => rng.int(10_000, 99_999);
    const sku = (): string => `SKU-${rng.int(1000, 9999)}`;
    const sql = (): string =>
      rng.pick([
        () => `SELECT o.id, o.status, o.total_cents, o.created_at FROM orders o WHERE o.customer_id = ${customer()} ORDER BY o.created_at DESC LIMIT ${rng.pick([10, 20, 50])}`,
        () => `UPDATE inventory SET reserved = reserved + ${rng.int(1, 4)} WHERE sku = '${sku()}' AND reserved + ${rng.int(1, 4)} <= on_hand`,
        () => `INSERT INTO order_events (order_id, kind, payload, created_at) VALUES (${rng.int(100000, 999999)}, '${rng.pick(['created', 'paid', 'shipped'])}', '{"source":"api"}', now())`,
        () => `SELECT count(*) FROM order_events WHERE created_at > now() - interval '${rng.pick(['1 day', '7 days', '1 hour'])}'`,
        () => `DELETE FROM outbox WHERE published_at < now() - interval '3 days'`,
        () => `SELECT p.sku, p.name, i.on_hand FROM products p JOIN inventory i USING (sku) WHERE p.category = '${rng.pick(['shoes', 'bags', 'outdoor'])}' AND i.on_hand > 0`,
      ])();
    const preparedSql = (): { text: string; params: string[] } =>
      rng.pick([
        () => ({ text: 'select o1_0.id,o1_0.created_at,o1_0.customer_id,o1_0.status,o1_0.total_cents from orders o1_0 where o1_0.customer_id=$1 order by o1_0.created_at desc fetch first $2 rows only', params: [String(customer()), '20'] }),
        () => ({ text: 'update inventory set reserved=$1,version=$2 where sku=$3 and version=$4', params: [String(rng.int(0, 40)), String(rng.int(2, 900)), sku(), String(rng.int(1, 899))] }),
        () => ({ text: 'insert into payments (amount_cents,created_at,order_id,provider,status,id) values ($1,$2,$3,$4,$5,$6)', params: [String(rng.int(500, 40000)), `2024-03-12 ${pad(rng.int(8, 11))}:${pad(rng.int(0, 59))}:${pad(rng.int(0, 59))}.${rng.int(100, 999)}+00`, String(rng.int(100000, 999999)), rng.pick(['stripe', 'adyen']), 'AUTHORIZED', uuid(rng)] }),
        () => ({ text: 'select c1_0.id,c1_0.email,c1_0.name from customers c1_0 where c1_0.id=$1', params: [String(customer())] }),
      ])();
    const paramList = (params: string[]): string => params.map((p, i) => `$${i + 1} = '${p}'`).join(', ');

    const withStatement = (s: { pid: number; session: string }, head: Msg[], statement = sql()): LogRecord[] => [
      ...head.map((m) => rec(s.pid, s.session, m)),
      rec(s.pid, s.session, msg`STATEMENT:  ${statement}`),
    ];

    const slowStatement = (): LogRecord[] => {
      if (billing && rng.chance(0.2)) {
        const invoice = `SELECT i.id, i.status, i.amount_cents FROM invoices i WHERE i.account_id = ${rng.int(1000, 9999)} AND i.status = '${rng.pick(['open', 'overdue'])}' ORDER BY i.due_date`;
        return [rec(pidFor(), 'billing@billing', msg`LOG:  duration: ${(250 + rng.exp(300)).toFixed(3)} ms  statement: ${invoice}`)];
      }
      if (rng.chance(0.2)) {
        const report = `SELECT date_trunc('${rng.pick(['day', 'week'])}', created_at) AS period, sum(total_cents) AS revenue, count(*) FROM orders WHERE created_at >= '2024-0${rng.int(1, 3)}-01' GROUP BY 1 ORDER BY 1`;
        return [rec(pidFor(), 'reporting@analytics', msg`LOG:  duration: ${(1000 + rng.exp(4000)).toFixed(3)} ms  statement: ${report}`)];
      }
      const s = sessionOf();
      return [rec(s.pid, s.session, msg`LOG:  duration: ${(250 + rng.exp(400)).toFixed(3)} ms  statement: ${sql()}`)];
    };
    const slowExecute = (): LogRecord[] => {
      const s = sessionOf();
      const q = preparedSql();
      return [
        rec(s.pid, s.session, msg`LOG:  duration: ${(250 + rng.exp(300)).toFixed(3)} ms  execute ${rng.pick(['<unnamed>', 'S_1', 'S_2', 'S_4'])}: ${q.text}`),
        rec(s.pid, s.session, msg`DETAIL:  parameters: ${paramList(q.params)}`),
      ];
    };
    const connect = (): LogRecord[] => {
      const pid = (nextPid += rng.int(1, 40));
      const host = rng.pick(appHosts);
      const port = ephemeralPort(rng);
      const [user, db, app] = rng.pick([
        ['app', 'orders', 'PostgreSQL JDBC Driver'],
        ['app', 'orders', 'PostgreSQL JDBC Driver'],
        ['reporting', 'analytics', 'Metabase v0.48.6'],
        ['app', 'orders', 'order-outbox-relay'],
        ...(billing ? ([['billing', 'billing', 'node-postgres'], ['billing', 'billing', 'node-postgres']] as const) : []),
      ] as const);
      const out = [
        rec(pid, '[unknown]@[unknown]', msg`LOG:  connection received: host=${host} port=${port}`),
        rec(pid, `${user}@${db}`, msg`LOG:  connection authenticated: identity="${user}" method=${'scram-sha-256'} (${HBA}:${rng.pick([118, 120])})`),
        rec(pid, `${user}@${db}`, msg`LOG:  connection authorized: user=${user} database=${db} application_name=${app} SSL enabled (protocol=${'TLSv1.3'}, cipher=${'TLS_AES_256_GCM_SHA384'}, bits=${256})`),
      ];
      backendPids.push(pid);
      return out;
    };
    const disconnect = (): LogRecord[] => {
      const pid = backendPids.length > 4 ? backendPids.splice(rng.int(0, backendPids.length - 1), 1)[0]! : pidFor();
      const secs = rng.exp(900);
      const dur = `${Math.floor(secs / 3600)}:${pad(Math.floor(secs / 60) % 60)}:${pad(Math.floor(secs) % 60)}.${pad(rng.int(0, 999), 3)}`;
      return [rec(pid, 'app@orders', msg`LOG:  disconnection: session time: ${dur} user=${'app'} database=${'orders'} host=${rng.pick(appHosts)} port=${ephemeralPort(rng)}`)];
    };
    const localConnect = (): LogRecord[] => {
      const pid = (nextPid += rng.int(1, 40));
      return [
        rec(pid, '[unknown]@[unknown]', msg`LOG:  connection received: host=${'[local]'}`),
        rec(pid, 'postgres@postgres', msg`LOG:  connection authorized: user=${'postgres'} database=${rng.pick(['postgres', 'orders'])} application_name=${rng.pick(['psql', 'pg_dump', 'postgres_exporter'])}`),
      ];
    };

    const checkpoint = (flags = 'time'): LogRecord[] => {
      const buffers = rng.int(40, 9000);
      const write = rng.exp(60) + 1;
      return [
        rec(58, '', msg`LOG:  checkpoint starting: ${flags}`),
        rec(
          58,
          '',
          msg`LOG:  checkpoint complete: wrote ${buffers} buffers (${((buffers / 16384) * 100).toFixed(1)}%); ${0} WAL file(s) added, ${0} removed, ${rng.int(0, 4)} recycled; write=${write.toFixed(3)} s, sync=${(rng.int(1, 40) / 1000).toFixed(3)} s, total=${(write + 0.05).toFixed(3)} s; sync files=${rng.int(3, 80)}, longest=${(rng.int(1, 9) / 1000).toFixed(3)} s, average=${'0.001'} s; distance=${rng.int(400, 90000)} kB, estimate=${rng.int(40000, 90000)} kB; lsn=${lsn()}, redo lsn=${lsn()}`,
        ),
      ];
    };

    const autovacuum = (): LogRecord[] => {
      const [table, indexes] = rng.pick([
        ['order_events', ['order_events_pkey', 'order_events_order_id_idx']],
        ['outbox', ['outbox_pkey', 'outbox_unpublished_idx']],
        ['inventory', ['inventory_pkey']],
        ['payments', ['payments_pkey', 'payments_order_id_idx', 'payments_provider_ref_key']],
        ...(billing ? ([['invoices', ['invoices_pkey', 'invoices_account_id_status_idx']]] as const) : []),
      ] as const);
      const scans = rng.chance(0.6) ? 1 : 0;
      const pages = rng.int(200, 40000);
      const scanned = rng.int(10, pages);
      const rate = (): string => (rng.next() * 40).toFixed(3);
      const body: Msg[] = [
        msg`LOG:  automatic vacuum of table "${`orders.public.${table}`}": index scans: ${scans}`,
        msg`\tpages: ${0} removed, ${pages} remain, ${scanned} scanned (${((scanned / pages) * 100).toFixed(2)}% of total)`,
        msg`\ttuples: ${rng.int(0, 9000)} removed, ${rng.int(10000, 900000)} remain, ${rng.int(0, 40)} are dead but not yet removable`,
        msg`\tremovable cutoff: ${xid - rng.int(0, 40)}, which was ${rng.int(0, 12)} XIDs old when operation ended`,
        msg`\tfrozen: ${rng.int(0, 200)} pages from table (${(rng.next() * 3).toFixed(2)}% of total) had ${rng.int(0, 9000)} tuples frozen`,
        scans === 1
          ? msg`\tindex scan needed: ${rng.int(1, 900)} pages from table (${(rng.next() * 5).toFixed(2)}% of total) had ${rng.int(100, 9000)} dead item identifiers removed\n${indexes.map((ix) => `\tindex "${ix}": pages: ${rng.int(30, 9000)} in total, 0 newly deleted, 0 currently deleted, 0 reusable`).join('\n')}`
          : msg`\tindex scan not needed: ${rng.int(1, 90)} pages from table (${(rng.next()).toFixed(2)}% of total) had ${rng.int(1, 400)} dead item identifiers removed`,
        msg`\tavg read rate: ${rate()} MB/s, avg write rate: ${rate()} MB/s`,
        msg`\tbuffer usage: ${rng.int(100, 90000)} hits, ${rng.int(0, 4000)} misses, ${rng.int(0, 2000)} dirtied`,
        msg`\tWAL usage: ${rng.int(10, 20000)} records, ${rng.int(0, 900)} full page images, ${rng.int(1000, 9000000)} bytes`,
        msg`\tsystem usage: CPU: user: ${(rng.next() * 0.5).toFixed(2)} s, system: ${(rng.next() * 0.1).toFixed(2)} s, elapsed: ${(rng.next() * 3).toFixed(2)} s`,
      ];
      return [rec(rng.int(20000, 29999), '', lines(body))];
    };
    const autoanalyze = (): LogRecord[] => {
      const table = rng.pick(['order_events', 'outbox', 'orders', 'inventory']);
      const rate = (): string => (rng.next() * 60).toFixed(3);
      return [
        rec(
          rng.int(20000, 29999),
          '',
          lines([
            msg`LOG:  automatic analyze of table "${`orders.public.${table}`}"`,
            msg`\tavg read rate: ${rate()} MB/s, avg write rate: ${rate()} MB/s`,
            msg`\tbuffer usage: ${rng.int(100, 9000)} hits, ${rng.int(0, 900)} misses, ${rng.int(0, 90)} dirtied`,
            msg`\tsystem usage: CPU: user: ${(rng.next() * 0.3).toFixed(2)} s, system: ${(rng.next() * 0.05).toFixed(2)} s, elapsed: ${(rng.next() * 2).toFixed(2)} s`,
          ]),
        ),
      ];
    };

    const lockWait = (): LogRecord[] => {
      const s = sessionOf();
      const holder = pidFor();
      const tx = (xid += rng.int(1, 200));
      const mode = rng.pick(['ShareLock on transaction ' + tx, 'ExclusiveLock on tuple (' + rng.int(1, 900) + ',' + rng.int(1, 60) + ') of relation 16421 of database 16384']);
      const stmt = `UPDATE inventory SET reserved = reserved + 1 WHERE sku = '${sku()}'`;
      const waited = (1000 + rng.next() * 90).toFixed(3);
      const ctx = msg`CONTEXT:  while updating tuple (${`${rng.int(1, 900)},${rng.int(1, 60)}`}) in relation "${'inventory'}"`;
      const out = withStatement(s, [msg`LOG:  process ${s.pid} still waiting for ${mode} after ${waited} ms`, msg`DETAIL:  Process holding the lock: ${holder}. Wait queue: ${[s.pid, ...rng.some(backendPids, 0, 2)].join(', ')}.`, ctx], stmt);
      if (rng.chance(0.7)) out.push(...withStatement(s, [msg`LOG:  process ${s.pid} acquired ${mode} after ${(1000 + rng.exp(800)).toFixed(3)} ms`, ctx], stmt));
      return out;
    };

    const uniqueViolation = (): LogRecord[] => {
      const s = sessionOf();
      const [constraint, cols, vals, statement] = rng.pick<() => [string, string, string, string]>([
        () => {
          const [order, item] = [rng.int(100000, 999999), sku()];
          return ['order_items_order_id_sku_key', 'order_id, sku', `${order}, ${item}`, `insert into order_items (order_id,quantity,sku,unit_cents) values (${order},${rng.int(1, 3)},'${item}',${rng.int(500, 9000)})`];
        },
        () => {
          const ref = `ch_${rng.alnum(24)}`;
          return ['payments_provider_ref_key', 'provider_ref', ref, `insert into payments (amount_cents,order_id,provider,provider_ref,status,id) values (${rng.int(500, 40000)},${rng.int(100000, 999999)},'stripe','${ref}','AUTHORIZED','${uuid(rng)}')`];
        },
        () => {
          const email = `${rng.pick(['anna', 'li.wei', 'm.keller', 'jo'])}${rng.int(1, 99)}@example.com`;
          return ['customers_email_key', 'email', email, `insert into customers (email,name,id) values ('${email}','${rng.pick(['Anna Berg', 'Li Wei', 'Max Keller'])}',${customer()})`];
        },
      ])();
      return withStatement(s, [msg`ERROR:  duplicate key value violates unique constraint "${constraint}"`, msg`DETAIL:  Key (${cols})=(${vals}) already exists.`], statement);
    };

    const simpleError = (text: Msg, weightedStatement = true): (() => LogRecord[]) => () => {
      const s = sessionOf();
      return weightedStatement ? withStatement(s, [text]) : [rec(s.pid, s.session, text)];
    };

    const background = [
      { weight: 14, emit: slowStatement },
      { weight: 16, emit: slowExecute },
      { weight: 14, emit: connect },
      { weight: 12, emit: disconnect },
      { weight: 1.5, emit: localConnect },
      { weight: 1.2, emit: () => checkpoint() },
      { weight: 2.2, emit: autovacuum },
      { weight: 1.8, emit: autoanalyze },
      { weight: 2.5, emit: () => [rec((nextPid += 3), '[unknown]@[unknown]', k('LOG:  incomplete startup packet'))] },
      { weight: 1, emit: () => [rec(pidFor(), 'app@orders', k('LOG:  could not receive data from client: Connection reset by peer'))] },
      { weight: 0.3, emit: () => [rec(pidFor(), 'app@orders', k('LOG:  unexpected EOF on client connection with an open transaction'))] },
      { weight: 1.2, emit: () => withStatement(sessionOf(), [msg`LOG:  temporary file: path "${`base/pgsql_tmp/pgsql_tmp${pidFor()}.${rng.int(0, 12)}`}", size ${rng.int(1, 900) * 1048576 + rng.int(0, 1048575)}`]) },
      { weight: 1.2, emit: lockWait },
      { weight: 2.2, emit: uniqueViolation },
      { weight: 0.9, emit: simpleError(k('ERROR:  canceling statement due to statement timeout')) },
      { weight: 0.4, emit: simpleError(k('ERROR:  could not serialize access due to concurrent update')) },
      { weight: 0.25, emit: simpleError(k('ERROR:  canceling statement due to user request')) },
      { weight: 0.2, emit: simpleError(k('ERROR:  current transaction is aborted, commands ignored until end of transaction block')) },
      { weight: 0.25, emit: () => withStatement(sessionOf(), [msg`ERROR:  relation "${rng.pick(['order_items_archive', 'tmp_import', 'public.promo_codes'])}" does not exist at character ${rng.int(14, 60)}`]) },
      { weight: 0.2, emit: () => withStatement(sessionOf(), [msg`ERROR:  column "${rng.pick(['status_code', 'total', 'customerid'])}" does not exist at character ${rng.int(8, 90)}`, msg`HINT:  Perhaps you meant to reference the column "${rng.pick(['orders.status', 'orders.total_cents', 'orders.customer_id'])}".`]) },
      { weight: 0.15, emit: () => withStatement(sessionOf(), [msg`ERROR:  syntax error at or near "${rng.pick(['FROM', 'WHERE', ')', 'order'])}" at character ${rng.int(8, 120)}`]) },
      { weight: 0.3, emit: () => withStatement(sessionOf(), [msg`ERROR:  insert or update on table "${'order_items'}" violates foreign key constraint "${'order_items_order_id_fkey'}"`, msg`DETAIL:  Key (${'order_id'})=(${rng.int(100000, 999999)}) is not present in table "${'orders'}".`]) },
      { weight: 0.12, emit: () => withStatement(sessionOf(), [msg`ERROR:  null value in column "${rng.pick(['customer_id', 'currency'])}" of relation "${'orders'}" violates not-null constraint`, msg`DETAIL:  Failing row contains (${[rng.int(100000, 999999), 'null', 'pending', rng.int(500, 90000), 'EUR', '2024-03-12 09:12:44.123+00'].slice(0, rng.int(4, 6)).join(', ')}).`]) },
      { weight: 0.12, emit: () => withStatement(sessionOf(), [msg`ERROR:  value too long for type character varying(${rng.pick([64, 255, 32])})`]) },
      { weight: 0.1, emit: () => withStatement(sessionOf(), [msg`ERROR:  invalid input syntax for type uuid: "${rng.pick(['undefined', 'null', rng.hex(12)])}"`]) },
      { weight: 0.35, emit: () => [rec(pidFor(), 'app@orders', k('FATAL:  terminating connection due to idle-in-transaction timeout'))] },
      { weight: 0.35, emit: () => [rec((nextPid += 2), 'reporting@analytics', msg`FATAL:  password authentication failed for user "${rng.pick(['reporting', 'metabase', 'readonly'])}"`), rec(nextPid, 'reporting@analytics', msg`DETAIL:  Connection matched file "${HBA}" line ${120}: "${'host    all             all             10.0.0.0/8              scram-sha-256'}"`)] },
      { weight: 0.2, emit: () => [rec((nextPid += 2), 'postgres@postgres', msg`FATAL:  no pg_hba.conf entry for host "${privateIp(rng, '10.2')}", user "${rng.pick(['postgres', 'admin'])}", database "${rng.pick(['postgres', 'orders'])}", no encryption`)] },
      { weight: 0.12, emit: () => [rec((nextPid += 2), 'app@orders_test', msg`FATAL:  database "${rng.pick(['orders_test', 'order'])}" does not exist`)] },
      { weight: 0.15, emit: () => [rec(pidFor(), 'app@orders', k('WARNING:  there is no transaction in progress'))] },
    ];

    const start = (): LogRecord[] => [
      rec(1, '', msg`LOG:  starting ${'PostgreSQL 16.2 (Debian 16.2-1.pgdg120+2) on x86_64-pc-linux-gnu, compiled by gcc (Debian 12.2.0-14) 12.2.0, 64-bit'}`),
      rec(1, '', msg`LOG:  listening on ${'IPv4'} address "${'0.0.0.0'}", port ${5432}`),
      rec(1, '', msg`LOG:  listening on ${'IPv6'} address "${'::'}", port ${5432}`),
      rec(1, '', msg`LOG:  listening on Unix socket "${'/var/run/postgresql/.s.PGSQL.5432'}"`),
      rec(52, '', msg`LOG:  database system was shut down at ${'2024-03-12 07:58:41 UTC'}`),
      rec(1, '', k('LOG:  database system is ready to accept connections')),
    ];
    const reloadConfig = (): LogRecord[] => [
      rec(1, '', k('LOG:  received SIGHUP, reloading configuration files')),
      rec(1, '', msg`LOG:  parameter "${'work_mem'}" changed to "${'64MB'}"`),
      rec(1, '', msg`LOG:  parameter "${'idle_in_transaction_session_timeout'}" changed to "${'60s'}"`),
    ];
    const bulkLoad = (): LogRecord[] => {
      const out: LogRecord[] = [];
      for (let i = 0; i < 3; i++) {
        out.push(...checkpoint('wal'));
        out.push(rec(58, '', msg`LOG:  checkpoints are occurring too frequently (${rng.int(12, 28)} seconds apart)`), rec(58, '', msg`HINT:  Consider increasing the configuration parameter "${'max_wal_size'}".`));
        out.push(...slowStatement());
      }
      return out;
    };
    const deadlock = (): LogRecord[] => {
      const s = sessionOf();
      const other = pidFor();
      const a = `UPDATE inventory SET reserved = reserved + 1 WHERE sku = '${sku()}'`;
      const b = `UPDATE inventory SET reserved = reserved + 1 WHERE sku = '${sku()}'`;
      return withStatement(
        s,
        [
          k('ERROR:  deadlock detected'),
          lines([
            msg`DETAIL:  Process ${s.pid} waits for ${'ShareLock on transaction ' + (xid + 3)}; blocked by process ${other}.`,
            msg`\tProcess ${other} waits for ${'ShareLock on transaction ' + (xid + 1)}; blocked by process ${s.pid}.`,
            msg`\tProcess ${s.pid}: ${a}`,
            msg`\tProcess ${other}: ${b}`,
          ]),
          k('HINT:  See server log for query details.'),
          msg`CONTEXT:  while updating tuple (${`${rng.int(1, 900)},${rng.int(1, 60)}`}) in relation "${'inventory'}"`,
        ],
        a,
      );
    };
    const crash = (): LogRecord[] => {
      const victim = pidFor();
      const out = [
        rec(1, '', msg`LOG:  server process (PID ${victim}) was terminated by signal ${9}: ${'Killed'}`),
        rec(1, '', msg`DETAIL:  Failed process was running: ${`SELECT date_trunc('hour', created_at), count(*), array_agg(payload) FROM order_events GROUP BY 1`}`),
        rec(1, '', k('LOG:  terminating any other active server processes')),
      ];
      for (let i = 0; i < 3; i++) out.push(rec((nextPid += 3), 'app@orders', k('FATAL:  the database system is in recovery mode')));
      out.push(
        rec(1, '', k('LOG:  all server processes terminated; reinitializing')),
        rec(nextPid + 1, '', msg`LOG:  database system was interrupted; last known up at ${'2024-03-12 08:41:07 UTC'}`),
        rec(nextPid + 1, '', k('LOG:  database system was not properly shut down; automatic recovery in progress')),
        rec(nextPid + 1, '', msg`LOG:  redo starts at ${lsn()}`),
        rec(nextPid + 1, '', msg`LOG:  invalid record length at ${lsn()}: expected at least ${24}, got ${0}`),
        rec(nextPid + 1, '', msg`LOG:  redo done at ${lsn()} system usage: CPU: user: ${'0.01'} s, system: ${'0.02'} s, elapsed: ${'0.05'} s`),
        ...checkpoint('end-of-recovery immediate wait'),
        rec(1, '', k('LOG:  database system is ready to accept connections')),
      );
      return out;
    };
    const tooManyClients = (): LogRecord[] => {
      const out: LogRecord[] = [];
      for (let i = 0; i < 6; i++) {
        out.push(...connect().slice(0, 1));
        out.push(rec(nextPid, 'app@orders', i < 4 ? k('FATAL:  sorry, too many clients already') : k('FATAL:  remaining connection slots are reserved for roles with the SUPERUSER attribute')));
      }
      return out;
    };
    const archiveFailing = (): LogRecord[] => {
      const out: LogRecord[] = [];
      const seg = `0000000100000002000000${(0x19 + rng.int(0, 9)).toString(16).toUpperCase()}`;
      for (let i = 0; i < 3; i++) {
        out.push(rec(64, '', msg`LOG:  archive command failed with exit code ${1}`), rec(64, '', msg`DETAIL:  The failed archive command was: ${`test ! -f /mnt/wal_archive/${seg} && cp pg_wal/${seg} /mnt/wal_archive/${seg}`}`));
      }
      out.push(rec(64, '', msg`WARNING:  archiving write-ahead log file "${seg}" failed too many times, will try again later`));
      return out;
    };
    const diskFull = (): LogRecord[] => withStatement(sessionOf(), [msg`ERROR:  could not extend file "${`base/16384/${rng.int(16400, 16999)}`}": No space left on device`, k('HINT:  Check free disk space.')]);
    const adminKill = (): LogRecord[] => [rec(pidFor(), 'app@orders', k('FATAL:  terminating connection due to administrator command'))];

    return schedule(rng, 900, background, [
      { at: 0, emit: start },
      { at: 0.31, emit: reloadConfig },
      { at: 0.52, emit: startBilling },
      { at: 0.38, emit: adminKill },
      { at: 0.58, emit: bulkLoad },
      { at: 0.66, emit: deadlock },
      { at: 0.71, emit: crash },
      { at: 0.78, emit: tooManyClients },
      { at: 0.84, emit: archiveFailing },
      { at: 0.9, emit: diskFull },
      { at: 0.91, emit: archiveFailing },
    ]);
  },
};
