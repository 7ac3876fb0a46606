/**
 * Java stack traces for the Spring Boot service, as `Throwable.printStackTrace` lays
 * them out. A trace's frames follow from the code path that threw, so for one log
 * statement and one exception they are the same every time: constants of the record.
 * The exception's class is a constant; the values in its message are parameters.
 */
import { k, lines, msg, type Msg } from './core.js';

const at = (frames: readonly string[]): Msg[] => frames.map((f) => k(`\tat ${f}`));

const CONTROLLER_CALL = [
  'com.example.orders.service.OrderService.pay(OrderService.java:118)',
  'java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)',
  'java.base/java.lang.reflect.Method.invoke(Method.java:580)',
  'org.springframework.aop.support.AopUtils.invokeJoinpointUsingReflection(AopUtils.java:351)',
  'org.springframework.aop.framework.ReflectiveMethodInvocation.invokeJoinpoint(ReflectiveMethodInvocation.java:196)',
  'org.springframework.aop.framework.ReflectiveMethodInvocation.proceed(ReflectiveMethodInvocation.java:163)',
  'org.springframework.transaction.interceptor.TransactionInterceptor$1.proceedWithInvocation(TransactionInterceptor.java:123)',
  'org.springframework.transaction.interceptor.TransactionAspectSupport.invokeWithinTransaction(TransactionAspectSupport.java:385)',
  'org.springframework.transaction.interceptor.TransactionInterceptor.invoke(TransactionInterceptor.java:119)',
  'org.springframework.aop.framework.ReflectiveMethodInvocation.proceed(ReflectiveMethodInvocation.java:184)',
  'org.springframework.aop.framework.CglibAopProxy$DynamicAdvisedInterceptor.intercept(CglibAopProxy.java:765)',
  'com.example.orders.service.OrderService$$SpringCGLIB$$0.pay(<generated>)',
  'com.example.orders.web.OrderController.pay(OrderController.java:77)',
  'java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)',
  'java.base/java.lang.reflect.Method.invoke(Method.java:580)',
  'org.springframework.web.method.support.InvocableHandlerMethod.doInvoke(InvocableHandlerMethod.java:255)',
  'org.springframework.web.method.support.InvocableHandlerMethod.invokeForRequest(InvocableHandlerMethod.java:188)',
  'org.springframework.web.servlet.mvc.method.annotation.ServletInvocableHandlerMethod.invokeAndHandle(ServletInvocableHandlerMethod.java:118)',
  'org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter.invokeHandlerMethod(RequestMappingHandlerAdapter.java:926)',
  'org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter.handleInternal(RequestMappingHandlerAdapter.java:831)',
  'org.springframework.web.servlet.mvc.method.AbstractHandlerMethodAdapter.handle(AbstractHandlerMethodAdapter.java:87)',
  'org.springframework.web.servlet.DispatcherServlet.doDispatch(DispatcherServlet.java:1089)',
  'org.springframework.web.servlet.DispatcherServlet.doService(DispatcherServlet.java:979)',
  'org.springframework.web.servlet.FrameworkServlet.processRequest(FrameworkServlet.java:1014)',
  'org.springframework.web.servlet.FrameworkServlet.doPost(FrameworkServlet.java:914)',
  'jakarta.servlet.http.HttpServlet.service(HttpServlet.java:590)',
  'org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)',
  'jakarta.servlet.http.HttpServlet.service(HttpServlet.java:658)',
  'org.apache.catalina.core.ApplicationFilterChain.internalDoFilter(ApplicationFilterChain.java:205)',
  'org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:149)',
];
const TOMCAT_TAIL = [
  'org.apache.catalina.core.StandardWrapperValve.invoke(StandardWrapperValve.java:167)',
  'org.apache.catalina.core.StandardContextValve.invoke(StandardContextValve.java:90)',
  'org.apache.catalina.authenticator.AuthenticatorBase.invoke(AuthenticatorBase.java:482)',
  'org.apache.catalina.core.StandardHostValve.invoke(StandardHostValve.java:115)',
  'org.apache.catalina.valves.ErrorReportValve.invoke(ErrorReportValve.java:93)',
  'org.apache.catalina.core.StandardEngineValve.invoke(StandardEngineValve.java:74)',
  'org.apache.catalina.connector.CoyoteAdapter.service(CoyoteAdapter.java:344)',
  'org.apache.coyote.http11.Http11Processor.service(Http11Processor.java:391)',
  'org.apache.coyote.AbstractProcessorLight.process(AbstractProcessorLight.java:63)',
  'org.apache.coyote.AbstractProtocol$ConnectionHandler.process(AbstractProtocol.java:896)',
  'org.apache.tomcat.util.net.NioEndpoint$SocketProcessor.doRun(NioEndpoint.java:1744)',
  'org.apache.tomcat.util.net.SocketProcessorBase.run(SocketProcessorBase.java:52)',
  'org.apache.tomcat.util.threads.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1191)',
  'org.apache.tomcat.util.threads.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:659)',
  'org.apache.tomcat.util.threads.TaskThread$WrappingRunnable.run(TaskThread.java:61)',
  'java.base/java.lang.Thread.run(Thread.java:1583)',
];
const REST_TEMPLATE = [
  'org.springframework.web.client.RestTemplate.createResourceAccessException(RestTemplate.java:905)',
  'org.springframework.web.client.RestTemplate.doExecute(RestTemplate.java:885)',
  'org.springframework.web.client.RestTemplate.execute(RestTemplate.java:790)',
  'org.springframework.web.client.RestTemplate.postForEntity(RestTemplate.java:539)',
  'com.example.orders.payment.StripePaymentClient.authorize(StripePaymentClient.java:64)',
  'com.example.orders.payment.PaymentService.authorize(PaymentService.java:41)',
];

