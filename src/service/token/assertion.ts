/**
 * The client assertion (RFC 7523 §3): parsing and the claim checks, each a flat step with one
 * throw. Every failure here is `invalid_client` (401) on the wire; `detail` is the audit reason.
 */
import { invalidClient } from '../../domain/oauth-error.ts';

/** Far above any honest assertion (PS512 with a 4096-bit key is ~1.2 KB). */
export const MAX_ASSERTION_LENGTH = 16 * 1024;
/** `iat`/`nbf` may be this far in the future (client clocks run ahead). */
export const FUTURE_TOLERANCE_S = 10;
/** `exp - iat` may not exceed this (NetSuite: "less than 60 minutes"). */
export const MAX_ASSERTION_LIFETIME_S = 3600;

const B64URL = /^[A-Za-z0-9_-]+$/;
/** The signature part may be empty (an unsecured JWS, RFC 7515 §A.5): `alg` refuses it later. */
const B64URL_OR_EMPTY = /^[A-Za-z0-9_-]*$/;

export interface ParsedAssertion {
  signingInput: string;
  signature: Buffer;
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function decodeJson(part: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw invalidClient('MalformedAssertion');
  }
  if (!isRecord(v)) throw invalidClient('MalformedAssertion');
  return v;
}

export function parseAssertion(jwt: string): ParsedAssertion {
  if (jwt.length > MAX_ASSERTION_LENGTH) throw invalidClient('MalformedAssertion');
  const parts = jwt.split('.');
  if (parts.length !== 3) throw invalidClient('MalformedAssertion');
  const [h, p, s] = parts as [string, string, string];
  // Buffer's base64url decoder skips invalid characters silently: check the alphabet first.
  if (!B64URL.test(h) || !B64URL.test(p) || !B64URL_OR_EMPTY.test(s)) {
    throw invalidClient('MalformedAssertion');
  }
  const header = decodeJson(h);
  const claims = decodeJson(p);
  // RFC 7515 §4.1.11: we understand no extension, so any `crit` header makes the JWS invalid.
  if (header.crit !== undefined) throw invalidClient('MalformedAssertion');
  return { signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url'), header, claims };
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
