/** Row ↔ domain conversions. The only place that knows column names and encodings. */
import type { Account, AccountKind } from '../../domain/account.ts';
import type { AuditEvent, AuditEventType, AuditResult, DetailCode } from '../../domain/audit.ts';
import type { EntityType } from '../../domain/entity.ts';
import type {
  DpopMode,
  Integration,
  IntegrationState,
  MtlsBinding,
} from '../../domain/integration.ts';
import type { CertificateFacts, Mapping } from '../../domain/mapping.ts';
import type { Permission, Role } from '../../domain/permissions.ts';
import type { Scope } from '../../domain/scope.ts';
import type { SigningKeyRecord } from '../ports.ts';
import {
  type AccountsTable,
  type AuditEventsTable,
  type DbBool,
  fromDbBool,
  type IntegrationsTable,
  type MappingsTable,
  type RolesTable,
  type SigningKeysTable,
} from '../schema.ts';

/** Times are int8 on PostgreSQL; the pool parses them to numbers, this guards the rest. */
export const num = (v: number | string | bigint): number => (typeof v === 'number' ? v : Number(v));
const numOrNull = (v: number | string | bigint | null): number | null =>
  v === null ? null : num(v);

export const toAccount = (r: Omit<AccountsTable, `next_${string}`>): Account => ({
  id: r.id,
  kind: r.kind as AccountKind,
  parentId: r.parent_id,
  createdAt: num(r.created_at),
  refreshedAt: numOrNull(r.refreshed_at),
});

export const toRole = (r: RolesTable): Role => ({
  accountId: r.account_id,
  id: num(r.id),
  name: r.name,
  active: fromDbBool(r.active),
  permissions: JSON.parse(r.permissions) as Permission[],
});

export const toIntegration = (r: Omit<IntegrationsTable, 'client_secret_hash'>): Integration => ({
  accountId: r.account_id,
  id: num(r.id),
  name: r.name,
  state: r.state as IntegrationState,
  clientId: r.client_id,
  applicationId: r.application_id,
  m2mGrant: fromDbBool(r.m2m_grant),
  scopes: JSON.parse(r.scopes) as Scope[],
  createdAt: num(r.created_at),
  mtlsBinding: r.mtls_binding as MtlsBinding,
  dpop: r.dpop_mode as DpopMode,
});

export const toMapping = (r: MappingsTable): Mapping => ({
  certificateId: r.certificate_id,
  publicKeyId: r.public_key_id,
  pem: r.pem,
  subject: r.subject,
  issuer: r.issuer,
  serialNumber: r.serial_number,
  algorithm: r.algorithm as CertificateFacts['algorithm'],
  keyType: r.key_type as CertificateFacts['keyType'],
  keySize: num(r.key_size),
  curve: r.curve as CertificateFacts['curve'],
  validFrom: num(r.valid_from),
  validUntil: num(r.valid_until),
  shortened: fromDbBool(r.shortened),
  accountId: r.account_id,
  integrationId: num(r.integration_id),
  entityId: num(r.entity_id),
  roleId: num(r.role_id),
  createdAt: num(r.created_at),
  createdBy: numOrNull(r.created_by),
  revokedAt: numOrNull(r.revoked_at),
  revokedBy: numOrNull(r.revoked_by),
});

export const fromMapping = (m: Mapping, bool: (v: boolean) => DbBool): MappingsTable => ({
  certificate_id: m.certificateId,
  public_key_id: m.publicKeyId,
  account_id: m.accountId,
  integration_id: m.integrationId,
  entity_id: m.entityId,
  role_id: m.roleId,
  pem: m.pem,
  subject: m.subject,
  issuer: m.issuer,
  serial_number: m.serialNumber,
  algorithm: m.algorithm,
  key_type: m.keyType,
  key_size: m.keySize,
  curve: m.curve,
  valid_from: m.validFrom,
  valid_until: m.validUntil,
  shortened: bool(m.shortened),
  created_at: m.createdAt,
  created_by: m.createdBy,
  revoked_at: m.revokedAt,
  revoked_by: m.revokedBy,
});

type AuditRow = { [K in keyof AuditEventsTable]: K extends 'id' ? number : AuditEventsTable[K] };

export const toAuditEvent = (r: AuditRow): AuditEvent => ({
  id: num(r.id),
  at: num(r.at),
  accountId: r.account_id,
  type: r.type as AuditEventType,
  result: r.result as AuditResult,
  detail: r.detail as DetailCode | null,
  clientId: r.client_id,
  certificateId: r.certificate_id,
  entityId: numOrNull(r.entity_id),
  roleId: numOrNull(r.role_id),
  remoteAddress: r.remote_address,
  actor: numOrNull(r.actor),
  // Only a folded row says how many it stands for (see kysely/audit.ts).
  ...(num(r.count) > 1 && { count: num(r.count), firstAt: num(r.first_at ?? r.at) }),
});

export const toSigningKey = (r: SigningKeysTable): SigningKeyRecord => ({
  accountId: r.account_id,
  kid: r.kid,
  alg: r.alg as SigningKeyRecord['alg'],
  publicJwk: r.public_jwk,
  privateKeyEncrypted: r.private_key_encrypted,
  createdAt: num(r.created_at),
  retiredAt: numOrNull(r.retired_at),
});

export const entityTypeOf = (t: string): EntityType => t as EntityType;
