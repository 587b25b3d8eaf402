/**
 * Table types for Kysely, shared by both dialects. Times are integer milliseconds (PostgreSQL
 * `bigint`, read back as numbers by the pool's type parser); booleans are `boolean` on
 * PostgreSQL and 0/1 integers on SQLite (see `DbBool`); JSON lists are text.
 */
import type { Generated } from 'kysely';

/** What a boolean column holds: PostgreSQL returns booleans, SQLite 0/1. */
export type DbBool = boolean | 0 | 1;

export const fromDbBool = (v: DbBool | number): boolean => v === true || v === 1;

export interface AccountsTable {
  id: string;
  kind: string;
  parent_id: string | null;
  created_at: number;
  refreshed_at: number | null;
  /** Per-account id counters: atomic `UPDATE … RETURNING` hands out ids without races. */
  next_entity_id: number;
  next_role_id: number;
  next_integration_id: number;
}

export interface EntitiesTable {
  account_id: string;
  id: number;
  name: string;
  email: string | null;
  /** `email` lower-cased in JS (Unicode-aware, unlike SQLite's lower()): the sign-in lookup key. */
  email_lc: string | null;
  type: string;
  active: DbBool;
  password_hash: string | null;
  /** Reserved for the console (two-factor sign-in). */
  totp_secret: string | null;
  recovery_codes: string | null;
}

export interface RolesTable {
  account_id: string;
  id: number;
  name: string;
  active: DbBool;
  /** JSON array of permission ids. */
  permissions: string;
}

export interface RoleAssignmentsTable {
  account_id: string;
  entity_id: number;
  role_id: number;
}

export interface IntegrationsTable {
  account_id: string;
  id: number;
  name: string;
  state: string;
  client_id: string;
  client_secret_hash: string;
  application_id: string;
  m2m_grant: DbBool;
  /** JSON array of scopes. */
  scopes: string;
  created_at: number;
  /** Migration 0007: 'off' | 'allowed' | 'required' (RFC 8705 certificate-bound tokens). */
  mtls_binding: string;
  /** 'off' | 'allowed' | 'required' (migration 0006). */
  dpop_mode: string;
}

export interface MappingsTable {
  certificate_id: string;
  public_key_id: string;
  account_id: string;
  integration_id: number;
  entity_id: number;
  role_id: number;
  pem: string;
  subject: string;
  issuer: string;
  serial_number: string;
  algorithm: string;
  key_type: string;
  key_size: number;
  curve: string | null;
  valid_from: number;
  valid_until: number;
  shortened: DbBool;
  created_at: number;
  created_by: number | null;
  revoked_at: number | null;
  revoked_by: number | null;
}

export interface AuditEventsTable {
  id: Generated<number>;
  at: number;
  account_id: string;
  type: string;
  result: string;
  detail: string | null;
  client_id: string | null;
  certificate_id: string | null;
  entity_id: number | null;
  role_id: number | null;
  remote_address: string | null;
  actor: number | null;
  /** Identical failures this row stands for (1 unless folded; see kysely/audit.ts). */
  count: number;
  /** When the first of them happened (`at`: the last); null for rows from before folding. */
  first_at: number | null;
  /** Set while the row folds repeats (unique); null for every other row. */
  fold_key: string | null;
}

/** Values every node of one database must agree on (see service/cluster.ts). */
export interface SettingsTable {
  name: string;
  value: string;
  updated_at: number;
}

/** SQLite only: bumped by every record write transaction (migration 0010). */
export interface ChangeCounterTable {
  id: number;
  seq: number;
}

export interface ReplayTable {
  key: string;
  expires_at: number;
}

export interface SigningKeysTable {
  account_id: string;
  kid: string;
  alg: string;
  public_jwk: string;
  private_key_encrypted: string;
  created_at: number;
  retired_at: number | null;
}

export interface RevokedTokensTable {
  account_id: string;
  jti: string;
  expires_at: number;
}

export interface NoticeDeliveriesTable {
  certificate_id: string;
  threshold_days: number;
  channel: string;
  account_id: string;
  status: string;
  attempts: number;
  next_attempt_at: number | null;
  claimed_at: number;
  claimed_by: string;
  finished_at: number | null;
  last_error: string | null;
}

export interface Database {
  accounts: AccountsTable;
  entities: EntitiesTable;
  roles: RolesTable;
  role_assignments: RoleAssignmentsTable;
  integrations: IntegrationsTable;
  mappings: MappingsTable;
  audit_events: AuditEventsTable;
  replay: ReplayTable;
  signing_keys: SigningKeysTable;
  revoked_tokens: RevokedTokensTable;
  notice_deliveries: NoticeDeliveriesTable;
  settings: SettingsTable;
  change_counter: ChangeCounterTable;
}
