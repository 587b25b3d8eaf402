/**
 * HTTPS for `serve --tls-cert/--tls-key`, and whether clients are asked for a certificate
 * (`--client-certs request`, RFC 8705). Certificates of clients are self-signed as a rule:
 * the server asks for one but verifies no chain (`rejectUnauthorized: false`); whether a
 * certificate means anything is decided by the mapping (service/token/mtls.ts), not by a CA.
 */
import type { ServerOptions as HttpServerOptions } from 'node:http';
import type { ServerOptions as HttpsServerOptions } from 'node:https';

export const CLIENT_CERTIFICATE_MODES = ['none', 'request'] as const;
export type ClientCertificateMode = (typeof CLIENT_CERTIFICATE_MODES)[number];

export interface TlsSettings {
  /** PEM certificate chain of the server. */
  cert: Buffer | string;
  /** PEM private key of the server. */
  key: Buffer | string;
  clientCertificates: ClientCertificateMode;
}

export function httpsServerOptions(tls: TlsSettings, http: HttpServerOptions): HttpsServerOptions {
  const request = tls.clientCertificates === 'request';
  return {
    ...http,
    cert: tls.cert,
    key: tls.key,
    requestCert: request,
    // Asking is not requiring: a client without a certificate still gets a plain bearer token
    // (and whoever requires binding refuses it in the token service, with an audit reason).
    rejectUnauthorized: false,
  };
}
