/**
 * Certificate mappings (NetSuite: Setup > Integration > OAuth 2.0 Client Credentials (M2M)
 * Setup). One uploaded certificate is bound to one (integration, entity, role) forever. Checks
 * run in a fixed order, one refusal each, and nothing is written before they all pass; the
 * rules spanning rows (certificate and key reuse, 5 active per integration) are one atomic
 * store call, so they hold under concurrency.
 *
 * Audit: every successful create and revoke is recorded. Refusals are not: they are answered to
 * the administrator directly, and "a refused request changes nothing stored" includes the
 * audit trail. Token-endpoint failures, which the caller cannot see, are audited elsewhere.
 */

import type { AuditEvent } from '../../domain/audit.ts';
import { conflict, notFound, policy } from '../../domain/errors.ts';
import { isMappingActive, MAX_ACTIVE_CERTIFICATES, type Mapping } from '../../domain/mapping.ts';
import { type Actor, actorEntityId, type ServiceDeps } from '../context.ts';
import { permittedAccount } from './access.ts';
import { existingEntity } from './entities.ts';
import { findIntegration } from './integrations.ts';
import { existingRole } from './roles.ts';

const MANAGE = ['oauth2_authorized_apps_management'] as const;
const DAY = 24 * 60 * 60 * 1000;
/** NetSuite warns by email when a certificate has less than two months left. */
export const EXPIRES_SOON_MS = 60 * DAY;

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

function auditEvent(
  actor: Actor,
  at: number,
  type: 'mapping.create' | 'mapping.revoke',
  m: Mapping,
  clientId: string | null,
): AuditEvent {
  return {
    at,
    accountId: m.accountId,
    type,
    result: 'success',
    detail: null,
    clientId,
    certificateId: m.certificateId,
    entityId: m.entityId,
    roleId: m.roleId,
    remoteAddress: null,
    actor: actorEntityId(actor),
  };
}

export async function createMapping(
  deps: ServiceDeps,
  actor: Actor,
  input: CreateMappingInput,
): Promise<Mapping> {
  const account = await permittedAccount(deps, actor, input.accountId, MANAGE);
  const integration = await findIntegration(deps, account.id, input.clientId);
  if (!integration.m2mGrant) {
    throw policy(
      'mapping.no_m2m_grant',
      `integration "${integration.name}" does not allow the client credentials flow: ` +
        'check Client Credentials (Machine to Machine) Grant on the integration record ' +
        `(certmint integration update --account ${account.id} ${integration.clientId} --m2m)`,
    );
  }
  if (integration.state !== 'enabled') {
    throw policy(
      'mapping.integration_blocked',
      `integration "${integration.name}" is blocked: set its state to enabled before mapping certificates`,
    );
  }
  const entity = await existingEntity(deps, account.id, input.entityId);
  if (!entity.active) {
    throw policy(
      'mapping.entity_inactive',
      `entity ${entity.id} (${entity.name}) is inactive: activate it or map the certificate to an active entity`,
    );
  }
  const role = await existingRole(deps, account.id, input.roleId);
  if (!role.active) {
    throw policy(
      'mapping.role_inactive',
      `role ${role.id} (${role.name}) is inactive: activate it or choose an active role`,
    );
  }
  if (!entity.roleIds.includes(role.id)) {
    throw policy(
      'mapping.role_not_assigned',
      `entity ${entity.id} does not hold role ${role.id}: assign it first ` +
        `(certmint role assign --account ${account.id} --role ${role.id} --entity ${entity.id})`,
    );
  }
  const now = deps.clock.now();
  // Loaded on first use: the X.509 parser is large, and the CLI's other record commands (one
  // process each) should not pay for it at start-up.
  const { inspectCertificate } = await import('../../crypto/certificate.ts');
  const facts = inspectCertificate(input.certificate, {
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
        'this certificate is already mapped (certificates can never be reused, even after revocation): ' +
          'generate a new key pair and certificate',
      );
    case 'key_taken':
      throw conflict(
        'mapping.key_taken',
        "this certificate's public key already belongs to another mapping (keys can never be reused, " +
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
    auditEvent(actor, now, 'mapping.create', mapping, integration.clientId),
  ]);
  return mapping;
}

/** Revokes a mapping for good: its certificate can never be mapped again. */
export async function revokeMapping(
  deps: ServiceDeps,
  actor: Actor,
  accountId: string,
  certificateId: string,
): Promise<Mapping> {
  const account = await permittedAccount(deps, actor, accountId, MANAGE);
  const id = typeof certificateId === 'string' ? certificateId.trim() : '';
  const mapping = id.length > 0 ? await deps.store.mappings.get(id) : null;
  // Another account's certificate is "not found" too: accounts never see each other's setup.
  if (!mapping || mapping.accountId !== account.id) {
    throw notFound(
      'mapping.not_found',
      `no certificate ${id.slice(0, 60) || '(empty id)'} is mapped in account ${account.id}: ` +
        `see "certmint mapping list --account ${account.id}"`,
    );
  }
  const already = conflict(
    'mapping.already_revoked',
    `certificate ${id} is already revoked (revocation is irreversible): map a new certificate instead`,
  );
  if (mapping.revokedAt !== null) throw already;
  const now = deps.clock.now();
  const by = actorEntityId(actor);
  // The store's revoke is conditional (not yet revoked): of two concurrent revokes one wins.
  if (!(await deps.store.mappings.revoke(account.id, id, now, by))) throw already;
  const integration = await deps.store.integrations.get(account.id, mapping.integrationId);
  const revoked = { ...mapping, revokedAt: now, revokedBy: by };
  await deps.store.audit.append([
    auditEvent(actor, now, 'mapping.revoke', revoked, integration?.clientId ?? null),
  ]);
  return revoked;
}

export type MappingStatus = 'active' | 'revoked' | 'expired' | 'not_yet_valid';

export interface MappingView extends Mapping {
  status: MappingStatus;
  /** Active and less than 60 days of validity left. */
  expiresSoon: boolean;
  /** The integration's client id and name, for display (null if the record vanished). */
  clientId: string | null;
  integrationName: string | null;
}

export function mappingStatus(
  m: Pick<Mapping, 'revokedAt' | 'validFrom' | 'validUntil'>,
  now: number,
): MappingStatus {
  if (m.revokedAt !== null) return 'revoked';
  if (!isMappingActive(m, now)) return 'expired';
  if (m.validFrom > now) return 'not_yet_valid';
  return 'active';
}

export async function listMappings(
  deps: ServiceDeps,
  actor: Actor,
  accountId: string,
): Promise<MappingView[]> {
  const account = await permittedAccount(deps, actor, accountId, MANAGE);
  const [mappings, integrations] = await Promise.all([
    deps.store.mappings.list(account.id),
    deps.store.integrations.list(account.id),
  ]);
  const byId = new Map(integrations.map((i) => [i.id, i]));
  const now = deps.clock.now();
  return mappings.map((m) => {
    const status = mappingStatus(m, now);
    const integration = byId.get(m.integrationId);
    return {
      ...m,
      status,
      expiresSoon: status === 'active' && m.validUntil - now < EXPIRES_SOON_MS,
      clientId: integration?.clientId ?? null,
      integrationName: integration?.name ?? null,
    };
  });
}
