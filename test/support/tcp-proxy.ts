/**
 * A TCP proxy on 127.0.0.1 that a test controls, between certmint and PostgreSQL: `freeze()`
 * stops forwarding while keeping the connections open (a stalled network: no error, no data;
 * what arrives meanwhile is dropped, as far as either end can tell), `cut()` drops every
 * connection and refuses new ones (the server is gone), `restore()` forwards again. A freeze
 * can be limited to some connections, named by the local port of their upstream socket (the
 * `client_port` PostgreSQL shows in pg_stat_activity). The shared PostgreSQL is never touched.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** The proxy's port on 127.0.0.1. */
  readonly port: number;
  /** `url` with its host and port replaced by the proxy's. */
  via(url: string): string;
  /** Connections open now. */
  readonly open: number;
  /** Stops forwarding on every connection, or on those whose upstream local port matches. */
  freeze(which?: (upstreamLocalPort: number) => boolean): void;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
  frozen: boolean;
}

export async function startTcpProxy(
  targetPort: number,
  targetHost = '127.0.0.1',
): Promise<TcpProxy> {
  let cut = false;
  const pairs = new Set<Pair>();
  const destroy = (p: Pair) => {
    pairs.delete(p);
    p.client.destroy();
    p.upstream.destroy();
  };

  const server: Server = createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const pair: Pair = { client, upstream: connect(targetPort, targetHost), frozen: false };
    pairs.add(pair);
    for (const s of [pair.client, pair.upstream]) {
      s.on('error', () => destroy(pair)).on('close', () => destroy(pair));
    }
    // Forwarded by hand (not piped) so that a freeze can withhold data without closing anything.
    pair.client.on('data', (chunk: Buffer) => {
      if (!pair.frozen) pair.upstream.write(chunk);
    });
    pair.upstream.on('data', (chunk: Buffer) => {
      if (!pair.frozen) pair.client.write(chunk);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    port,
    via(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    get open() {
      return pairs.size;
    },
    freeze(which) {
      for (const p of pairs) {
        if (!which || which(p.upstream.localPort ?? -1)) p.frozen = true;
      }
    },
    cut() {
      cut = true;
      for (const p of [...pairs]) destroy(p);
    },
    restore() {
      cut = false;
    },
    async close() {
      cut = true;
      for (const p of [...pairs]) destroy(p);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
