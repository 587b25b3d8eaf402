/**
 * Detail codes of the audit trail. NetSuite's Login Audit Trail codes where one exists; ours
 * for the rest. The wire never carries them (no oracle) unless --explain-errors is on.
 */
export const DETAIL_CODES = [
  // NetSuite's
  'UnsupportedAlgo',
  'TokenValidityTooBroad',
  'SignatureValidation',
  'MissingKeyId',
  'MissingKey',
  'InvalidIssuer',
  'TokenNotAcceptable',
  'TokenExpired',
  'IntegrationBlocked',
  'ScopeMismatched',
  'InvalidScope',
  'EntityOrRoleDisabled',
  'InvalidIntegration',
  // certmint's
  'InvalidAudience',
  'AssertionReplayed',
  'CertificateRevoked',
  'CertificateExpired',
  'CertificateNotYetValid',
  'MalformedAssertion',
  'GrantNotAllowed',
  'MissingPermission',
  'InvalidRequest',
  'UnsupportedGrantType',
] as const;
export type DetailCode = (typeof DETAIL_CODES)[number];
export const isDetailCode = (c: string): c is DetailCode =>
  (DETAIL_CODES as readonly string[]).includes(c);

export type AuditEventType =
  | 'token'
  | 'introspect'
  | 'revoke'
  | 'mapping.create'
  | 'mapping.revoke'
  | 'sandbox.refresh'
  | 'keys.rotate';

export type AuditResult = 'success' | 'failure';

export interface AuditEvent {
  /** Assigned by the store. */
  id?: number;
  at: number;
  accountId: string;
  type: AuditEventType;
  result: AuditResult;
  detail: DetailCode | null;
  clientId: string | null;
  certificateId: string | null;
  entityId: number | null;
  roleId: number | null;
  remoteAddress: string | null;
  /** Who acted (entity id) for administrative events; null for token requests and the CLI. */
  actor: number | null;
}

export interface AuditFilter {
  accountId: string;
  result?: AuditResult;
  detail?: DetailCode;
  clientId?: string;
  type?: AuditEventType;
  /** Inclusive lower bound (ms). */
  from?: number;
  /** Exclusive upper bound (ms). */
  to?: number;
  /** Return events with id < before (paging, newest first). */
  before?: number;
  limit: number;
}