/** Payment call that failed on a socket: `cause` is `Read timed out` or `Connect timed out`. */
export function paymentIoTrace(cause: 'Read timed out' | 'Connect timed out'): Msg {
  const socket =
    cause === 'Read timed out'
      ? ['java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:278)', 'java.base/sun.nio.ch.NioSocketImpl.implRead(NioSocketImpl.java:304)', 'java.base/sun.nio.ch.NioSocketImpl.read(NioSocketImpl.java:346)', 'java.base/sun.nio.ch.NioSocketImpl$1.read(NioSocketImpl.java:796)', 'java.base/java.net.Socket$SocketInputStream.read(Socket.java:1099)', 'java.base/sun.security.ssl.SSLSocketInputRecord.read(SSLSocketInputRecord.java:489)', 'java.base/sun.security.ssl.SSLSocketInputRecord.readHeader(SSLSocketInputRecord.java:483)', 'java.base/sun.security.ssl.SSLSocketImpl.readApplicationRecord(SSLSocketImpl.java:1461)', 'java.base/java.io.BufferedInputStream.fill(BufferedInputStream.java:291)', 'java.base/sun.net.www.http.HttpClient.parseHTTPHeader(HttpClient.java:850)', 'java.base/sun.net.www.http.HttpClient.parseHTTP(HttpClient.java:727)', 'java.base/sun.net.www.protocol.http.HttpURLConnection.getInputStream0(HttpURLConnection.java:1690)', 'java.base/java.net.HttpURLConnection.getResponseCode(HttpURLConnection.java:531)', 'org.springframework.http.client.SimpleClientHttpResponse.getStatusCode(SimpleClientHttpResponse.java:55)', 'org.springframework.web.client.DefaultResponseErrorHandler.hasError(DefaultResponseErrorHandler.java:66)', 'org.springframework.web.client.RestTemplate.handleResponse(RestTemplate.java:928)', 'org.springframework.web.client.RestTemplate.doExecute(RestTemplate.java:879)']
      : ['java.base/sun.nio.ch.NioSocketImpl.timedFinishConnect(NioSocketImpl.java:551)', 'java.base/sun.nio.ch.NioSocketImpl.connect(NioSocketImpl.java:602)', 'java.base/java.net.SocksSocketImpl.connect(SocksSocketImpl.java:327)', 'java.base/java.net.Socket.connect(Socket.java:751)', 'java.base/sun.security.ssl.SSLSocketImpl.connect(SSLSocketImpl.java:304)', 'java.base/sun.net.NetworkClient.doConnect(NetworkClient.java:178)', 'java.base/sun.net.www.http.HttpClient.openServer(HttpClient.java:531)', 'java.base/sun.net.www.http.HttpClient.openServer(HttpClient.java:636)', 'java.base/sun.net.www.protocol.https.HttpsClient.<init>(HttpsClient.java:264)', 'java.base/sun.net.www.protocol.https.HttpsClient.New(HttpsClient.java:377)', 'java.base/sun.net.www.protocol.https.AbstractDelegateHttpsURLConnection.getNewHttpClient(AbstractDelegateHttpsURLConnection.java:193)', 'java.base/sun.net.www.protocol.http.HttpURLConnection.plainConnect0(HttpURLConnection.java:1252)', 'java.base/sun.net.www.protocol.http.HttpURLConnection.plainConnect(HttpURLConnection.java:1138)', 'java.base/sun.net.www.protocol.https.AbstractDelegateHttpsURLConnection.connect(AbstractDelegateHttpsURLConnection.java:179)', 'org.springframework.http.client.SimpleBufferingClientHttpRequest.executeInternal(SimpleBufferingClientHttpRequest.java:79)', 'org.springframework.http.client.AbstractBufferingClientHttpRequest.executeInternal(AbstractBufferingClientHttpRequest.java:48)', 'org.springframework.http.client.AbstractClientHttpRequest.execute(AbstractClientHttpRequest.java:66)', 'org.springframework.web.client.RestTemplate.doExecute(RestTemplate.java:881)'];
  return lines([
    k(`org.springframework.web.client.ResourceAccessException: I/O error on POST request for "https://api.stripe.com/v1/charges": ${cause}`),
    ...at([...REST_TEMPLATE, ...CONTROLLER_CALL, ...TOMCAT_TAIL]),
    k(`Caused by: java.net.SocketTimeoutException: ${cause}`),
    ...at(socket),
    k(`\t... ${cause === 'Read timed out' ? 69 : 68} common frames omitted`),
  ]);
}

