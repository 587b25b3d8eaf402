/**
 * The client assertion (RFC 7523 §3): parsing and the claim checks, each a flat step with one
 * throw. Every failure here is `invalid_client` (401) on the wire; `detail` is the audit reason.
 */
import { parseCompactJws } from '../../crypto/jws.ts';
import { invalidClient } from '../../domain/oauth-error.ts';

/** Far above any honest assertion (PS512 with a 4096-bit key is ~1.2 KB). */
export const MAX_ASSERTION_LENGTH = 16 * 1024;
/** `iat`/`nbf` may be this far in the future (client clocks run ahead). */
export const FUTURE_TOLERANCE_S = 10;
/** `exp - iat` may not exceed this (NetSuite: "less than 60 minutes"). */
export const MAX_ASSERTION_LIFETIME_S = 3600;

export interface ParsedAssertion {
  signingInput: string;
  signature: Buffer;
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

export function parseAssertion(jwt: string): ParsedAssertion {
  // The signature part may be empty: an unsecured JWS is refused by `alg` (UnsupportedAlgo).
  const jws = parseCompactJws(jwt, MAX_ASSERTION_LENGTH, true);
  if (jws === null) throw invalidClient('MalformedAssertion');
  const { signingInput, signature, header, payload } = jws;
  return { signingInput, signature, header, claims: payload };
}

/**
 * `aud` names us and nobody else: one of the accepted values, as a string or a one-element array
 * (RFC 7523bis §4: the audience is the authorization server alone). An array that also names
 * another party is refused: an assertion good for us *and* someone else could be replayed by
 * that other party (audience injection), whatever RFC 7519 §4.1.3 allows in general.
 */
export function audienceMatches(aud: unknown, accepted: readonly string[]): boolean {
  const only = Array.isArray(aud) && aud.length === 1 ? (aud[0] as unknown) : aud;
  return typeof only === 'string' && accepted.includes(only);
}

/**
 * The time window, in seconds. Order: types, expired, issued in the future, not yet valid,
 * lifetime too broad.
 */
export function checkTimeWindow(claims: Record<string, unknown>, nowS: number): void {
  const { exp, iat, nbf } = claims;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw invalidClient('MalformedAssertion');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw invalidClient('MalformedAssertion');
  if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf))) {
    throw invalidClient('MalformedAssertion');
  }
  if (exp <= nowS) throw invalidClient('TokenExpired');
  if (iat > nowS + FUTURE_TOLERANCE_S) throw invalidClient('TokenNotAcceptable');
  if (typeof nbf === 'number' && nbf > nowS + FUTURE_TOLERANCE_S) {
    throw invalidClient('TokenNotAcceptable');
  }
  if (exp <= iat) throw invalidClient('MalformedAssertion');
  if (exp - iat > MAX_ASSERTION_LIFETIME_S) throw invalidClient('TokenValidityTooBroad');
}
