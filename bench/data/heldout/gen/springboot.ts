/**
 * A Spring Boot 3.2 order service (Tomcat, Hibernate, HikariCP, a Kafka listener) with
 * Boot's default console pattern:
 * `time LEVEL pid --- [app] [thread] logger : message`. One record per logging event:
 * a record whose event carries an exception holds its stack trace on the lines after
 * the message (`\n` inside Content, as a collector's multi-line recombine delivers it;
 * the raw .log shows the lines as the service printed them).
 */
import { createClock, k, lines, msg, schedule, type LogRecord, type Msg, type Rng, type SystemSpec } from './core.js';
import { httpStatusText, latencyMs, pick, uuid } from './values.js';
import { listenerStateTrace, nullAddressTrace, outboxTimeoutTrace, paymentIoTrace, paymentUnavailableTrace, poolExhaustedTrace } from './jvm-traces.js';

const APP = 'order-service';
const CONSUMER = '[Consumer clientId=consumer-order-service-1, groupId=order-service]';

export const springBoot: SystemSpec = {
  name: 'SpringBoot',
  columns: ['Time', 'Level', 'Pid', 'App', 'Thread', 'Logger'],
  render: (f, content) => `${f.Time} ${f.Level!.padStart(5)} ${f.Pid} --- [${f.App}] [${f.Thread!.slice(-15).padStart(15)}] ${f.Logger!.padEnd(40)} : ${content}`,
  generate(rng: Rng): LogRecord[] {
    const clock = createClock(rng, Date.UTC(2024, 2, 12, 7, 30, 0), 2500);
    let version = '1.14.2';
    const log = (level: string, thread: string, logger: string, m: Msg, gap?: number): LogRecord => ({
      fields: { Time: new Date(clock.tick(gap)).toISOString(), Level: level, Pid: '1', App: APP, Thread: thread, Logger: logger },
      msg: m,
    });
    const web = (): string => `http-nio-8080-exec-${rng.int(1, 10)}`;
    const listener = 'org.springframework.kafka.KafkaListenerEndpointContainer#0-0-C-1';
    const order = (): number => rng.int(100_000, 999_999);
    const partitions = ['payments.completed-0', 'payments.completed-1', 'payments.completed-2'];
    let generation = rng.int(20, 60);
    const memberId = (): string => `consumer-order-service-1-${uuid(rng)}`;

    const consumerJoin = (): LogRecord[] => {
      generation += 1;
      const member = memberId();
      const assigned = rng.some(partitions, 1, 3);
      const gen = `Generation{generationId=${generation}, memberId='${member}', protocol='range'}`;
      const out = [
        log('INFO', listener, 'o.a.k.c.c.internals.ConsumerCoordinator', msg`${CONSUMER} Request joining group due to: ${`need to re-join with the given member-id: ${member}`}`),
        log('INFO', listener, 'o.a.k.c.c.internals.ConsumerCoordinator', msg`${CONSUMER} (Re-)joining group`, 1),
        log('INFO', listener, 'o.a.k.c.c.internals.ConsumerCoordinator', msg`${CONSUMER} Successfully joined group with generation ${gen}`, rng.int(100, 3000)),
        log('INFO', listener, 'o.a.k.c.c.internals.ConsumerCoordinator', msg`${CONSUMER} Successfully synced group in generation ${gen}`, 10),
        log('INFO', listener, 'o.a.k.c.c.internals.ConsumerCoordinator', msg`${CONSUMER} Notifying assignor about the new ${`Assignment(partitions=[${assigned.join(', ')}])`}`, 1),
        log('INFO', listener, 'o.a.k.c.c.internals.ConsumerCoordinator', msg`${CONSUMER} Adding newly assigned partitions: ${assigned.join(', ')}`, 1),
      ];
      for (const p of assigned) {
        out.push(log('INFO', listener, 'o.a.k.c.c.internals.ConsumerCoordinator', msg`${CONSUMER} Setting offset for partition ${p} to the committed offset ${`FetchPosition{offset=${rng.int(100_000, 900_000)}, offsetEpoch=Optional[${rng.int(10, 20)}], currentLeader=LeaderAndEpoch{leader=Optional[kafka-${rng.int(1, 3)}.kafka-headless.kafka.svc.cluster.local:9092 (id: ${rng.int(1, 3)} rack: null)], epoch=${rng.int(10, 20)}}}`}`, 5));
      }
      out.push(log('INFO', listener, 'o.s.k.l.KafkaMessageListenerContainer', msg`order-service: partitions assigned: ${`[${assigned.join(', ')}]`}`, 1));
      return out;
    };

    const startup = (): LogRecord[] => {
      const s = (logger: string, m: Msg, gap = rng.int(1, 300)): LogRecord => log('INFO', 'main', logger, m, gap);
      return [
        s('c.e.orders.OrderServiceApplication', msg`Starting ${'OrderServiceApplication'} v${version} using Java ${'21.0.2'} with PID ${1} (${'/app/app.jar'} started by ${'app'} in ${'/app'})`),
        s('c.e.orders.OrderServiceApplication', msg`The following ${1} profile is active: ${'"prod"'}`),
        s('.s.d.r.c.RepositoryConfigurationDelegate', msg`Bootstrapping Spring Data JPA repositories in ${'DEFAULT'} mode.`),
        s('.s.d.r.c.RepositoryConfigurationDelegate', msg`Finished Spring Data repository scanning in ${rng.int(60, 140)} ms. Found ${6} JPA repository interfaces.`),
        s('o.s.b.w.embedded.tomcat.TomcatWebServer', msg`Tomcat initialized with port ${8080} (${'http'})`),
        s('o.apache.catalina.core.StandardService', msg`Starting service [${'Tomcat'}]`),
        s('o.apache.catalina.core.StandardEngine', msg`Starting Servlet engine: [${'Apache Tomcat/10.1.19'}]`),
        s('o.a.c.c.C.[Tomcat].[localhost].[/]', k('Initializing Spring embedded WebApplicationContext')),
        s('w.s.c.ServletWebServerApplicationContext', msg`Root WebApplicationContext: initialization completed in ${rng.int(1500, 2600)} ms`),
        s('o.hibernate.jpa.internal.util.LogHelper', msg`HHH000204: Processing PersistenceUnitInfo [name: ${'default'}]`),
        s('org.hibernate.Version', msg`HHH000412: Hibernate ORM core version ${'6.4.4.Final'}`),
        s('o.h.c.internal.RegionFactoryInitiator', k('HHH000026: Second-level cache disabled')),
        s('o.s.o.j.p.SpringPersistenceUnitInfo', k('No LoadTimeWeaver setup: ignoring JPA class transformer')),
        s('com.zaxxer.hikari.HikariDataSource', msg`${'HikariPool-1'} - Starting...`),
        s('com.zaxxer.hikari.pool.HikariPool', msg`${'HikariPool-1'} - Added connection ${`org.postgresql.jdbc.PgConnection@${rng.hex(8)}`}`),
        s('com.zaxxer.hikari.HikariDataSource', msg`${'HikariPool-1'} - Start completed.`),
        s('o.h.e.t.j.p.i.JtaPlatformInitiator', k("HHH000489: No JTA platform available (set 'hibernate.transaction.jta.platform' to enable JTA platform integration)")),
        s('j.LocalContainerEntityManagerFactoryBean', msg`Initialized JPA EntityManagerFactory for persistence unit '${'default'}'`),
        log('WARN', 'main', 'JpaBaseConfiguration$JpaWebConfiguration', k('spring.jpa.open-in-view is enabled by default. Therefore, database queries may be performed during view rendering. Explicitly configure spring.jpa.open-in-view to disable this warning'), 200),
        s('o.s.b.a.e.web.EndpointLinksResolver', msg`Exposing ${3} endpoint(s) beneath base path '${'/actuator'}'`),
        s('o.s.b.w.embedded.tomcat.TomcatWebServer', msg`Tomcat started on port ${8080} (${'http'}) with context path '${''}'`),
        s('o.a.k.clients.consumer.KafkaConsumer', msg`${CONSUMER} Subscribed to topic(s): ${'payments.completed'}`),
        s('c.e.orders.OrderServiceApplication', msg`Started ${'OrderServiceApplication'} in ${(rng.next() * 3 + 6).toFixed(3)} seconds (process running for ${(rng.next() * 3 + 7).toFixed(2)})`),
        log('INFO', listener, 'org.apache.kafka.clients.Metadata', msg`${CONSUMER} Cluster ID: ${'4L6g3nShT-eMCtK--X86sw'}`, 300),
        log('INFO', listener, 'o.a.k.c.c.internals.ConsumerCoordinator', msg`${CONSUMER} Discovered group coordinator ${'kafka-1.kafka-headless.kafka.svc.cluster.local:9092'} (id: ${2147483646} rack: ${'null'})`, 20),
        ...consumerJoin(),
        log('INFO', web(), 'o.a.c.c.C.[Tomcat].[localhost].[/]', msg`Initializing Spring DispatcherServlet '${'dispatcherServlet'}'`, 4000),
        log('INFO', web(), 'o.s.web.servlet.DispatcherServlet', msg`Initializing Servlet '${'dispatcherServlet'}'`, 1),
        log('INFO', web(), 'o.s.web.servlet.DispatcherServlet', msg`Completed initialization in ${rng.int(1, 3)} ms`, 1),
      ];
    };

    const shutdown = (): LogRecord[] => {
      const member = memberId();
      const owned = partitions.slice(0, 2).join(', ');
      return [
        log('INFO', 'SpringApplicationShutdownHook', 'o.s.b.w.e.tomcat.GracefulShutdown', k('Commencing graceful shutdown. Waiting for active requests to complete')),
        log('INFO', 'tomcat-shutdown', 'o.s.b.w.e.tomcat.GracefulShutdown', k('Graceful shutdown complete'), 300),
        log('INFO', listener, 'o.a.k.c.c.internals.ConsumerCoordinator', msg`${CONSUMER} Revoke previously assigned partitions ${owned}`, 20),
        log('INFO', listener, 'o.s.k.l.KafkaMessageListenerContainer', msg`order-service: partitions revoked: ${`[${owned}]`}`, 1),
        log('INFO', listener, 'o.a.k.c.c.internals.ConsumerCoordinator', msg`${CONSUMER} Member ${member} sending LeaveGroup request to coordinator ${'kafka-1.kafka-headless.kafka.svc.cluster.local:9092'} (id: ${2147483646} rack: ${'null'}) due to ${'the consumer unsubscribed from all topics'}`, 2),
        log('INFO', listener, 'o.a.k.c.c.internals.ConsumerCoordinator', msg`${CONSUMER} Resetting generation and member id due to: ${'consumer pro-actively leaving the group'}`, 1),
        log('INFO', listener, 'o.a.k.c.c.internals.ConsumerCoordinator', msg`${CONSUMER} Request joining group due to: ${'consumer pro-actively leaving the group'}`, 1),
        log('INFO', listener, 'o.apache.kafka.common.metrics.Metrics', k('Metrics scheduler closed'), 2),
        log('INFO', listener, 'o.apache.kafka.common.metrics.Metrics', msg`Closing reporter ${'org.apache.kafka.common.metrics.JmxReporter'}`, 1),
        log('INFO', listener, 'o.apache.kafka.common.metrics.Metrics', k('Metrics reporters closed'), 1),
        log('INFO', listener, 'o.a.kafka.common.utils.AppInfoParser', msg`App info ${'kafka.consumer'} for ${'consumer-order-service-1'} unregistered`, 1),
        log('INFO', listener, 'o.s.k.l.KafkaMessageListenerContainer', msg`${'order-service'}: Consumer stopped`, 1),
        log('INFO', 'SpringApplicationShutdownHook', 'j.LocalContainerEntityManagerFactoryBean', msg`Closing JPA EntityManagerFactory for persistence unit '${'default'}'`, 5),
        log('INFO', 'SpringApplicationShutdownHook', 'com.zaxxer.hikari.HikariDataSource', msg`${'HikariPool-1'} - Shutdown initiated...`, 1),
        log('INFO', 'SpringApplicationShutdownHook', 'com.zaxxer.hikari.HikariDataSource', msg`${'HikariPool-1'} - Shutdown completed.`, 20),
      ];
    };

    const completed = (forced?: number): LogRecord => {
      const method = forced ? 'POST' : pick(rng, [[60, 'GET'], [30, 'POST'], [10, 'PUT']]);
      const status = forced ?? method === 'POST' ? pick(rng, [[85, 201], [6, 409], [6, 422], [1, 500]]) : pick(rng, [[88, 200], [8, 404], [2, 401], [1, 500]]);
      const path = forced ? `/api/orders/${order()}/pay` : method === 'GET' ? rng.pick([`/api/orders/${order()}`, `/api/orders?customer=${rng.int(10_000, 99_999)}&page=${rng.int(0, 5)}`, `/api/orders/${order()}/shipping-quote`]) : method === 'POST' ? rng.pick(['/api/orders', `/api/orders/${order()}/pay`]) : `/api/orders/${order()}/address`;
      return log('INFO', web(), 'c.e.orders.web.RequestLoggingFilter', msg`Completed ${method} ${path} with ${status} ${httpStatusText(status)} in ${latencyMs(rng, 25)} ms`);
    };
    const items = (): string => rng.some(['SKU-1042', 'SKU-2291', 'SKU-3310', 'SKU-4471', 'SKU-5120', 'SKU-6608', 'SKU-7733'], 1, 4).map((s) => `${s} x${rng.int(1, 3)}`).join(', ');
    const statusChange = (): LogRecord => {
      const [from, to] = rng.pick([['PENDING', 'PAID'], ['PAID', 'PACKED'], ['PACKED', 'SHIPPED'], ['SHIPPED', 'DELIVERED'], ['PENDING', 'CANCELLED']] as const);
      return log('INFO', rng.chance(0.5) ? web() : listener, 'c.e.orders.service.OrderService', msg`Order ${order()} status changed: ${from} -> ${to}`);
    };
    const paymentFailure = (trace: Msg): LogRecord[] => [log('ERROR', web(), 'c.e.orders.service.OrderService', lines([msg`Payment provider call failed for order ${order()}`, trace]))];
    const duplicateItem = (): LogRecord[] => {
      const t = web();
      return [
        log('WARN', t, 'o.h.engine.jdbc.spi.SqlExceptionHelper', msg`SQL Error: ${0}, SQLState: ${'23505'}`),
        log('ERROR', t, 'o.h.engine.jdbc.spi.SqlExceptionHelper', lines([msg`ERROR: duplicate key value violates unique constraint "${'order_items_order_id_sku_key'}"`, msg`  Detail: Key (${'order_id, sku'})=(${`${order()}, SKU-${rng.int(1000, 9999)}`}) already exists.`]), 1),
        log('WARN', t, '.w.s.m.s.DefaultHandlerExceptionResolver', msg`Resolved [org.springframework.dao.DataIntegrityViolationException: could not execute statement; SQL [n/a]; constraint [${'order_items_order_id_sku_key'}]]`, 2),
        completed(),
      ];
    };

    const background = [
      { weight: 22, emit: () => [completed()] },
      { weight: 9, emit: () => [log('INFO', web(), 'c.e.orders.service.OrderService', msg`Created order ${order()} for customer ${rng.int(10_000, 99_999)} (${rng.int(1, 6)} items, total ${(rng.int(500, 40000) / 100).toFixed(2)} ${'EUR'})`)] },
      { weight: 8, emit: () => [log('INFO', web(), 'c.e.orders.service.InventoryService', msg`Reserved stock for order ${order()}: [${items()}]`)] },
      { weight: 7, emit: () => [log('INFO', web(), 'c.e.orders.payment.PaymentService', msg`Payment authorized for order ${order()}: provider=${rng.pick(['stripe', 'stripe', 'adyen'])}, amount=${(rng.int(500, 40000) / 100).toFixed(2)} ${'EUR'}, latency=${latencyMs(rng, 180)} ms`)] },
      { weight: 10, emit: () => [statusChange()] },
      { weight: 3, emit: () => [log('INFO', 'scheduling-1', 'c.e.orders.shipping.ShipmentService', msg`Shipment requested for order ${order()} via ${rng.pick(['DHL', 'UPS', 'DPD'])} (tracking ${`JJD${rng.int(1e11, 9e11)}`})`)] },
      { weight: 5, emit: () => [log('INFO', 'scheduling-1', 'c.e.orders.outbox.OutboxRelay', msg`Outbox relay published ${rng.int(1, 40)} events in ${rng.int(3, 80)} ms (oldest ${(rng.next() * 3).toFixed(1)} s)`)] },
      { weight: 1.5, emit: () => [log('WARN', web(), 'c.e.orders.web.OrderController', msg`Order ${order()} not found`)] },
      { weight: 1, emit: () => [log('WARN', web(), 'c.e.orders.service.InventoryService', msg`Rejected order for customer ${rng.int(10_000, 99_999)}: insufficient stock for ${`SKU-${rng.int(1000, 9999)}`} (requested ${rng.int(2, 5)}, available ${rng.int(0, 1)})`)] },
      { weight: 1.2, emit: () => [log('INFO', 'scheduling-1', 'c.e.orders.cart.CartCleanupJob', msg`Scheduled job ${'cleanupExpiredCarts'} removed ${rng.int(0, 90)} carts in ${rng.int(20, 400)} ms`)] },
      { weight: 0.8, emit: () => [log('WARN', web(), 'c.e.orders.config.SlowQueryListener', msg`Slow query detected: ${rng.pick(['OrderRepository.findByCustomerIdOrderByCreatedAtDesc', 'OrderEventRepository.findByOrderId'])} took ${rng.int(1000, 4000)} ms`)] },
      { weight: 0.8, emit: () => [log('WARN', web(), 'c.e.orders.service.InventoryService', msg`Retrying call to ${'inventory-service'} (attempt ${rng.int(2, 3)} of ${3}) after ${rng.pick([200, 400])} ms`)] },
      { weight: 1.2, emit: duplicateItem },
      { weight: 1.0, emit: () => paymentFailure(paymentIoTrace('Read timed out')) },
      { weight: 0.5, emit: () => [log('ERROR', listener, 'c.e.o.messaging.PaymentEventListener', lines([msg`Error handling payment event for order ${order()}`, listenerStateTrace(order(), rng.pick(['CANCELLED', 'PAID', 'SHIPPED']))]))] },
      { weight: 0.3, emit: () => [log('WARN', listener, 'o.a.k.c.c.internals.ConsumerCoordinator', msg`${CONSUMER} consumer poll timeout has expired. This means the time between subsequent calls to poll() was longer than the configured max.poll.interval.ms, which typically implies that the poll loop is spending too much time processing messages. You can address this either by increasing max.poll.interval.ms or by reducing the maximum size of batches returned in poll() with max.poll.records.`), ...consumerJoin()] },
    ];

    const paymentIncident = (): LogRecord[] => {
      const out: LogRecord[] = [];
      for (let i = 0; i < 4; i++) out.push(...paymentFailure(paymentIoTrace('Connect timed out')), completed(502));
      out.push(log('INFO', web(), 'c.e.orders.config.ResilienceConfig', msg`CircuitBreaker '${'paymentProvider'}' changed state from ${'CLOSED'} to ${'OPEN'}`));
      for (let i = 0; i < 3; i++) out.push(log('WARN', web(), 'c.e.orders.payment.PaymentService', msg`Payment deferred for order ${order()}: circuit breaker '${'paymentProvider'}' is OPEN`), completed(503));
      out.push(log('INFO', 'resilience4j-scheduler-1', 'c.e.orders.config.ResilienceConfig', msg`CircuitBreaker '${'paymentProvider'}' changed state from ${'OPEN'} to ${'HALF_OPEN'}`, 60_000));
      out.push(...paymentFailure(paymentUnavailableTrace()));
      out.push(log('INFO', web(), 'c.e.orders.config.ResilienceConfig', msg`CircuitBreaker '${'paymentProvider'}' changed state from ${'HALF_OPEN'} to ${'OPEN'}`, 1));
      out.push(log('INFO', 'resilience4j-scheduler-1', 'c.e.orders.config.ResilienceConfig', msg`CircuitBreaker '${'paymentProvider'}' changed state from ${'OPEN'} to ${'HALF_OPEN'}`, 60_000));
      out.push(log('INFO', web(), 'c.e.orders.config.ResilienceConfig', msg`CircuitBreaker '${'paymentProvider'}' changed state from ${'HALF_OPEN'} to ${'CLOSED'}`, 3000));
      return out;
    };
    const databaseIncident = (): LogRecord[] => {
      const out: LogRecord[] = [];
      for (let i = 0; i < 3; i++) out.push(log('WARN', web(), 'com.zaxxer.hikari.pool.PoolBase', msg`${'HikariPool-1'} - Failed to validate connection ${`org.postgresql.jdbc.PgConnection@${rng.hex(8)}`} (${'This connection has been closed.'}). Possibly consider using a shorter maxLifetime value.`, 200));
      const waiting = rng.int(5, 20);
      out.push(log('WARN', web(), 'o.h.engine.jdbc.spi.SqlExceptionHelper', msg`SQL Error: ${0}, SQLState: ${'null'}`));
      out.push(log('ERROR', web(), 'o.h.engine.jdbc.spi.SqlExceptionHelper', msg`${'HikariPool-1'} - Connection is not available, request timed out after ${30000}ms (total=${10}, active=${10}, idle=${0}, waiting=${waiting}).`, 1));
      out.push(log('ERROR', web(), 'c.e.orders.web.ApiExceptionHandler', lines([msg`Request ${'POST'} ${`/api/orders/${order()}/pay`} failed`, poolExhaustedTrace(10, waiting)]), 2));
      out.push(completed(500), completed(500));
      out.push(log('WARN', 'HikariPool-1 housekeeper', 'com.zaxxer.hikari.pool.HikariPool', msg`${'HikariPool-1'} - Thread starvation or clock leap detected (housekeeper delta=${`${rng.int(1, 2)}m${rng.int(1, 59)}s${rng.int(1, 999)}ms`}).`, 40_000));
      return out;
    };
    const badRelease = (): LogRecord[] => {
      const out = [...shutdown()];
      version = '1.15.0';
      out.push(...startup());
      for (let i = 0; i < 3; i++) {
        out.push(completed(), completed());
        out.push(log('ERROR', web(), 'o.a.c.c.C.[.[.[/].[dispatcherServlet]', lines([msg`Servlet.service() for servlet [${'dispatcherServlet'}] in context with path [${''}] threw exception [Request processing failed: java.lang.NullPointerException: Cannot invoke "com.example.orders.domain.Address.getCountry()" because the return value of "com.example.orders.domain.Customer.getShippingAddress()" is null] with root cause`, nullAddressTrace()])));
      }
      return out;
    };
    const kafkaIncident = (): LogRecord[] => {
      const out: LogRecord[] = [];
      out.push(log('WARN', 'kafka-producer-network-thread | producer-1', 'org.apache.kafka.clients.NetworkClient', msg`${'[Producer clientId=producer-1]'} Connection to node ${3} (${'kafka-3.kafka-headless.kafka.svc.cluster.local/10.0.5.23:9092'}) could not be established. Broker may not be available.`));
      for (let i = 0; i < 2; i++) out.push(log('ERROR', 'scheduling-1', 'c.e.orders.outbox.OutboxRelay', lines([msg`Could not publish outbox event ${uuid(rng)}`, outboxTimeoutTrace()]), 60_000));
      return out;
    };

    return schedule(rng, 700, background, [
      { at: 0, emit: startup },
      { at: 0.58, emit: paymentIncident },
      { at: 0.66, emit: databaseIncident },
      { at: 0.74, emit: badRelease },
      { at: 0.85, emit: kafkaIncident },
    ]);
  },
};
