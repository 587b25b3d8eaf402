import type { DetailCode } from './audit.ts';

/**
 * RFC 6749 §5.2 error codes (plus RFC 6750 §3.1 for protected resources). One class, one
 * serializer (src/http/errors.ts). `detail` is the private reason: it goes to the audit
 * trail and never to the wire (unless the server runs with --explain-errors).
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'temporarily_unavailable'
  | 'server_error'
  // RFC 9449 §12.2: a bad DPoP proof; the server wants a proof with its nonce (§8, §9).
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce';

const STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  invalid_token: 401,
  insufficient_scope: 403,
  temporarily_unavailable: 503,
  server_error: 500,
  // At the token endpoint (RFC 9449 §5, §8); a protected resource answers 401 (§7.1, §9).
  invalid_dpop_proof: 400,
  use_dpop_nonce: 400,
};

export interface OAuthErrorOptions {
  /** Another status than the code's usual one (429 for a rate limit, RFC 6585 §4). */
  status?: number;
  /** Seconds the client should wait: sent as `Retry-After` (RFC 9110 §10.2.3). */
  retryAfterS?: number;
  /** A fresh server nonce for the client's next proof: sent as `DPoP-Nonce` (RFC 9449 §8.1). */
  dpopNonce?: string;
  /**
   * Answer a protected resource's 401 with a `DPoP` challenge naming these algorithms
   * (RFC 9449 §7.1) instead of the Bearer one.
   */
  dpopAlgs?: readonly string[];
}

export class OAuthError extends Error {
  readonly error: OAuthErrorCode;
  readonly status: number;
  readonly detail: DetailCode | null;
  /** A safe, generic description; only sent when it adds nothing an attacker could use. */
  readonly description: string | undefined;
  readonly retryAfterS: number | undefined;
  readonly dpopNonce: string | undefined;
  readonly dpopAlgs: readonly string[] | undefined;
  constructor(
    error: OAuthErrorCode,
    detail: DetailCode | null,
    description?: string,
    options: OAuthErrorOptions = {},
  ) {
    super(detail ?? error);
    this.name = 'OAuthError';
    this.error = error;
    this.status = options.status ?? STATUS[error];
    this.detail = detail;
    this.description = description;
    this.retryAfterS = options.retryAfterS;
    this.dpopNonce = options.dpopNonce;
    this.dpopAlgs = options.dpopAlgs;
  }
}

/**
 * Too many requests (RFC 6585 §4: 429 with Retry-After). RFC 6749 has no code for it at the
 * token endpoint; `temporarily_unavailable` (its "temporary overloading") is the registered
 * code clients already treat as "back off and retry". It is sent only once the caller has
 * authenticated, or for its address alone: it says nothing about any client id.
 */
export const rateLimited = (retryAfterS: number) =>
  new OAuthError(
    'temporarily_unavailable',
    'RateLimited',
    'too many requests: retry after the Retry-After delay',
    { status: 429, retryAfterS },
  );

/**
 * Every failure before the assertion's signature is verified is this same answer: no oracle on
 * which client ids, certificate ids or algorithms exist (docs/http.md).
 */
export const invalidClient = (detail: DetailCode) => new OAuthError('invalid_client', detail);
