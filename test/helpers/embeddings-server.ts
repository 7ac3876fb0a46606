/**
 * A local stand-in for an OpenAI-compatible /v1/embeddings server: records each
 * call, answers with `vectorOf` for every input (in reverse order, so clients
 * must place vectors by index), unless `respond` answers first (errors, outages).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EmbeddingsCall {
  model: string;
  input: string[];
}

export interface EmbeddingsServer {
  /** The base URL to give as OPENAI_BASE_URL (ends in /v1). */
  readonly baseURL: string;
  readonly calls: EmbeddingsCall[];
  /** Return true when it answered the request itself. */
  respond: ((res: ServerResponse) => boolean) | undefined;
  close(): Promise<void>;
}

/** Near-orthogonal vectors for different texts: a hash of the text's words spread over 64 dimensions. */
function hashedVector(text: string): number[] {
  const v = new Array<number>(64).fill(0);
  for (const word of text.split(/\s+/)) {
    let h = 0x811c9dc5;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193);
    v[(h >>> 0) % 64]! += (h & 1) === 0 ? 1 : -1;
  }
  return v;
}

export async function startEmbeddingsServer(vectorOf: (text: string) => number[] = hashedVector): Promise<EmbeddingsServer> {
  const calls: EmbeddingsCall[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.url !== '/v1/embeddings' || req.method !== 'POST') {
        res.writeHead(404).end();
        return;
      }
      const parsed = JSON.parse(body) as EmbeddingsCall;
      calls.push(parsed);
      if (handle.respond?.(res)) return;
      const data = parsed.input.map((text, index) => ({ object: 'embedding', index, embedding: vectorOf(text) })).reverse();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data, model: parsed.model, usage: { prompt_tokens: 1, total_tokens: 1 } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const handle: EmbeddingsServer = {
    baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    calls,
    respond: undefined,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  return handle;
}
