/** Reads an HTTP request body with a size limit on the wire bytes and on the inflated bytes. */
import type { IncomingMessage } from 'node:http';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';

const gunzipAsync = promisify(gunzip);

export type BodyResult =
  | { kind: 'ok'; body: Buffer }
  | { kind: 'too_large'; message: string }
  | { kind: 'bad_encoding'; message: string };

function readRaw(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        // Stop buffering; the caller answers 413 and the connection is closed.
        req.off('data', onData);
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}

export async function readBody(req: IncomingMessage, limit: number, gzip: boolean): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return { kind: 'too_large', message: `request body of ${declared} bytes exceeds the limit of ${limit}` };
  }
  const raw = await readRaw(req, limit);
  if (!raw) return { kind: 'too_large', message: `request body exceeds the limit of ${limit} bytes` };
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
