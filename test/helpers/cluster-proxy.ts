/** A TCP hop in front of a server (Postgres, Redis) that a test can cut and restore on the same port, or make lose one reply. */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface CuttableProxy {
  readonly port: number;
  /** Drop every connection and refuse new ones. */
  cut(): Promise<void>;
  /** Listen again on the same port. */
  restore(): Promise<void>;
  /** The next bytes the server sends are not passed on: that connection drops instead, as if the server died after doing the work. */
  loseNextReply(): void;
  close(): Promise<void>;
}

export async function startProxy(target: { host: string; port: number }): Promise<CuttableProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  let losing = false;

  async function listen(): Promise<void> {
    const next = createServer((client) => {
      const upstream = connect(target.port, target.host);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream);
      upstream.on('data', (chunk: Buffer) => {
        if (!losing) {
          client.write(chunk);
          return;
        }
        losing = false;
        client.destroy();
        upstream.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject);
      next.listen(port, '127.0.0.1', resolve);
    });
    server = next;
    port = (next.address() as AddressInfo).port;
  }

  async function cut(): Promise<void> {
    const current = server;
    server = undefined;
    for (const s of sockets) s.destroy();
    if (current) await new Promise((resolve) => current.close(resolve));
  }

  await listen();
  return {
    get port() {
      return port;
    },
    cut,
    restore: listen,
    loseNextReply() {
      losing = true;
    },
    close: cut,
  };
}
