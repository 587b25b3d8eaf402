/**
 * The client certificate of a request (RFC 8705 §3), for the token endpoint and protected
 * resources: from the TLS connection when certmint terminates TLS itself, or from the header a
 * TLS-terminating proxy sets when the operator configured one. Never both: behind a proxy the
 * connection's peer is the proxy, and without a configured header no header is believed (a
 * client could send any certificate in it).
 */
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import { certificateFromHeader } from '../service/token/mtls.ts';

/** How certificates reach the server; `null` header and `none` mean they never do. */
export interface ClientCertificateSource {
  /** The TLS listener asks clients for a certificate (`--client-certs request`). */
  tlsRequested: boolean;
  /** Lower-case name of the proxy's header (e.g. `x-ssl-client-cert`), or null. */
  header: string | null;
}

export const NO_CLIENT_CERTIFICATES: ClientCertificateSource = {
  tlsRequested: false,
  header: null,
};

/** Certificates can reach the token endpoint: what the metadata advertises (RFC 8705 §3.3). */
export const bindsTokens = (s: ClientCertificateSource): boolean =>
  s.tlsRequested || s.header !== null;

/** DER of the request's client certificate, or undefined when it presented none. */
export function clientCertificate(
  source: ClientCertificateSource,
  req: FastifyRequest,
): Buffer | undefined {
  if (source.header !== null) {
    const v = req.headers[source.header];
    return certificateFromHeader(typeof v === 'string' ? v : undefined);
  }
  if (!source.tlsRequested) return undefined;
  const socket = req.raw.socket as Partial<TLSSocket>;
  // With rejectUnauthorized: false the handshake succeeds without a certificate too; an
  // absent one is undefined (getPeerX509Certificate is Node's parsed form, cheaper than
  // getPeerCertificate's object walk).
  const cert = socket.getPeerX509Certificate?.();
  return cert?.raw;
}
