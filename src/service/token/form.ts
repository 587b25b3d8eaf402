/**
 * Strict parsing of the token request body (application/x-www-form-urlencoded).
 * RFC 6749 §3.2: parameters sent without a value are treated as omitted; request parameters
 * MUST NOT be included more than once. Limits keep parsing cheap before any crypto.
 */
import { OAuthError } from '../../domain/oauth-error.ts';

export const MAX_FORM_BYTES = 256 * 1024;
export const MAX_FORM_PARAMS = 16;

export type Form = ReadonlyMap<string, string>;

export function parseForm(body: string): Form {
  if (body.length > MAX_FORM_BYTES) throw new OAuthError('invalid_request', 'InvalidRequest');
  const out = new Map<string, string>();
  let count = 0;
  for (const [k, v] of new URLSearchParams(body)) {
    if (++count > MAX_FORM_PARAMS) throw new OAuthError('invalid_request', 'InvalidRequest');
    if (out.has(k)) {
      throw new OAuthError(
        'invalid_request',
        'InvalidRequest',
        `parameter "${k.slice(0, 40)}" is repeated`,
      );
    }
    if (v !== '') out.set(k, v);
  }
  return out;
}
