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
  'RateLimited',
  // RFC 8705: the integration requires certificate-bound tokens (mutual TLS).
  'ClientCertificateMissing',
  'ClientCertificateMismatch',
  // DPoP at the token endpoint (RFC 9449 §4.3, §5, §8)
  'DpopProofMissing',
  'DpopProofMalformed',
  'DpopUnsupportedAlgo',
  'DpopSignatureValidation',
  'DpopWrongMethod',
  'DpopWrongUrl',
  'DpopProofStale',
  'DpopProofReplayed',
  'DpopNonceRequired',
] as const;
export type DetailCode = (typeof DETAIL_CODES)[number];
export const isDetailCode = (c: string): c is DetailCode =>
  (DETAIL_CODES as readonly string[]).includes(c);

/** Every kind of audited event, in the order the trail documents them. */
export const AUDIT_EVENT_TYPES = [
  'token',
  'introspect',
  'revoke',
  'mapping.create',
  'mapping.revoke',
  'sandbox.refresh',
  'keys.rotate',
  'account.create',
  'entity.create',
  'entity.update',
  'entity.role_assign',
  'entity.role_unassign',
  'role.create',
  'role.update',
  'integration.create',
  'integration.update',
  // An administrator (or the CLI) set or cleared an entity's console password, or reset its
  // two-factor enrolment; the entity's console sessions ended with it.
  'password.reset',
  'two_factor.reset',
  // An expiry notice about a certificate was delivered (success) or given up (failure), by email
  // or webhook; certificate, client, entity and role name the mapping.
  'mapping.expiry_notice',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];
export const isAuditEventType = (t: string): t is AuditEventType =>
  (AUDIT_EVENT_TYPES as readonly string[]).includes(t);

export type AuditResult = 'success' | 'failure';

/**
 * Why a request failed: a detail code for the OAuth endpoints, or — for a refused
 * administrative request — the stable code of the DomainError that refused it (e.g.
 * `permission.missing`, `mapping.limit_reached`).
 */
export type AuditDetail = DetailCode | RefusalCode;
/** A DomainError code (`<record>.<reason>`), recorded when an administrative request is refused. */
export type RefusalCode = string;

export interface AuditEvent {
  /** Assigned by the store. */
  id?: number;
  at: number;
  accountId: string;
  type: AuditEventType;
  result: AuditResult;
  detail: AuditDetail | null;
  clientId: string | null;
  certificateId: string | null;
  entityId: number | null;
  roleId: number | null;
  remoteAddress: string | null;
  /**
   * Who acted (entity id, of this event's account) for administrative events, refused ones
   * included; null for token requests and the CLI.
   */
  actor: number | null;
  /**
   * Read back only, and only on a folded row: identical failures of an OAuth endpoint from one
   * source (same account, endpoint, detail, client, certificate, entity, role and address)
   * within one AUDIT_FOLD_WINDOW_MS window are one row, the newest: `count` of them happened
   * from `firstAt` to `at`.
   */
  count?: number;
  firstAt?: number;
}

/** The window within which identical OAuth failures fold into one audit row (ms). */
export const AUDIT_FOLD_WINDOW_MS = 60_000;

/** Failures of the OAuth endpoints fold; successes and administrative events never do. */
export const foldsInAudit = (e: AuditEvent): boolean =>
  e.result === 'failure' && (e.type === 'token' || e.type === 'introspect' || e.type === 'revoke');

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

/** What an audit event says beyond its account, type and time; everything else defaults. */
export type AuditFields = Partial<
  Pick<
    AuditEvent,
    | 'result'
    | 'detail'
    | 'clientId'
    | 'certificateId'
    | 'entityId'
    | 'roleId'
    | 'remoteAddress'
    | 'actor'
  >
>;

/**
 * The one way an audit event is built: a success with nothing known unless `fields` says so.
 * Callers name only what they know, so a new column gets its default in one place.
 */
export function auditEvent(
  type: AuditEventType,
  accountId: string,
  at: number,
  fields: AuditFields = {},
): AuditEvent {
  return {
    at,
    accountId,
    type,
    result: fields.result ?? 'success',
    detail: fields.detail ?? null,
    clientId: fields.clientId ?? null,
    certificateId: fields.certificateId ?? null,
    entityId: fields.entityId ?? null,
    roleId: fields.roleId ?? null,
    remoteAddress: fields.remoteAddress ?? null,
    actor: fields.actor ?? null,
  };
}
