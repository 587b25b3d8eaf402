/**
 * Certificate-bound access tokens (RFC 8705 §3) on the resource side: the thumbprint of the
 * certificate the caller's TLS connection presented, to compare with the token's
 * `cnf["x5t#S256"]`. Certificates come as DER, PEM or a node X509Certificate; behind a
 * TLS-terminating proxy, from the header the proxy sets (URL-encoded PEM, nginx's
 * `$ssl_client_escaped_cert`).
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { ConfigurationError } from './errors.ts';

/** A client certificate: DER bytes, PEM text or a node X509Certificate. */
export type ClientCertificateInput = Uint8Array | string | X509Certificate;

/** base64url(SHA-256(DER)): RFC 8705 §3.1, the value of `cnf["x5t#S256"]`. */
export function certificateThumbprint(cert: ClientCertificateInput): string {
  return createHash('sha256').update(derOf(cert)).digest('base64url');
}

function derOf(cert: ClientCertificateInput): Uint8Array {
  if (cert instanceof X509Certificate) return cert.raw;
  if (typeof cert === 'string') {
    const der = pemToDer(cert);
    if (!der) throw new ConfigurationError('clientCertificate is not a PEM certificate');
    return der;
  }
  if (cert instanceof Uint8Array) return cert;
  throw new ConfigurationError(
    'clientCertificate must be DER bytes, PEM text or an X509Certificate',
  );
}

const PEM_BLOCK = /^\s*-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----\s*$/;
const MAX_HEADER_LENGTH = 32 * 1024;

/** One CERTIFICATE block (line breaks may have become spaces) → DER, or undefined. */
function pemToDer(text: string): Buffer | undefined {
  const m = PEM_BLOCK.exec(text);
  if (!m?.[1]) return undefined;
  const b64 = m[1].replace(/\s+/g, '');
  if (b64.length === 0 || b64.length % 4 !== 0) return undefined;
  const der = Buffer.from(b64, 'base64');
  return der.toString('base64') === b64 ? der : undefined;
}

/**
 * The DER of a request's client certificate: from `header` when given (only ever the header
 * your TLS-terminating proxy sets and strips from client requests), else from the Node https
 * socket (`requestCert: true` on your server). Undefined when there is none or it is unreadable.
 */
export function requestCertificate(
  req: IncomingMessage,
  header: string | undefined,
): Uint8Array | undefined {
  if (header !== undefined) {
    const v = req.headers[header.toLowerCase()];
    if (typeof v !== 'string' || v === '' || v.length > MAX_HEADER_LENGTH) return undefined;
    try {
      return pemToDer(decodeURIComponent(v));
    } catch {
      return undefined;
    }
  }
  const socket = req.socket as Partial<TLSSocket>;
  // getPeerX509Certificate is getPeerCertificate(true).raw without building the whole object
  // (~5 µs instead of ~28 µs); undefined when the client sent none or the socket is not TLS.
  return socket.getPeerX509Certificate?.()?.raw;
}
