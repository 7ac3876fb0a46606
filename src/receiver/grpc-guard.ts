/**
 * A grpc-js server interceptor that runs before a call's message is read.
 *
 * What grpc-js 1.14 allows (read in node_modules/@grpc/grpc-js, server-interceptors.js):
 * the HTTP/2 stream of a call stays paused until the method handler asks for
 * the message (startRead), which the unary handler does only once the
 * interceptors have passed the metadata on. An interceptor that answers in
 * onReceiveMetadata and never calls next() therefore refuses the call before a
 * byte of its body is decoded or inflated; grpc-js then discards the incoming
 * frames of the finished call unread. So the bearer token is checked here, not
 * in the handler: a gzip bomb with a bad token costs nothing.
 *
 * The same interceptor bounds how long a message may take to arrive
 * (ANOMALOG_REQUEST_TIMEOUT): a call whose message is not complete by then is
 * answered DEADLINE_EXCEEDED (retryable for OTLP exporters).
 */
import {
  ResponderBuilder,
  ServerInterceptingCall,
  ServerListenerBuilder,
  status,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
} from '@grpc/grpc-js';
import type { Refusals } from './refusals.js';

export function createGrpcGuard(deps: {
  /** Only these method paths need the token (health checks stay open). */
  protectedPaths: ReadonlySet<string>;
  checkAuth: (authorization: string | undefined) => boolean;
  timeoutMs: number;
  refusals: Refusals;
}): ServerInterceptor {
  const { protectedPaths, checkAuth, timeoutMs, refusals } = deps;
  return (method, call: ServerInterceptingCallInterface) => {
    let timer: NodeJS.Timeout | undefined;
    const stopTimer = (): void => clearTimeout(timer);
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        if (protectedPaths.has(method.path)) {
          const authorization = metadata.get('authorization')[0];
          if (!checkAuth(typeof authorization === 'string' ? authorization : undefined)) {
            call.sendStatus({ code: status.UNAUTHENTICATED, details: 'missing or invalid bearer token' });
            refusals.refuse('grpc', 'unauthenticated', method.path);
            return;
          }
        }
        timer = setTimeout(() => {
          const details = `request message not received within ${timeoutMs} ms (ANOMALOG_REQUEST_TIMEOUT)`;
          call.sendStatus({ code: status.DEADLINE_EXCEEDED, details });
          refusals.refuse('grpc', 'timeout', details);
        }, timeoutMs);
        next(metadata);
      })
      .withOnReceiveMessage((message, next) => {
        stopTimer();
        next(message);
      })
      .withOnCancel(stopTimer)
      .build();
    return new ServerInterceptingCall(call, new ResponderBuilder().withStart((next) => next(listener)).build());
  };
}