/** The payment provider answered 503. */
export function paymentUnavailableTrace(): Msg {
  return lines([
    k('org.springframework.web.client.HttpServerErrorException$ServiceUnavailable: 503 Service Unavailable: "{"error":{"message":"Upstream service unavailable, please retry","type":"api_error"}}"'),
    ...at([
      'org.springframework.web.client.HttpServerErrorException.create(HttpServerErrorException.java:116)',
      'org.springframework.web.client.DefaultResponseErrorHandler.handleError(DefaultResponseErrorHandler.java:183)',
      'org.springframework.web.client.DefaultResponseErrorHandler.handleError(DefaultResponseErrorHandler.java:137)',
      'org.springframework.web.client.ResponseErrorHandler.handleError(ResponseErrorHandler.java:63)',
      'org.springframework.web.client.RestTemplate.handleResponse(RestTemplate.java:932)',
      'org.springframework.web.client.RestTemplate.doExecute(RestTemplate.java:881)',
      'org.springframework.web.client.RestTemplate.execute(RestTemplate.java:790)',
      'org.springframework.web.client.RestTemplate.postForEntity(RestTemplate.java:539)',
      'com.example.orders.payment.StripePaymentClient.authorize(StripePaymentClient.java:64)',
      'com.example.orders.payment.PaymentService.authorize(PaymentService.java:41)',
      ...CONTROLLER_CALL,
      ...TOMCAT_TAIL,
    ]),
  ]);
}

