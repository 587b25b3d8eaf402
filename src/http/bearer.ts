/** Bearer tokens on protected resources (RFC 6750 §2.1 header form only). */
import type { FastifyRequest } from 'fastify';
import { OAuthError } from '../domain/oauth-error.ts';
import type { Scope } from '../domain/scope.ts';
import type { Actor } from '../service/context.ts';
import { presentedCertificateFits } from '../service/token/mtls.ts';
import type { ActiveToken } from '../service/token/token-service.ts';
import { clientCertificate } from './client-certificate.ts';
import type { AppContext } from './context.ts';

export function bearerToken(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (h === undefined) return null;
  const m = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i.exec(h);
  if (!m?.[1]) throw new OAuthError('invalid_request', 'InvalidRequest');
  return m[1];
}

/** The active token of this account, or OAuthError invalid_token (401). */
export async function requireBearer(
  ctx: AppContext,
  req: FastifyRequest,
  accountId: string,
  scope?: Scope,
): Promise<ActiveToken> {
  const token = bearerToken(req);
  // RFC 6750 §3.1: no credentials at all → 401 with the realm but no error code.
  if (token === null) throw new OAuthError('invalid_token', null);
  const active = await ctx.services.tokens.validate(accountId, token);
  if (!active) throw new OAuthError('invalid_token', null);
  // RFC 8705 §3: a certificate-bound token only over a connection presenting that certificate.
  if (!presentedCertificateFits(active.claims.cnf, clientCertificate(ctx.clientCertificates, req)))
    throw new OAuthError(
      'invalid_token',
      null,
      'the access token is bound to a client certificate this connection did not present',
    );
  // RFC 6750 §3.1: the description may say which scope is missing (nothing secret: the token is good).
  if (scope && !active.claims.scope.includes(scope))
    throw new OAuthError(
      'insufficient_scope',
      null,
      `this resource needs an access token with the ${scope} scope`,
    );
  return active;
}

/** The entity-in-role behind an active token, as an Actor for permission checks. */
export const actorOf = (t: ActiveToken): Actor => ({
  kind: 'entity',
  accountId: t.accountId,
  entityId: t.entity.id,
  roleId: t.role.id,
  permissions: [...t.role.permissions],
});
