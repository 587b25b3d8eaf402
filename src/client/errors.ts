/**
 * Typed errors of `certmint/client`. Switch on `code` (stable strings), never on messages:
 * messages are for people and may be reworded.
 */

export type ClientErrorCode =
  | 'ERR_CONFIGURATION'
  | 'ERR_TOKEN_REQUEST'
  | 'ERR_NETWORK'
  | 'ERR_INVALID_TOKEN'
  | 'ERR_INSUFFICIENT_SCOPE'
  | 'ERR_INVALID_DPOP_PROOF'
  | 'ERR_JWKS'
  | 'ERR_ROTATION';

/** Base class of every error this module throws on purpose. */
export abstract class CertmintClientError extends Error {
  abstract readonly code: ClientErrorCode;
}

/** The options given to a factory cannot work (bad URL, unusable key, wrong alg, …). */
export class ConfigurationError extends CertmintClientError {
  readonly code = 'ERR_CONFIGURATION' as const;
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

export interface TokenRequestErrorDetails {
  /** OAuth `error` (RFC 6749 §5.2), or `unexpected_response` when the body carried none. */
  error: string;
  errorDescription?: string | undefined;
  /** HTTP status of the last response. */
  status: number;
  /** Where to read the real reason: the server's answer is deliberately terse (no oracle). */
  hint: string;
  /** Requests made, including retries. */
  attempts: number;
}

/** The token endpoint answered, but not with a token. */
export class TokenRequestError extends CertmintClientError {
  readonly code = 'ERR_TOKEN_REQUEST' as const;
  readonly error: string;
  readonly errorDescription: string | undefined;
  readonly status: number;
  readonly hint: string;
  readonly attempts: number;
  constructor(d: TokenRequestErrorDetails) {
    const desc = d.errorDescription ? ` (${d.errorDescription})` : '';
    super(`token request failed: ${d.error}${desc}, HTTP ${d.status}; ${d.hint}`);
    this.name = 'TokenRequestError';
    this.error = d.error;
    this.errorDescription = d.errorDescription;
    this.status = d.status;
    this.hint = d.hint;
    this.attempts = d.attempts;
  }
}

/** No HTTP answer at all (connection refused, DNS, TLS, timeout), after all retries. */
export class NetworkError extends CertmintClientError {
  readonly code = 'ERR_NETWORK' as const;
  readonly attempts: number;
  constructor(message: string, attempts: number, cause?: unknown) {
    super(message, { cause });
    this.name = 'NetworkError';
    this.attempts = attempts;
  }
}

/** Why a token was refused; for logs and metrics, never sent to the caller (no oracle). */
export type InvalidTokenReason =
  | 'malformed'
  | 'signature'
  | 'algorithm'
  | 'type'
  | 'issuer'
  | 'audience'
  | 'expired'
  | 'not_yet_valid'
  | 'unknown_key'
  | 'claims'
  /** A certificate-bound token (RFC 8705 §3) without the same certificate on the connection. */
  | 'certificate'
  /** A DPoP-bound token (`cnf.jkt`) sent as Bearer (RFC 9449 §7.1). */
  | 'dpop_bound'
  /** A token without `cnf.jkt` sent with the DPoP scheme. */
  | 'not_dpop_bound';

/** An access token failed verification: answer 401 `invalid_token` (RFC 6750 §3.1). */
export class InvalidTokenError extends CertmintClientError {
  readonly code = 'ERR_INVALID_TOKEN' as const;
  readonly reason: InvalidTokenReason;
  constructor(reason: InvalidTokenReason, message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'InvalidTokenError';
    this.reason = reason;
  }
}

/** Why a DPoP proof was refused; for logs, never sent to the caller. */
export type InvalidDpopProofReason =
  | 'missing'
  | 'malformed'
  | 'algorithm'
  | 'signature'
  | 'method'
  | 'url'
  | 'stale'
  | 'ath'
  | 'key'
  | 'replayed';

/** The DPoP proof of a request failed (RFC 9449 §4.3, §7.1): answer 401 `invalid_dpop_proof`. */
export class InvalidDpopProofError extends CertmintClientError {
  readonly code = 'ERR_INVALID_DPOP_PROOF' as const;
  readonly reason: InvalidDpopProofReason;
  constructor(reason: InvalidDpopProofReason, message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'InvalidDpopProofError';
    this.reason = reason;
  }
}

/** A valid token that lacks a required scope: answer 403 `insufficient_scope` (RFC 6750 §3.1). */
export class InsufficientScopeError extends CertmintClientError {
  readonly code = 'ERR_INSUFFICIENT_SCOPE' as const;
  readonly requiredScopes: readonly string[];
  readonly grantedScopes: readonly string[];
  constructor(required: readonly string[], granted: readonly string[]) {
    const missing = required.filter((s) => !granted.includes(s));
    super(`the access token lacks scope ${missing.join(', ')}`);
    this.name = 'InsufficientScopeError';
    this.requiredScopes = required;
    this.grantedScopes = granted;
  }
}

/** The key set could not be fetched or was refused (timeout, size, status, shape). */
export class JwksError extends CertmintClientError {
  readonly code = 'ERR_JWKS' as const;
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'JwksError';
  }
}

/** The steps of a certificate rotation, in order (see rotateCertificate). */
export type RotationStep = 'prepare' | 'authenticate' | 'upload' | 'verify' | 'save' | 'revoke';

/** What a rotation had made when it stopped: the new certificate, proven to get a token. */
export interface RotatedCertificate {
  certificateId: string;
  /** PKCS#8 PEM. Secret: store it with mode 0600, never log it. */
  privateKey: string;
  certificatePem: string;
  validUntil: Date;
}

export interface RotationErrorDetails {
  step: RotationStep;
  /** HTTP status of the rotation API's answer, when it answered. */
  status?: number | undefined;
  /** The server's error code (`permission.missing`, `insufficient_scope`, …), when it gave one. */
  error?: string | undefined;
  /** The certificate uploaded before the rotation stopped, if any. */
  newCertificateId?: string | undefined;
  /** True when that uploaded certificate was revoked again (nothing left behind). */
  cleanedUp?: boolean | undefined;
  cause?: unknown;
}

/**
 * A certificate rotation stopped at `step`. Up to and including `save`, the old certificate is
 * untouched and keeps working. At `revoke`, the new certificate is proven (and was handed to
 * `onProven`): `rotated` holds it, and the old one stays active until revoked.
 */
export class RotationError extends CertmintClientError {
  readonly code = 'ERR_ROTATION' as const;
  readonly step: RotationStep;
  readonly status: number | undefined;
  readonly error: string | undefined;
  readonly newCertificateId: string | undefined;
  readonly cleanedUp: boolean | undefined;
  /** Only at step `revoke`: the new, working certificate. Not enumerable, so not logged by accident. */
  declare readonly rotated: RotatedCertificate | undefined;
  constructor(message: string, d: RotationErrorDetails, rotated?: RotatedCertificate) {
    super(`certificate rotation failed at step ${d.step}: ${message}`, { cause: d.cause });
    this.name = 'RotationError';
    this.step = d.step;
    this.status = d.status;
    this.error = d.error;
    this.newCertificateId = d.newCertificateId;
    this.cleanedUp = d.cleanedUp;
    Object.defineProperty(this, 'rotated', { value: rotated, enumerable: false });
  }
}