/** The Kafka listener rejected an event: the message names the order and its status (parameters). */
export function listenerStateTrace(order: number, status: string): Msg {
  return lines([
    msg`java.lang.IllegalStateException: Order ${order} is not awaiting payment (status=${status})`,
    ...at([
      'com.example.orders.domain.Order.markPaid(Order.java:142)',
      'com.example.orders.service.OrderService.onPaymentCompleted(OrderService.java:163)',
      'com.example.orders.messaging.PaymentEventListener.onPaymentCompleted(PaymentEventListener.java:38)',
      'java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)',
      'java.base/java.lang.reflect.Method.invoke(Method.java:580)',
      'org.springframework.messaging.handler.invocation.InvocableHandlerMethod.doInvoke(InvocableHandlerMethod.java:169)',
      'org.springframework.messaging.handler.invocation.InvocableHandlerMethod.invoke(InvocableHandlerMethod.java:119)',
      'org.springframework.kafka.listener.adapter.HandlerAdapter.invoke(HandlerAdapter.java:56)',
      'org.springframework.kafka.listener.adapter.MessagingMessageListenerAdapter.invokeHandler(MessagingMessageListenerAdapter.java:376)',
      'org.springframework.kafka.listener.adapter.RecordMessagingMessageListenerAdapter.onMessage(RecordMessagingMessageListenerAdapter.java:92)',
      'org.springframework.kafka.listener.KafkaMessageListenerContainer$ListenerConsumer.doInvokeOnMessage(KafkaMessageListenerContainer.java:2785)',
      'org.springframework.kafka.listener.KafkaMessageListenerContainer$ListenerConsumer.invokeOnMessage(KafkaMessageListenerContainer.java:2763)',
      'org.springframework.kafka.listener.KafkaMessageListenerContainer$ListenerConsumer.doInvokeRecordListener(KafkaMessageListenerContainer.java:2677)',
      'org.springframework.kafka.listener.KafkaMessageListenerContainer$ListenerConsumer.doInvokeWithRecords(KafkaMessageListenerContainer.java:2526)',
      'org.springframework.kafka.listener.KafkaMessageListenerContainer$ListenerConsumer.invokeRecordListener(KafkaMessageListenerContainer.java:2412)',
      'org.springframework.kafka.listener.KafkaMessageListenerContainer$ListenerConsumer.invokeListener(KafkaMessageListenerContainer.java:2054)',
      'org.springframework.kafka.listener.KafkaMessageListenerContainer$ListenerConsumer.pollAndInvoke(KafkaMessageListenerContainer.java:1434)',
      'org.springframework.kafka.listener.KafkaMessageListenerContainer$ListenerConsumer.run(KafkaMessageListenerContainer.java:1325)',
      'java.base/java.util.concurrent.CompletableFuture$AsyncRun.run(CompletableFuture.java:1804)',
      'java.base/java.lang.Thread.run(Thread.java:1583)',
    ]),
  ]);
}

/** A bug shipped with the new version: the servlet's root cause. */
export function nullAddressTrace(): Msg {
  return lines([
    k('java.lang.NullPointerException: Cannot invoke "com.example.orders.domain.Address.getCountry()" because the return value of "com.example.orders.domain.Customer.getShippingAddress()" is null'),
    ...at([
      'com.example.orders.shipping.ShippingRules.carrierFor(ShippingRules.java:29)',
      'com.example.orders.service.OrderService.quoteShipping(OrderService.java:204)',
      'com.example.orders.web.OrderController.quote(OrderController.java:96)',
      ...CONTROLLER_CALL.slice(13),
      ...TOMCAT_TAIL,
    ]),
  ]);
}

