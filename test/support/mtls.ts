/**
 * Mutual TLS for tests: a real HTTPS listener (the app's, with an OpenSSL-made server
 * certificate) and Node's `https` client presenting a client certificate or none.
 */
import { type Agent, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import type { TlsSettings } from '../../src/http/tls.ts';
import { makeCert } from './openssl.ts';

/** The server's certificate (CN=test, self-signed by openssl) as TLS settings. */
export async function serverTls(
  clientCertificates: TlsSettings['clientCertificates'] = 'request',
): Promise<TlsSettings & { ca: string }> {
  const m = await makeCert('ec-p256');
  return { cert: m.certPem, key: m.keyPem, clientCertificates, ca: m.certPem };
}

export interface TlsAnswer {
  status: number;
  /** The TLS session was resumed (an abbreviated handshake, no certificate sent again). */
  resumed: boolean;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json(): Record<string, unknown>;
}

export interface TlsClient {
  /** PEM certificate and key the client presents; none when absent. */
  cert?: string;
  key?: string;
  /** An agent of the caller's (e.g. one that caches TLS sessions); default: none. */
  agent?: Agent;
}

/** Starts the app on an ephemeral port of 127.0.0.1; returns a request function. */
export async function listenTls(app: FastifyInstance, ca: string) {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return tlsSender(port, ca);
}

/** A request function for an HTTPS server on `port` of 127.0.0.1 whose certificate is `ca`. */
export function tlsSender(port: number, ca: string) {
  return (
    o: { method?: string; path: string; headers?: Record<string, string>; body?: string },
    client: TlsClient = {},
  ): Promise<TlsAnswer> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: o.method ?? 'GET',
          path: o.path,
          headers: o.headers ?? {},
          // The server certificate is verified (CN=test): only the client side is self-made.
          ca,
          servername: 'test',
          // One connection per request: each keeps the certificate it was opened with.
          agent: client.agent ?? false,
          ...(client.cert !== undefined && { cert: client.cert, key: client.key }),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            resolve({
              status: res.statusCode ?? 0,
              resumed: (res.socket as TLSSocket).isSessionReused(),
              headers: res.headers,
              body,
              json: () => JSON.parse(body) as Record<string, unknown>,
            });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(o.body);
    });
}
