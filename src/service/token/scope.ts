/**
 * Scope as NetSuite clients send it: a comma- or space-separated string ("restlets,
 * rest_webservices", "restlets rest_webservices", "restlets, rest_webservices"), a JSON array in
 * the assertion, or the `scope` form parameter (RFC 6749 §3.3).
 */

import { OAuthError } from '../../domain/oauth-error.ts';
import { isScope, type Scope } from '../../domain/scope.ts';

export function requestedScopes(claim: unknown, formScope: string | undefined): Scope[] {
  const raw = claim !== undefined ? claim : formScope;
  let values: unknown[];
  if (typeof raw === 'string') values = raw.split(/[\s,]+/);
  else if (Array.isArray(raw))
    values = raw.flatMap((v) => (typeof v === 'string' ? v.split(/[\s,]+/) : [v]));
  else if (raw === undefined) values = [];
  else throw new OAuthError('invalid_scope', 'InvalidScope');
  const out: Scope[] = [];
  for (const v of values) {
    if (v === '') continue;
    if (typeof v !== 'string' || !isScope(v)) throw new OAuthError('invalid_scope', 'InvalidScope');
    if (!out.includes(v)) out.push(v);
  }
  if (out.length === 0) throw new OAuthError('invalid_scope', 'InvalidScope');
  return out;
}
