/**
 * Preconditions of mapping a certificate to an (integration, entity, role) combination,
 * NetSuite's rules: the integration allows the client credentials grant and is enabled; the
 * entity is active; the role is active and held by the entity. Pure checks on records already
 * read; each throws one `policy` error saying what to change. The use case runs them in this
 * order, reading each record just before its check.
 */
import type { Entity } from './entity.ts';
import { policy } from './errors.ts';
import type { Integration } from './integration.ts';
import { PERMISSIONS, type Role, roleHas } from './permissions.ts';

export function checkIntegrationAcceptsMappings(accountId: string, integration: Integration): void {
  if (!integration.m2mGrant) {
    throw policy(
      'mapping.no_m2m_grant',
      `integration "${integration.name}" does not allow the client credentials flow: ` +
        'check Client Credentials (Machine to Machine) Grant on the integration record',
      { cli: `(certmint integration update --account ${accountId} ${integration.clientId} --m2m)` },
    );
  }
  if (integration.state !== 'enabled') {
    throw policy(
      'mapping.integration_blocked',
      `integration "${integration.name}" is blocked: set its state to enabled before mapping certificates`,
    );
  }
}

export function checkEntityMayBeMapped(entity: Entity): void {
  if (!entity.active) {
    throw policy(
      'mapping.entity_inactive',
      `entity ${entity.id} (${entity.name}) is inactive: activate it or map the certificate to an active entity`,
    );
  }
}

export function checkRoleMayBeMapped(accountId: string, entity: Entity, role: Role): void {
  if (!role.active) {
    throw policy(
      'mapping.role_inactive',
      `role ${role.id} (${role.name}) is inactive: activate it or choose an active role`,
    );
  }
  if (!entity.roleIds.includes(role.id)) {
    throw policy(
      'mapping.role_not_assigned',
      `entity ${entity.id} does not hold role ${role.id}: assign the role to the entity first`,
      {
        cli: `(certmint role assign --account ${accountId} --role ${role.id} --entity ${entity.id})`,
      },
    );
  }
}

/**
 * What the administrator should know about a mapping although it was accepted: the policy's
 * certificate warnings, and a role that cannot use the tokens the mapping would obtain.
 */
export interface MappingWarning {
  code:
    | 'mapping.role_cannot_log_in'
    | 'certificate.validity_shortened'
    | 'certificate.not_yet_valid';
  message: string;
}

/**
 * NetSuite accepts a mapping to a role without "Log in using OAuth 2.0 Access Tokens", and every
 * token request through it then fails (MissingPermission): say so when it is made and listed.
 */
export function roleLoginWarning(
  role: Pick<Role, 'id' | 'name' | 'permissions'>,
): MappingWarning | null {
  if (roleHas(role, 'oauth2_access_token_login')) return null;
  return {
    code: 'mapping.role_cannot_log_in',
    message:
      `The role ${role.name} (id ${role.id}) lacks "${PERMISSIONS.oauth2_access_token_login}": ` +
      'token requests with this certificate fail until the permission is added to the role',
  };
}
