/**
 * Certificate mappings (NetSuite: Setup > Integration > OAuth 2.0 Client Credentials (M2M)
 * Setup). One uploaded certificate is bound to one (integration, entity, role) forever. Checks
 * run in a fixed order, one refusal each (domain/mapping-rules.ts, then the certificate policy),
 * and nothing is written before they all pass; the rules spanning rows (certificate and key
 * reuse, 5 active per integration) are one atomic store call, so they hold under concurrency.
 *
 * Who may: `createMapping`/`revokeMapping`/`listMappings` need Administrator or "OAuth 2.0
 * Authorized Applications Management" (console, admin API, CLI). The NetSuite rotation API also
 * lets "Manage own …" roles act on their own entity's certificates: service/certificates/.
 *
 * Audit: every successful create and revoke is recorded. Refusals are not: they are answered to
 * the administrator directly, and a refused request changes nothing stored. Token-endpoint
 * failures, which the caller cannot see, are audited elsewhere.
 */

import type { Account } from '../../domain/account.ts';
import { type AuditEvent, auditEvent } from '../../domain/audit.ts';
import { conflict, notFound } from '../../domain/errors.ts';
import { MAX_ACTIVE_CERTIFICATES, type Mapping } from '../../domain/mapping.ts';
import {
  checkEntityMayBeMapped,
  checkIntegrationAcceptsMappings,
  checkRoleMayBeMapped,
  type MappingWarning,
  roleLoginWarning,
} from '../../domain/mapping-rules.ts';
import { type Actor, actorEntityId, type ServiceDeps } from '../context.ts';
import { permittedAccount } from './access.ts';
import { existingEntity } from './entities.ts';
import { findIntegration } from './integrations.ts';
import { existingRole } from './roles.ts';

export const MANAGE_ALL = ['oauth2_authorized_apps_management'] as const;

/**
 * A new mapping and what its creator should know although it was accepted: its role cannot log
 * in with access tokens, its validity was shortened, it is not valid yet. Every interface shows
 * the warnings (console notice, CLI stderr and JSON, rotation API `warnings`).
 */
export type CreatedMapping = Mapping & { warnings: MappingWarning[] };

export interface CreateMappingInput {
  accountId: string;
  /** The integration record's client id (64 hex) or internal id. */
  clientId: string;
  entityId: number | string;
  roleId: number | string;
  /** PEM text or DER bytes, exactly as uploaded. */
  certificate: Buffer | string;
  /** Upload file name; when given it must end in .cer, .pem or .crt. */
  fileName?: string;
}

function mappingEvent(
  actor: Actor,
  at: number,
  type: 'mapping.create' | 'mapping.revoke',
  m: Mapping,
  clientId: string | null,
): AuditEvent {
  return auditEvent(type, m.accountId, at, {
    clientId,
    certificateId: m.certificateId,
    entityId: m.entityId,
    roleId: m.roleId,
    actor: actorEntityId(actor),
  });
}

export async function createMapping(
  deps: ServiceDeps,
  actor: Actor,
  input: CreateMappingInput,
): Promise<CreatedMapping> {
  const account = await permittedAccount(deps, actor, input.accountId, MANAGE_ALL);
  return insertMapping(deps, actor, account, input);
}

/**
 * The mapping itself, once the caller's right to map in `account` is settled (and, for a
 * manage-own caller, the entity checked): preconditions, policy, atomic insert, audit.
 */
