/**
 * NetSuite's certificate rotation API as use cases (clients/{clientId}/certificates): list,
 * upload and revoke the certificates of one integration. The caller's capability comes from its
 * own role, nothing is granted on its behalf:
 *   - "OAuth 2.0 Authorized Applications Management" (or Administrator): every certificate of
 *     the integration;
 *   - "Manage own OAuth 2.0 Client Credentials Certificates": only certificates mapped to the
 *     caller's own entity (NetSuite: "create and revoke their own certificates via the rotation
 *     endpoint").
 * Everything else (preconditions, policy, limits, audit) is the mapping use case's.
 */

import type { Account } from '../../domain/account.ts';
import { forbidden, isDomainError, notFound } from '../../domain/errors.ts';
import type { Integration } from '../../domain/integration.ts';
import type { Mapping } from '../../domain/mapping.ts';
import { roleHas } from '../../domain/permissions.ts';
import type { Actor, ServiceDeps } from '../context.ts';
import { findIntegration } from '../records/integrations.ts';
import { type CreatedMapping, insertMapping, mappingOf, revokeFound } from '../records/mappings.ts';
import { accountIdOf, existingAccount } from '../records/validate.ts';
import { type MappingView, mappingViews } from './views.ts';

/** What the caller may manage: every certificate, or only those of one entity. */
export type CertificateCapability = { kind: 'all' } | { kind: 'own'; entityId: number };

/**
 * The capability of `actor` in `accountId`, from its role's permissions. The CLI (system)
 * manages everything; a signed-in entity needs one of the two permissions.
 */
export function capabilityOf(actor: Actor, accountId: string): CertificateCapability {
  if (actor.kind === 'system') return { kind: 'all' };
  if (actor.accountId !== accountId) {
    throw forbidden('permission.other_account', 'you are signed in to another account');
  }
  const role = { id: actor.roleId, permissions: [...actor.permissions] };
  if (roleHas(role, 'oauth2_authorized_apps_management')) return { kind: 'all' };
  if (roleHas(role, 'oauth2_manage_own_certificates')) {
    return { kind: 'own', entityId: actor.entityId };
  }
  throw forbidden(
    'permission.missing',
    'the certificate rotation API needs a role with "Manage own OAuth 2.0 Client Credentials Certificates" or "OAuth 2.0 Authorized Applications Management"',
  );
}

interface Scope {
  account: Account;
  capability: CertificateCapability;
}

async function scopeOf(deps: ServiceDeps, actor: Actor, accountId: string): Promise<Scope> {
  const id = accountIdOf(accountId);
  const capability = capabilityOf(actor, id);
  return { account: await existingAccount(deps, id), capability };
}

const ownEntity = (c: CertificateCapability): number | undefined =>
  c.kind === 'own' ? c.entityId : undefined;

/** The integration's certificates the caller may see; none for an unknown client id. */
export async function listIntegrationCertificates(
  deps: ServiceDeps,
  actor: Actor,
  accountId: string,
  clientId: string,
): Promise<{ integration: Integration; views: MappingView[] } | null> {
  const { account, capability } = await scopeOf(deps, actor, accountId);
  const integration = await deps.store.integrations.getByClientId(
    account.id,
    clientId.toLowerCase(),
  );
  if (!integration) return null;
  const entityId = ownEntity(capability);
  const views = await mappingViews(deps, account.id, {
    integrationId: integration.id,
    ...(entityId !== undefined && { entityId }),
  });
  return { integration, views };
}

export interface UploadInput {
  accountId: string;
  clientId: string;
  entityId: unknown;
  roleId: unknown;
  certificate: string | Buffer;
}

/** Maps a new certificate to the integration; a manage-own caller only to its own entity. */
export async function uploadCertificate(
  deps: ServiceDeps,
  actor: Actor,
  input: UploadInput,
): Promise<CreatedMapping> {
  const { account, capability } = await scopeOf(deps, actor, input.accountId);
  if (capability.kind === 'own' && Number(input.entityId) !== capability.entityId) {
    throw forbidden(
      'permission.own_certificates_only',
      'your role may only manage its own certificates: use your own entity id',
    );
  }
  return insertMapping(deps, actor, account, {
    clientId: input.clientId,
    entityId: input.entityId as number | string,
    roleId: input.roleId as number | string,
    certificate: input.certificate,
  });
}

/**
 * Revokes one of the integration's certificates. A certificate of another integration, another
 * account, or (for a manage-own caller) another entity is "not found": nothing tells the caller
 * it exists.
 */
export async function revokeIntegrationCertificate(
  deps: ServiceDeps,
  actor: Actor,
  accountId: string,
  clientId: string,
  certificateId: string,
): Promise<Mapping> {
  const { account, capability } = await scopeOf(deps, actor, accountId);
  const hidden = notFound(
    'mapping.not_found',
    `no certificate ${certificateId.slice(0, 60)} of client ${clientId.slice(0, 64)} that you may manage`,
  );
  let integration: Integration;
  let mapping: Mapping;
  try {
    integration = await findIntegration(deps, account.id, clientId);
    mapping = await mappingOf(deps, account.id, certificateId);
  } catch (e) {
    if (isDomainError(e)) throw hidden;
    throw e;
  }
  const own = ownEntity(capability);
  if (mapping.integrationId !== integration.id || (own !== undefined && mapping.entityId !== own)) {
    throw hidden;
  }
  return revokeFound(deps, actor, mapping);
}
