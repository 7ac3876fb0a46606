/**
 * Receives an HTTP request body — bounded in size, in time and by the shared
 * receive budget — and inflates it with a limit on the inflated bytes.
 * Receiving holds no in-flight slot: the caller takes one once the body is here.
 */
import type { IncomingMessage } from 'node:http';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { ReceiveBudget } from './receive-budget.js';

const gunzipAsync = promisify(gunzip);

export type Received =
  | { kind: 'ok'; raw: Buffer }
  /** Over the size limit, the time limit or the receive budget: the caller answers and closes the connection. */
  | { kind: 'too_large' | 'timeout' | 'over_budget'; message: string }
  /** The client went away before the body was complete. */
  | { kind: 'aborted' };

export type BodyResult = { kind: 'ok'; body: Buffer } | { kind: 'too_large' | 'bad_encoding'; message: string };

export function receiveBody(req: IncomingMessage, opts: { limit: number; timeoutMs: number; budget: ReceiveBudget }): Promise<Received> {
  const { limit, timeoutMs, budget } = opts;
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.resolve({ kind: 'too_large', message: `request body of ${declared} bytes exceeds the limit of ${limit}` });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: Received): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onAbort);
      budget.release(size);
      // Stop reading what is not wanted; the caller closes the connection after answering.
      if (result.kind !== 'ok') req.pause();
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      if (size + chunk.length > limit) {
        finish({ kind: 'too_large', message: `request body exceeds the limit of ${limit} bytes` });
      } else if (!budget.tryReserve(chunk.length)) {
        finish({ kind: 'over_budget', message: 'too many request bodies being received, retry later' });
      } else {
        size += chunk.length;
        chunks.push(chunk);
      }
    };
    const onEnd = (): void => finish({ kind: 'ok', raw: Buffer.concat(chunks, size) });
    const onAbort = (): void => finish({ kind: 'aborted' });
    const timer = setTimeout(
      () => finish({ kind: 'timeout', message: `request body not received within ${timeoutMs} ms (ANOMALOG_REQUEST_TIMEOUT)` }),
      timeoutMs,
    );
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onAbort);
    req.once('close', onAbort);
  });
}

export async function inflateBody(raw: Buffer, limit: number, gzip: boolean): Promise<BodyResult> {
  if (!gzip) return { kind: 'ok', body: raw };
  try {
    // maxOutputLength stops inflating as soon as the limit is passed: a gzip bomb never expands whole.
    return { kind: 'ok', body: await gunzipAsync(raw, { maxOutputLength: limit }) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      return { kind: 'too_large', message: `decompressed body exceeds the limit of ${limit} bytes` };
    }
    return { kind: 'bad_encoding', message: `invalid gzip body: ${(error as Error).message}` };
  }
}