/** The outbox relay could not reach the topic. */
export function outboxTimeoutTrace(): Msg {
  return lines([
    k('org.springframework.kafka.KafkaException: Send failed'),
    ...at([
      'org.springframework.kafka.core.KafkaTemplate.doSend(KafkaTemplate.java:803)',
      'org.springframework.kafka.core.KafkaTemplate.observeSend(KafkaTemplate.java:754)',
      'org.springframework.kafka.core.KafkaTemplate.send(KafkaTemplate.java:544)',
      'com.example.orders.outbox.OutboxRelay.publish(OutboxRelay.java:58)',
      'com.example.orders.outbox.OutboxRelay.relay(OutboxRelay.java:44)',
      'org.springframework.scheduling.support.ScheduledMethodRunnable.run(ScheduledMethodRunnable.java:84)',
      'org.springframework.scheduling.support.DelegatingErrorHandlingRunnable.run(DelegatingErrorHandlingRunnable.java:54)',
      'java.base/java.util.concurrent.Executors$RunnableAdapter.call(Executors.java:572)',
      'java.base/java.util.concurrent.FutureTask.runAndReset(FutureTask.java:358)',
      'java.base/java.util.concurrent.ScheduledThreadPoolExecutor$ScheduledFutureTask.run(ScheduledThreadPoolExecutor.java:305)',
      'java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1144)',
      'java.base/java.util.concurrent.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:642)',
      'java.base/java.lang.Thread.run(Thread.java:1583)',
    ]),
    k('Caused by: org.apache.kafka.common.errors.TimeoutException: Topic orders.events not present in metadata after 60000 ms.'),
  ]);
}

/** No connection from the pool within its timeout (values of the pool's state are parameters). */
export function poolExhaustedTrace(total: number, waiting: number): Msg {
  const state = msg`total=${total}, active=${total}, idle=${0}, waiting=${waiting}`;
  return lines([
    k('org.springframework.transaction.CannotCreateTransactionException: Could not open JPA EntityManager for transaction'),
    ...at([
      'org.springframework.orm.jpa.JpaTransactionManager.doBegin(JpaTransactionManager.java:466)',
      'org.springframework.transaction.support.AbstractPlatformTransactionManager.startTransaction(AbstractPlatformTransactionManager.java:531)',
      'org.springframework.transaction.support.AbstractPlatformTransactionManager.getTransaction(AbstractPlatformTransactionManager.java:405)',
      'org.springframework.transaction.interceptor.TransactionAspectSupport.createTransactionIfNecessary(TransactionAspectSupport.java:610)',
      'org.springframework.transaction.interceptor.TransactionAspectSupport.invokeWithinTransaction(TransactionAspectSupport.java:373)',
      ...CONTROLLER_CALL.slice(8),
      ...TOMCAT_TAIL,
    ]),
    msg`Caused by: org.hibernate.exception.JDBCConnectionException: Unable to acquire JDBC Connection [${'HikariPool-1'} - Connection is not available, request timed out after ${30000}ms (${state})] [n/a]`,
    ...at(['org.hibernate.exception.internal.SQLStateConversionDelegate.convert(SQLStateConversionDelegate.java:100)', 'org.hibernate.exception.internal.StandardSQLExceptionConverter.convert(StandardSQLExceptionConverter.java:58)', 'org.hibernate.engine.jdbc.spi.SqlExceptionHelper.convert(SqlExceptionHelper.java:108)', 'org.hibernate.resource.jdbc.internal.LogicalConnectionManagedImpl.acquireConnectionIfNeeded(LogicalConnectionManagedImpl.java:116)']),
    k('\t... 61 common frames omitted'),
    msg`Caused by: java.sql.SQLTransientConnectionException: ${'HikariPool-1'} - Connection is not available, request timed out after ${30000}ms (${state}).`,
    ...at(['com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:686)', 'com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:179)', 'com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:144)', 'com.zaxxer.hikari.HikariDataSource.getConnection(HikariDataSource.java:127)']),
    k('\t... 64 common frames omitted'),
  ]);
}
