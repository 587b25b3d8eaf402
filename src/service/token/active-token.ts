/**
 * Validation of certmint's own access tokens on protected resources (whoami, the rotation API,
 * the admin API). A token is good while: one of the account's published keys signed it, its
 * issuer is the account's, it has not expired, it was not revoked (RFC 7009), and the mapping,
 * entity and role it speaks for are still active. The records read on the way are returned, so
 * callers never read them twice.
 */
import type { KeyObject } from 'node:crypto';
import { type AccessTokenClaims, verifyAccessToken } from '../../crypto/access-token.ts';
import { parseSubject } from '../../domain/access-token.ts';
import { seconds } from '../../domain/clock.ts';
import type { Entity } from '../../domain/entity.ts';
import type { Integration } from '../../domain/integration.ts';
import { isMappingActive, type Mapping } from '../../domain/mapping.ts';
import type { Role } from '../../domain/permissions.ts';
import type { RevokedTokenStore } from '../../store/ports.ts';
import type { RecordCache } from './record-cache.ts';
import type { SigningKeys } from './signing-keys.ts';

export interface ActiveToken {
  claims: AccessTokenClaims;
  accountId: string;
  mapping: Mapping;
  /** Null when the integration record vanished (the token still names its client id). */
  integration: Integration | null;
  entity: Entity;
  role: Role;
}

export interface ValidationDeps {
  cache: RecordCache;
  keys: SigningKeys;
  revoked: RevokedTokenStore;
  issuer: string;
  now: number;
}

/** Null for anything but a good token of `accountId` (a refreshed sandbox has new keys). */
export async function validateAccessToken(
  d: ValidationDeps,
  accountId: string,
  token: string,
): Promise<ActiveToken | null> {
  const kid = peekKid(token);
  if (kid === null) return null;
  const key: KeyObject | undefined = await d.keys.publicKey(accountId, kid);
  if (!key) return null;
  const decoded = verifyAccessToken(token, (k) => (k === kid ? key : undefined));
  if (!decoded) return null;
  const c = decoded.claims;
  if (c.iss !== d.issuer || c.exp <= seconds(d.now)) return null;
  const subject = parseSubject(c.sub);
  if (!subject) return null;
  const cached = await d.cache.mapping(c.cid);
  if (!cached || cached.mapping.accountId !== accountId || !isMappingActive(cached.mapping, d.now))
    return null;
  const mapping = cached.mapping;
  const [entity, role, integration] = await Promise.all([
    d.cache.entity(accountId, subject.entityId),
    d.cache.role(accountId, subject.roleId),
    d.cache.integration(accountId, mapping.integrationId),
  ]);
  if (!entity?.active || !role?.active) return null;
  if (await d.revoked.isRevoked(accountId, c.jti)) return null;
  return { claims: c, accountId, mapping, integration, entity, role };
}

/** The `kid` of a JWT's protected header, or null (cheap: no signature work yet). */
function peekKid(token: string): string | null {
  const dot = token.indexOf('.');
  if (dot <= 0 || dot > 512) return null;
  try {
    const h: unknown = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8'));
    if (typeof h === 'object' && h !== null && 'kid' in h && typeof h.kid === 'string')
      return h.kid;
  } catch {
    return null;
  }
  return null;
}
