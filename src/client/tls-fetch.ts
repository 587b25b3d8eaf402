/**
 * A `fetch` over node:https with a client certificate, for certificate-bound tokens (RFC 8705
 * §3): the token request presents the mapped certificate so the token is bound to it, and the
 * calls that use the token present it again. The global fetch cannot take a client certificate
 * without the undici package; this small adapter needs nothing but node:https.
 */

import type { KeyObject } from 'node:crypto';
import { Agent, request } from 'node:https';
import { Readable } from 'node:stream';
import { ConfigurationError } from './errors.ts';
import type { FetchLike } from './token-request.ts';

export interface ClientTlsOptions {
  /** PEM of the client certificate: the certificate mapped to the integration. */
  cert: string | Buffer;
  /** Its private key (PEM), the same key that signs the assertions. */
  key: string | Buffer | KeyObject;
  /** CA certificates (PEM) for the server's certificate; default: Node's trusted roots. */
  ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Or an https.Agent of your own (then cert, key and ca are its business). */
  agent?: Agent;
}

/** Statuses whose Response may not have a body (Fetch standard "null body status"). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

export function clientTlsAgent(o: ClientTlsOptions): Agent {
  if (o.agent !== undefined) return o.agent;
  if (o.cert === undefined || o.key === undefined) {
    throw new ConfigurationError(
      'tls needs cert and key (the mapped certificate and its key), or an agent',
    );
  }
  const key =
    typeof o.key === 'object' && 'export' in o.key && !Buffer.isBuffer(o.key)
      ? (o.key.export({ format: 'pem', type: 'pkcs8' }) as string)
      : o.key;
  return new Agent({
    keepAlive: true,
    cert: o.cert,
    key,
    ...(o.ca !== undefined && { ca: o.ca as string | Buffer | Array<string | Buffer> }),
  });
}

/** `fetch` through `agent`: https URLs only (a client certificate needs TLS). */
export function httpsFetch(agent: Agent): FetchLike {
  return (input, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(String(input));
      if (url.protocol !== 'https:') {
        reject(new ConfigurationError(`with a tls option, ${url.origin} must be an https URL`));
        return;
      }
      const body = init.body;
      if (
        body !== undefined &&
        body !== null &&
        typeof body !== 'string' &&
        !(body instanceof URLSearchParams) &&
        !(body instanceof Uint8Array)
      ) {
        reject(
          new ConfigurationError(
            'with a tls option, a request body must be a string, URLSearchParams or bytes',
          ),
        );
        return;
      }
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((v, k) => {
        headers[k] = v;
      });
      const req = request(
        url,
        {
          method: init.method ?? 'GET',
          headers,
          agent,
          ...(init.signal && { signal: init.signal }),
        },
        (res) => {
          const status = res.statusCode ?? 0;
          const out = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (v === undefined) continue;
            for (const one of Array.isArray(v) ? v : [v]) out.append(k, one);
          }
          if (NULL_BODY.has(status)) {
            res.resume();
            resolve(new Response(null, { status, headers: out }));
            return;
          }
          resolve(
            new Response(Readable.toWeb(res) as ReadableStream<Uint8Array>, {
              status,
              headers: out,
            }),
          );
        },
      );
      req.on('error', reject);
      // No redirect is ever followed here (node:https does not): the caller sees the 3xx.
      req.end(body instanceof URLSearchParams ? body.toString() : (body ?? undefined));
    });
}
