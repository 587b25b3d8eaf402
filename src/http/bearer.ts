/**
 * Access tokens on protected resources: RFC 6750 §2.1 `Bearer` (header form only) and RFC 9449
 * §7.1 `DPoP` with its proof header.
 */
import type { FastifyRequest } from 'fastify';
import { OAuthError } from '../domain/oauth-error.ts';
import type { Scope } from '../domain/scope.ts';
import type { Actor } from '../service/context.ts';
import { insufficientScope } from '../service/token/dpop-resource.ts';
import { presentedCertificateFits } from '../service/token/mtls.ts';
import type { ActiveToken } from '../service/token/token-service.ts';
import { clientCertificate } from './client-certificate.ts';
import type { AppContext } from './context.ts';
import { dpopSender } from './sender.ts';

export interface Credentials {
  scheme: 'Bearer' | 'DPoP';
  token: string;
}

/** The Authorization header's scheme and token; null without one; 400 when malformed. */
export function accessCredentials(req: FastifyRequest): Credentials | null {
  const h = req.headers.authorization;
  if (h === undefined) return null;
  const m = /^(Bearer|DPoP) +([A-Za-z0-9._~+/-]+=*)$/i.exec(h);
  if (!m?.[1] || !m[2]) throw new OAuthError('invalid_request', 'InvalidRequest');
  return { scheme: m[1].toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', token: m[2] };
}

/** The active token of this account, or OAuthError invalid_token (401). */
export async function requireBearer(
  ctx: AppContext,
  req: FastifyRequest,
  accountId: string,
  scope?: Scope,
): Promise<ActiveToken> {
  const cred = accessCredentials(req);
  // RFC 6750 §3.1: no credentials at all → 401 with the realm but no error code.
  if (cred === null) throw new OAuthError('invalid_token', null);
  const sender = cred.scheme === 'DPoP' ? dpopSender(ctx, req) : {};
  const active = await ctx.services.tokens.authorize(accountId, cred.scheme, cred.token, sender);
  if (!active) throw new OAuthError('invalid_token', null);
  // RFC 8705 §3: a certificate-bound token only over a connection presenting that certificate.
  const presented = () => clientCertificate(ctx.clientCertificates, req);
  if (!presentedCertificateFits(active.claims.cnf, presented))
    throw new OAuthError(
      'invalid_token',
      null,
      'the access token is bound to a client certificate this connection did not present',
    );
  if (scope && !active.claims.scope.includes(scope)) throw insufficientScope(cred.scheme, scope);
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
