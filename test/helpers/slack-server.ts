import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackRequest {
  at: number;
  body: { text: string; blocks: Array<Record<string, unknown>> };
}

export interface ScriptedReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Answer only after this long (a slow or hanging Slack). */
  delayMs?: number;
}

/**
 * A local stand-in for a Slack incoming webhook: records every POST and answers
 * with the scripted replies in order, then 200 "ok".
 */
export async function startSlackServer(script: ScriptedReply[] = []): Promise<{
  url: string;
  requests: SlackRequest[];
  setScript(replies: ScriptedReply[]): void;
  close(): Promise<void>;
}> {
  const requests: SlackRequest[] = [];
  let replies = [...script];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ at: Date.now(), body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as SlackRequest['body'] });
      const reply = replies.shift() ?? { status: 200, body: 'ok' };
      setTimeout(() => {
        res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
        res.end(reply.body ?? (reply.status === 200 ? 'ok' : 'error'));
      }, reply.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/T000/B000/XXXX`,
    requests,
    setScript(next) {
      replies = [...next];
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

/** Resolves once cond() holds; rejects after timeoutMs. */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
