/** Both listeners on loopback, on ports the OS picks: the demo's setting, and the benchmarks' and tests'. */
export const LOOPBACK_ANY_PORT = { ANOMALOG_HOST: '127.0.0.1', ANOMALOG_GRPC_PORT: '0', ANOMALOG_HTTP_PORT: '0' } as const;
