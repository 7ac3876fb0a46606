/**
 * An Istio 1.20 sidecar (`istio-proxy` container of the `web` pod) as `kubectl logs`
 * shows it: Envoy's access log in Istio's default TEXT format (the whole line is the
 * message: one statement, every field a parameter), pilot-agent's own lines
 * (`time<TAB>level<TAB>scope<TAB>message`, scope left out for the default scope) and
 * Envoy's warnings in the format Istio gives it (`envoy <logger> <file:line>` as scope,
 * `<TAB>thread=N` after the message).
 */
import { createClock, k, msg, schedule, type LogRecord, type Msg, type Rng, type SystemSpec } from './core.js';
import { ephemeralPort, latencyMs, pick, uuid } from './values.js';

const POD = 'web-6c9f7b8d54-qm2xt';
const POD_IP = '10.244.1.23';
const ISTIOD = 'istiod.istio-system.svc:15012';
const GRPC_STREAM = 'envoy config external/envoy/source/extensions/config_subscription/grpc/grpc_stream.h:193';

export const envoy: SystemSpec = {
  name: 'Envoy',
  columns: ['Time', 'Level', 'Scope'],
  render: (f, content) => (f.Level ? `${f.Time}\t${f.Level}\t${f.Scope ? `${f.Scope}\t` : ''}${content}` : content),
  generate(rng: Rng): LogRecord[] {
    const clock = createClock(rng, Date.UTC(2024, 2, 12, 13, 0, 0), 700);
    const stamp = (gap?: number): string => new Date(clock.tick(gap)).toISOString().replace('Z', `${String(rng.int(0, 999)).padStart(3, '0')}Z`);
    const agent = (level: string, scope: string, m: Msg, gap?: number): LogRecord => ({ fields: { Time: stamp(gap), Level: level, Scope: scope }, msg: m });
    const envoyLog = (level: string, scope: string, m: Msg, gap?: number): LogRecord => ({ fields: { Time: stamp(gap), Level: level, Scope: scope }, msg: msg`${m}\tthread=${rng.int(14, 21)}` });
    let xdsId = 1;

    const upstreams: Array<readonly [number, readonly [string, string, string, () => string]]> = [
      [50, ['api.default.svc.cluster.local:8080', 'outbound|8080||api.default.svc.cluster.local', '10.96.41.7:8080', () => rng.pick([`/api/v1/products/${rng.int(1000, 99999)}`, `/api/v1/cart/${uuid(rng)}`])]],
      [12, ['payments-api.payments.svc.cluster.local:9000', 'outbound|9000||payments-api.payments.svc.cluster.local', '10.96.88.20:9000', () => rng.pick(['/v1/charges', `/v1/charges/ch_${rng.alnum(24)}`])]],
      [6, ['recommendations.default.svc.cluster.local:8080', 'outbound|8080||recommendations.default.svc.cluster.local', '10.96.17.101:8080', () => `/api/v1/recommendations?customer=${rng.int(10000, 99999)}`]],
    ];
    // The web front starts calling a new service in the second half.
    const newUpstream = (): LogRecord[] => {
      upstreams.push([10, ['inventory.default.svc.cluster.local:8080', 'outbound|8080||inventory.default.svc.cluster.local', '10.96.63.12:8080', () => `/api/v1/stock/SKU-${rng.int(1000, 9999)}`]]);
      return [];
    };
    const podIps = ['10.244.2.17', '10.244.2.31', '10.244.3.9', '10.244.3.44', '10.244.1.52'];
    const access = (o: { status?: number; flags?: string; details?: string; upstream?: string; failure?: string; direction?: 'in' | 'out' | 'tcp' } = {}): LogRecord => {
      const direction = o.direction ?? pick(rng, [[45, 'in'], [48, 'out'], [7, 'tcp']] as const);
      const start = new Date(clock.tick()).toISOString();
      if (direction === 'tcp') {
        const local = `${POD_IP}:${ephemeralPort(rng)}`;
        return {
          fields: {},
          msg: msg`[${start}] "${'-'} ${'-'} ${'-'}" ${0} ${'-'} ${'-'} ${'-'} "${'-'}" ${rng.int(200, 90000)} ${rng.int(200, 900000)} ${rng.int(100, 600000)} ${'-'} "${'-'}" "${'-'}" "${'-'}" "${'-'}" "${'10.0.4.5:5432'}" ${'outbound|5432||orders-db.db.svc.cluster.local'} ${local} ${'10.0.4.5:5432'} ${`${POD_IP}:${ephemeralPort(rng)}`} ${'-'} ${'-'}`,
        };
      }
      const inbound = direction === 'in';
      const method = inbound ? pick(rng, [[80, 'GET'], [12, 'POST'], [3, 'PUT'], [2, 'HEAD']]) : pick(rng, [[75, 'GET'], [20, 'POST'], [5, 'DELETE']]);
      const path = inbound
        ? pick(rng, [[30, () => `/p/${rng.pick(['trail-runner-2', 'city-backpack-20l', 'storm-shell-jacket', 'dome-tent-3p'])}`], [20, () => '/'], [15, () => `/cart`], [10, () => `/checkout?step=${rng.pick(['address', 'payment', 'review'])}`], [10, () => `/search?q=${rng.pick(['tent', 'socks', 'rain+jacket'])}`], [8, () => '/healthz/ready']] as const)()
        : '';
      const status = o.status ?? pick(rng, [[90, method === 'POST' ? 201 : 200], [3, 304], [3, 404], [1, 401], [1, 500], [0.4, 503]]);
      const failed = status === 503 && !o.flags;
      const flags = o.flags ?? (failed ? 'UF,URX' : status === 0 ? 'DC' : '-');
      const details = o.details ?? (failed ? 'upstream_reset_before_response_started{connection_failure}' : status === 0 ? 'downstream_remote_disconnect' : 'via_upstream');
      const dur = latencyMs(rng, 18);
      const [authority, cluster, vip, outPath] = inbound ? ['shop.example.com', 'inbound|8080||', `${POD_IP}:8080`, () => path] : pick(rng, upstreams);
      const target = inbound ? path : outPath();
      const upstreamHost = o.upstream ?? (inbound ? `${POD_IP}:8080` : `${rng.pick(podIps)}:${vip.split(':')[1]}`);
      const ua = inbound ? rng.pick(['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1', 'kube-probe/1.28+', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:123.0) Gecko/20100101 Firefox/123.0']) : rng.pick(['node-fetch/1.0 (+https://github.com/bitinn/node-fetch)', 'axios/1.6.7', 'undici']);
      const xff = inbound ? `${rng.int(31, 217)}.${rng.int(1, 254)}.${rng.int(0, 255)}.${rng.int(1, 254)},10.0.1.${rng.int(2, 60)}` : '-';
      return {
        fields: {},
        msg: msg`[${start}] "${method} ${target} ${rng.pick(['HTTP/1.1', 'HTTP/2'])}" ${status} ${flags} ${details} ${'-'} "${o.failure ?? '-'}" ${method === 'GET' ? 0 : rng.int(40, 4000)} ${failed ? 91 : status === 304 ? 0 : rng.int(0, 60000)} ${dur} ${failed ? '-' : Math.max(0, dur - rng.int(0, 3))} "${xff}" "${ua}" "${uuid(rng)}" "${authority}" "${failed ? '-' : upstreamHost}" ${cluster} ${inbound ? '127.0.0.6:' + ephemeralPort(rng) : `${POD_IP}:${ephemeralPort(rng)}`} ${inbound ? `${POD_IP}:8080` : vip} ${inbound ? `10.244.${rng.int(0, 3)}.${rng.int(2, 250)}:${ephemeralPort(rng)}` : `${POD_IP}:${ephemeralPort(rng)}`} ${inbound ? 'outbound_.8080_._.web.default.svc.cluster.local' : '-'} ${'default'}`,
      };
    };

    const start = (): LogRecord[] => {
      const flags: Array<[string, string]> = [['concurrency', '2'], ['domain', 'default.svc.cluster.local'], ['meshConfig', './etc/istio/config/mesh'], ['outlierLogPath', ''], ['profiling', 'true'], ['proxyComponentLogLevel', 'misc:error'], ['proxyLogLevel', 'warning'], ['serviceCluster', 'istio-proxy'], ['stsPort', '0'], ['templateFile', ''], ['tokenManagerPlugin', 'GoogleTokenExchange']];
      const out = flags.map(([name, value]) => agent('info', '', msg`FLAG: --${name}="${value}"`, 1));
      out.push(
        agent('info', '', msg`Version ${'1.20.3-4c4bd5fa0c1a1d6bb3b7a2a0f3f9b3e2d8f1c7a4-Clean'}`, 1),
        agent('info', '', msg`Maximum file descriptors (ulimit -n): ${1048576}`, 1),
        agent('info', '', msg`Proxy role\tips=${`[${POD_IP}]`} type=${'sidecar'} id=${`${POD}.default`} domain=${'default.svc.cluster.local'}`, 1),
        agent('info', '', msg`Apply proxy config from env ${'{}'}`, 1),
        agent('info', '', msg`cpu limit detected as ${2}, setting concurrency`, 1),
        agent('info', '', msg`JWT policy is ${'third-party-jwt'}`, 1),
        agent('info', '', msg`using credential fetcher of ${'JWT'} type in ${'cluster.local'} trust domain`, 1),
        agent('info', '', k('Workload SDS socket not found. Starting Istio SDS Server'), 2),
        agent('info', '', msg`CA Endpoint ${ISTIOD}, provider ${'Citadel'}`, 1),
        agent('info', '', msg`Using CA ${ISTIOD} cert with certs: ${'var/run/secrets/istio/root-cert.pem'}`, 1),
        agent('info', '', msg`Opening status port ${15020}`, 1),
        agent('info', 'xdsproxy', msg`Initializing with upstream address "${ISTIOD}" and cluster "${'Kubernetes'}"`, 1),
        agent('info', 'sds', k('Starting SDS grpc server'), 2),
        agent('info', '', msg`starting Http service at ${'127.0.0.1:15004'}`, 1),
        agent('info', '', msg`Pilot SAN: ${'[istiod.istio-system.svc]'}`, 1),
        agent('info', '', k('Starting proxy agent'), 1),
        agent('info', '', k('starting'), 1),
        agent('info', '', msg`Envoy command: ${'[-c etc/istio/proxy/envoy-rev.json --drain-time-s 45 --drain-strategy immediate --local-address-ip-version v4 --file-flush-interval-msec 1000 --disable-hot-restart --allow-unknown-static-fields --log-format %Y-%m-%dT%T.%fZ\t%l\tenvoy %n %g:%#\t%v\tthread=%t -l warning --component-log-level misc:error --concurrency 2]'}`, 1),
        agent('info', 'cache', msg`generated new workload certificate\tlatency=${`${(rng.next() * 200 + 40).toFixed(6)}ms`} ttl=${`23h59m59.${rng.int(100000000, 999999999)}s`}`, 180),
        agent('info', 'cache', k('Root cert has changed, start rotating root cert'), 1),
        agent('info', 'ads', msg`XDS: Incremental Pushing ConnectedEndpoints:${0} Version:${''}`, 1),
        agent('info', 'xdsproxy', msg`connected to delta upstream XDS server: ${ISTIOD}\tid=${xdsId}`, 30),
        agent('info', 'ads', msg`ADS: new connection for node:${1}`, 40),
        agent('info', 'cache', msg`returned workload trust anchor from cache\tttl=${`23h59m59.${rng.int(100000000, 999999999)}s`}`, 5),
        agent('info', 'cache', msg`returned workload certificate from cache\tttl=${`23h59m59.${rng.int(100000000, 999999999)}s`}`, 1),
        agent('info', 'ads', msg`SDS: PUSH request for node:${`${POD}.default`} resources:${1} size:${'4.0kB'} resource:${'default'}`, 1),
        agent('info', 'ads', msg`SDS: PUSH request for node:${`${POD}.default`} resources:${1} size:${'1.1kB'} resource:${'ROOTCA'}`, 1),
        agent('warn', '', msg`Envoy proxy is NOT ready: ${'config not received from XDS server (is Istiod running?): cds updates: 0 successful, 0 rejected; lds updates: 0 successful, 0 rejected'}`, 600),
        agent('info', '', msg`Readiness succeeded in ${`${(rng.next() + 0.8).toFixed(9)}s`}`, 800),
        agent('info', '', msg`Envoy proxy is ready`, 1),
      );
      return out;
    };

    const xdsReconnect = (): LogRecord[] => {
      xdsId += 1;
      return [
        envoyLog('warning', GRPC_STREAM, msg`${'DeltaAggregatedResources'} gRPC config stream to ${'xds-grpc'} closed since ${rng.int(1700, 1900)}s ago: ${0}, ${''}`),
        agent('warn', 'xdsproxy', msg`upstream [${xdsId - 1}] terminated with unexpected error ${'rpc error: code = Unavailable desc = closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: NO_ERROR, debug data: "max_age"'}`, 1),
        agent('info', 'xdsproxy', msg`connected to delta upstream XDS server: ${ISTIOD}\tid=${xdsId}`, rng.int(50, 900)),
        agent('info', 'ads', msg`ADS: new connection for node:${xdsId}`, 5),
        agent('info', 'ads', msg`ADS: "${'@'}" ${`${POD}.default-${xdsId - 1}`} terminated`, 1),
      ];
    };

    const istiodDown = (): LogRecord[] => {
      const out: LogRecord[] = [envoyLog('warning', GRPC_STREAM, msg`${'DeltaAggregatedResources'} gRPC config stream to ${'xds-grpc'} closed since ${rng.int(40, 900)}s ago: ${14}, ${'upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, transport failure reason: delayed connect error: 111'}`)];
      for (let i = 0; i < 3; i++) {
        out.push(agent('warn', 'xdsproxy', msg`upstream [${xdsId}] terminated with unexpected error ${'rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 10.96.0.15:15012: connect: connection refused"'}`, rng.int(1000, 9000)));
        out.push(agent('warn', 'xdsproxy', msg`failed to create upstream grpc client: ${'rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 10.96.0.15:15012: connect: connection refused"'}`, 1));
        out.push(access(), access());
      }
      xdsId += 1;
      out.push(agent('info', 'xdsproxy', msg`connected to delta upstream XDS server: ${ISTIOD}\tid=${xdsId}`, 4000), agent('info', 'ads', msg`ADS: new connection for node:${xdsId}`, 5));
      return out;
    };

    const paymentsOutage = (): LogRecord[] => {
      const out: LogRecord[] = [];
      for (let i = 0; i < 12; i++) {
        const r = rng.next();
        if (r < 0.5) out.push(access({ direction: 'out', status: 503, flags: 'UF,URX', details: 'upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_111}', failure: 'delayed_connect_error:_111' }));
        else if (r < 0.7) out.push(access({ direction: 'out', status: 503, flags: 'UO', details: 'overflow', upstream: '-' }));
        else out.push(access());
      }
      return out;
    };

    const certRotation = (): LogRecord[] => [
      agent('info', 'cache', msg`generated new workload certificate\tlatency=${`${(rng.next() * 200 + 40).toFixed(6)}ms`} ttl=${`23h59m59.${rng.int(100000000, 999999999)}s`}`),
      agent('info', 'ads', msg`SDS: PUSH request for node:${`${POD}.default`} resources:${1} size:${'4.0kB'} resource:${'default'}`, 3),
    ];

    const rejected = (): LogRecord[] => [
      envoyLog('warning', 'envoy config external/envoy/source/extensions/config_subscription/grpc/delta_subscription_state.cc:275', msg`delta config for ${'type.googleapis.com/envoy.config.listener.v3.Listener'} rejected: ${'Error adding/updating listener(s) 0.0.0.0_9080: duplicate listener 0.0.0.0_9080 found'}`),
      envoyLog('warning', 'envoy config external/envoy/source/extensions/config_subscription/grpc/grpc_subscription_impl.cc:138', msg`gRPC config for ${'type.googleapis.com/envoy.config.listener.v3.Listener'} rejected: ${'Error adding/updating listener(s) 0.0.0.0_9080: duplicate listener 0.0.0.0_9080 found'}`, 1),
    ];

    const terminate = (): LogRecord[] => [
      agent('info', '', k('Status server has successfully terminated'), 1),
      agent('info', '', k('Agent draining Proxy for termination'), 1),
      agent('info', '', msg`Graceful termination period is ${'5s'}, starting...`, 1),
      envoyLog('warning', 'envoy main external/envoy/source/server/server.cc:972', k('caught ENVOY_SIGTERM'), 5000),
      envoyLog('info', 'envoy main external/envoy/source/server/server.cc:1016', k('shutting down server instance'), 1),
      envoyLog('info', 'envoy main external/envoy/source/server/server.cc:951', k('main dispatch loop exited'), 1),
      envoyLog('info', 'envoy main external/envoy/source/server/server.cc:1068', k('exiting'), 1),
      agent('info', '', k('Graceful termination period complete, terminating remaining proxies.'), 1),
      agent('warn', '', k('Aborting proxy'), 1),
      agent('info', '', k('Envoy aborted normally'), 1),
      agent('warn', '', k('Aborted proxy instance'), 1),
      agent('info', '', k('Agent has successfully terminated'), 1),
    ];

    const background = [
      { weight: 100, emit: () => [access()] },
      { weight: 1.2, emit: xdsReconnect },
      { weight: 0.5, emit: () => [access({ direction: 'in', status: 0, flags: 'DC', details: 'downstream_remote_disconnect' })] },
      { weight: 0.8, emit: () => [envoyLog('warning', 'envoy config external/envoy/source/extensions/config_subscription/grpc/delta_subscription_state.cc:275', msg`delta config for ${'type.googleapis.com/envoy.config.route.v3.RouteConfiguration'} rejected: ${'Unknown cluster outbound|8080||legacy-search.default.svc.cluster.local'}`)] },
    ];

    return schedule(rng, 900, background, [
      { at: 0, emit: start },
      { at: 0.38, emit: certRotation },
      { at: 0.52, emit: newUpstream },
      { at: 0.6, emit: paymentsOutage },
      { at: 0.7, emit: istiodDown },
      { at: 0.8, emit: rejected },
      { at: 0.87, emit: certRotation },
      { at: 0.995, emit: terminate },
    ]);
  },
};