export async function insertMapping(
  deps: ServiceDeps,
  actor: Actor,
  account: Account,
  input: Omit<CreateMappingInput, 'accountId'>,
): Promise<CreatedMapping> {
  const integration = await findIntegration(deps, account.id, input.clientId);
  checkIntegrationAcceptsMappings(account.id, integration);
  const entity = await existingEntity(deps, account.id, input.entityId);
  checkEntityMayBeMapped(entity);
  const role = await existingRole(deps, account.id, input.roleId);
  checkRoleMayBeMapped(account.id, entity, role);
  const now = deps.clock.now();
  // Loaded on first use: the X.509 parser is large, and the CLI's other record commands (one
  // process each) should not pay for it at start-up.
  const { checkCertificate } = await import('../../crypto/certificate.ts');
  const { facts, warnings } = checkCertificate(input.certificate, {
    ...(input.fileName === undefined ? {} : { fileName: input.fileName }),
    now,
  });
  const mapping: Mapping = {
    ...facts,
    accountId: account.id,
    integrationId: integration.id,
    entityId: entity.id,
    roleId: role.id,
    createdAt: now,
    createdBy: actorEntityId(actor),
    revokedAt: null,
    revokedBy: null,
  };
  const result = await deps.store.mappings.create(mapping, MAX_ACTIVE_CERTIFICATES, now);
  switch (result) {
    case 'created':
      break;
    case 'certificate_taken':
      throw conflict(
        'mapping.certificate_taken',
        'The certificate is already mapped (certificates can never be reused, even after revocation): ' +
          'generate a new key pair and certificate',
      );
    case 'key_taken':
      throw conflict(
        'mapping.key_taken',
        "The certificate's public key already belongs to another mapping (keys can never be reused, " +
          'even after revocation): generate a new key pair and certificate',
      );
    case 'limit_reached':
      throw conflict(
        'mapping.limit_reached',
        `integration "${integration.name}" already has ${MAX_ACTIVE_CERTIFICATES} active certificates, ` +
          'the most allowed: revoke one it no longer uses, then map the new one',
      );
  }
  await deps.store.audit.append([
    mappingEvent(actor, now, 'mapping.create', mapping, integration.clientId),
  ]);
  const roleWarning = roleLoginWarning(role);
  return { ...mapping, warnings: [...(roleWarning ? [roleWarning] : []), ...warnings] };
}

/** Revokes a mapping for good: its certificate can never be mapped again. */
export async function revokeMapping(
  deps: ServiceDeps,
  actor: Actor,
  accountId: string,
  certificateId: string,
): Promise<Mapping> {
  const account = await permittedAccount(deps, actor, accountId, MANAGE_ALL);
  const mapping = await mappingOf(deps, account.id, certificateId);
  return revokeFound(deps, actor, mapping);
}

/**
 * The mapping of `certificateId` in `accountId`. Another account's certificate is "not found"
 * too: accounts never see each other's setup.
 */
export async function mappingOf(
  deps: ServiceDeps,
  accountId: string,
  certificateId: unknown,
): Promise<Mapping> {
  const id = typeof certificateId === 'string' ? certificateId.trim() : '';
  const mapping = id.length > 0 ? await deps.store.mappings.get(id) : null;
  if (!mapping || mapping.accountId !== accountId) {
    throw notFound(
      'mapping.not_found',
      `no certificate ${id.slice(0, 60) || '(empty id)'} is mapped in account ${accountId}: ` +
        'check the certificate id against the list of mappings',
      { cli: `(see "certmint mapping list --account ${accountId}")` },
    );
  }
  return mapping;
}

/** Revokes a mapping already found and authorised. Of two concurrent revokes one wins. */
export async function revokeFound(
  deps: ServiceDeps,
  actor: Actor,
  mapping: Mapping,
): Promise<Mapping> {
  const id = mapping.certificateId;
  const already = conflict(
    'mapping.already_revoked',
    `certificate ${id} is already revoked (revocation is irreversible): map a new certificate instead`,
  );
  if (mapping.revokedAt !== null) throw already;
  const now = deps.clock.now();
  const by = actorEntityId(actor);
  if (!(await deps.store.mappings.revoke(mapping.accountId, id, now, by))) throw already;
  const integration = await deps.store.integrations.get(mapping.accountId, mapping.integrationId);
  const revoked = { ...mapping, revokedAt: now, revokedBy: by };
  await deps.store.audit.append([
    mappingEvent(actor, now, 'mapping.revoke', revoked, integration?.clientId ?? null),
  ]);
  return revoked;
}
