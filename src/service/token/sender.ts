/**
 * What the transport tells the token service about the sender of a request, beyond the form:
 * the DPoP proof (RFC 9449 §4) and the client certificate of the TLS connection (RFC 8705 §3).
 * The HTTP layer fills it; the service decides what it proves.
 */
export interface SenderContext {
  /** The `DPoP` request header, when present. */
  dpopProof?: string;
  /** The method and absolute URL of the request as the client addressed it (DPoP `htm`/`htu`). */
  method?: string;
  url?: string;
  /**
   * DER of the certificate the client presented on the TLS connection (or its proxy's header),
   * if any. A getter: reading it costs a few µs (docs/performance.md), so it is called only for
   * an integration that binds tokens, not on every token request.
   */
  tlsClientCertificate?: () => Buffer | undefined;
}
