/**
 * Client authentication by signed assertion (RFC 7523 §2.2, private_key_jwt), shared by the
 * token, introspection and revocation endpoints. The checks run in one fixed, documented order
 * (docs/http.md); every step throws one OAuthError whose `detail` is the audit reason.
 */
import { createHash } from 'node:crypto';
import { algMatchesKey, isAssertionAlg, verifySignature } from '../../crypto/algorithms.ts';
import { seconds } from '../../domain/clock.ts';
import type { Entity } from '../../domain/entity.ts';
import type { Integration } from '../../domain/integration.ts';
import type { Mapping } from '../../domain/mapping.ts';
import { invalidClient, OAuthError } from '../../domain/oauth-error.ts';
import { type Role, roleHas } from '../../domain/permissions.ts';
import {
  audienceMatches,
  checkTimeWindow,
  type ParsedAssertion,
  parseAssertion,
} from './assertion.ts';
import type { Form } from './form.ts';
import type { RecordCache } from './record-cache.ts';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Replay records outlive the assertion by this much (clock skew between nodes). */
export const REPLAY_SKEW_MS = 60_000;
/** Values the caller sent are recorded up to this length (client ids are 64, kids 43). */
export const MAX_TRACED_LENGTH = 128;

/** What is known about the caller so far: written to the audit record on success or failure. */
export interface AuthTrace {
  clientId: string | null;
  certificateId: string | null;
  entityId: number | null;
  roleId: number | null;
}

export interface AuthenticatedClient {
  assertion: ParsedAssertion;
  mapping: Mapping;
  integration: Integration;
  entity: Entity;
  role: Role;
}

export const emptyTrace = (): AuthTrace => ({
  clientId: null,
  certificateId: null,
  entityId: null,
  roleId: null,
});

/** Checks client_assertion_type through entity and role (everything but scope and replay). */
export async function authenticateClient(
  cache: RecordCache,
  accountId: string,
  form: Form,
  audiences: readonly string[],
  nowMs: number,
  trace: AuthTrace,
): Promise<AuthenticatedClient> {
  if (form.get('client_assertion_type') !== JWT_BEARER) throw invalidClient('MalformedAssertion');
  const jwt = form.get('client_assertion');
  if (jwt === undefined) throw invalidClient('MalformedAssertion');
  const assertion = parseAssertion(jwt);
  const { header, claims } = assertion;
  if (typeof claims.iss === 'string') trace.clientId = claims.iss.slice(0, MAX_TRACED_LENGTH);

  // Only the algorithms of the registry; never `none`, HS* or RS* (NetSuite refuses RS256).
  const alg = header.alg;
  if (typeof alg !== 'string' || !isAssertionAlg(alg)) throw invalidClient('UnsupportedAlgo');
  const kid = header.kid;
  if (typeof kid !== 'string' || kid === '') throw invalidClient('MissingKeyId');
  trace.certificateId = kid.slice(0, MAX_TRACED_LENGTH);
  // The key is always the mapped certificate's: `jwk`, `jku`, `x5c`, `x5u` headers are ignored
  // (RFC 8725 §3.10 — a key named by the token itself proves nothing).
  const cached = cache.peekMapping(kid) ?? (await cache.mapping(kid));
  if (!cached || cached.mapping.accountId !== accountId) throw invalidClient('MissingKey');
  const { mapping, key } = cached;
  trace.entityId = mapping.entityId;
  trace.roleId = mapping.roleId;
  if (!algMatchesKey(alg, key)) throw invalidClient('UnsupportedAlgo');
  if (!verifySignature(alg, key, assertion.signingInput, assertion.signature)) {
    throw invalidClient('SignatureValidation');
  }

  // From here the caller has proved possession of the mapped key.
  // Each record from memory when it is there (no promise), else from the store.
  const known = cache.peekIntegration(accountId, mapping.integrationId);
  const integration =
    known !== undefined ? known : await cache.integration(accountId, mapping.integrationId);
  if (!integration) throw new OAuthError('unauthorized_client', 'InvalidIntegration');
  // The trace keeps the `iss` that was sent (bounded above, absent when not a string): an
  // InvalidIssuer record must show what the caller claimed, not the mapping's client id.
  if (claims.iss !== integration.clientId) throw invalidClient('InvalidIssuer');
  trace.clientId = integration.clientId;
  if (!audienceMatches(claims.aud, audiences)) throw invalidClient('InvalidAudience');
  checkTimeWindow(claims, seconds(nowMs));

  if (mapping.revokedAt !== null) throw invalidClient('CertificateRevoked');
  if (nowMs >= mapping.validUntil) throw invalidClient('CertificateExpired');
  if (nowMs < mapping.validFrom) throw invalidClient('CertificateNotYetValid');

  if (integration.state !== 'enabled')
    throw new OAuthError('unauthorized_client', 'IntegrationBlocked');
  if (!integration.m2mGrant) throw new OAuthError('unauthorized_client', 'GrantNotAllowed');

  let entity = cache.peekEntity(accountId, mapping.entityId);
  let role = cache.peekRole(accountId, mapping.roleId);
  if (entity === undefined || role === undefined) {
    [entity, role] = await Promise.all([
      entity !== undefined ? entity : cache.entity(accountId, mapping.entityId),
      role !== undefined ? role : cache.role(accountId, mapping.roleId),
    ]);
  }
  if (!entity?.active || !role?.active || !entity.roleIds.includes(role.id)) {
    throw new OAuthError('invalid_grant', 'EntityOrRoleDisabled');
  }
  if (!roleHas(role, 'oauth2_access_token_login')) {
    throw new OAuthError('invalid_grant', 'MissingPermission');
  }
  return { assertion, mapping, integration, entity, role };
}

/**
 * Replay key: per client, by `jti` when present, else by the signed content (each assertion is
 * accepted once). Kept until the assertion's exp + skew.
 */
export function replayKey(
  accountId: string,
  client: AuthenticatedClient,
): { key: string; expiresAt: number } {
  const { claims, signingInput } = client.assertion;
  const id =
    typeof claims.jti === 'string' && claims.jti !== '' && claims.jti.length <= 128
      ? `j:${claims.jti}`
      : `h:${createHash('sha256')
          .update(
            typeof claims.jti === 'string' && claims.jti !== '' ? `j:${claims.jti}` : signingInput,
          )
          .digest('base64url')}`;
  return {
    key: `${accountId}|${client.integration.clientId}|${id}`,
    expiresAt: (claims.exp as number) * 1000 + REPLAY_SKEW_MS,
  };
}
