/**
 * Storage ports: shaped by the domain, not generic CRUD. Every rule that spans rows
 * (certificate / public-key uniqueness, active-certificate limit, replay) is one atomic method
 * here so that adapters can make it hold under concurrency (row locks on PostgreSQL,
 * BEGIN IMMEDIATE on SQLite). Every adapter passes the same conformance suite.
 */
import type { Account } from '../domain/account.ts';
import type { AuditEvent, AuditFilter } from '../domain/audit.ts';
import type { Entity, EntityType } from '../domain/entity.ts';
import type {
  DpopMode,
  Integration,
  IntegrationState,
  MtlsBinding,
} from '../domain/integration.ts';
import type { Mapping } from '../domain/mapping.ts';
import type { Permission, Role } from '../domain/permissions.ts';
import type { Scope } from '../domain/scope.ts';
import type { SigningKeyRecord } from '../domain/signing-key.ts';

import type { ConsoleStore } from './console-port.ts';
import type { NoticeStore } from './notice-port.ts';

export type { SigningKeyRecord } from '../domain/signing-key.ts';
export type {
  ConsoleCandidate,
  ConsoleSession,
  ConsoleSessionPatch,
  ConsoleSessionStage,
  ConsoleSessionStore,
  ConsoleStore,
  SignInAttempt,
  SignInLockoutPolicy,
  SignInLockoutStore,
  TwoFactorRecord,
  TwoFactorStore,
} from './console-port.ts';
export type {
  NoticeDelivery,
  NoticeKey,
  NoticeOutcome,
  NoticeStore,
} from './notice-port.ts';

export interface AccountStore {
  /** Creates the account and its built-in Administrator role (id 3). False if the id exists. */
  create(account: Account): Promise<boolean>;
  get(id: string): Promise<Account | null>;
  list(): Promise<Account[]>;
  /**
   * Sandbox refresh, atomically: delete the sandbox's entities, roles, assignments, integrations,
   * mappings, signing keys and revoked-token records; copy production's entities (with password
   * hashes and two-factor secrets), roles, assignments and integrations (same ids, client ids,
   * secret hashes); set refreshedAt. Production and other sandboxes are untouched.
   */
  refreshSandbox(sandboxId: string, productionId: string, now: number): Promise<RefreshResult>;
}

export interface RefreshResult {
  entities: number;
  roles: number;
  integrations: number;
  mappingsCleared: number;
}

export interface NewEntity {
  accountId: string;
  name: string;
  email: string | null;
  type: EntityType;
  active: boolean;
}

export interface EntityStore {
  /** Assigns the next id within the account (ids start at 1). */
  create(input: NewEntity): Promise<Entity>;
  get(accountId: string, id: number): Promise<Entity | null>;
  list(accountId: string): Promise<Entity[]>;
  /** Entities with this email (case-insensitive) in every account: console sign-in. */
  findByEmail(email: string): Promise<Entity[]>;
  update(
    accountId: string,
    id: number,
    patch: Partial<Pick<Entity, 'name' | 'email' | 'type' | 'active'>>,
  ): Promise<Entity | null>;
  /** False when the entity or role does not exist in this account. Idempotent. */
  assignRole(accountId: string, entityId: number, roleId: number): Promise<boolean>;
  unassignRole(accountId: string, entityId: number, roleId: number): Promise<boolean>;
  setPasswordHash(accountId: string, id: number, hash: string | null): Promise<boolean>;
  getPasswordHash(accountId: string, id: number): Promise<string | null>;
}

export interface NewRole {
  accountId: string;
  name: string;
  active: boolean;
  permissions: Permission[];
}

export interface RoleStore {
  /** Assigns the next custom role id within the account (from 1000). */
  create(input: NewRole): Promise<Role>;
  get(accountId: string, id: number): Promise<Role | null>;
  list(accountId: string): Promise<Role[]>;
  update(
    accountId: string,
    id: number,
    patch: Partial<Pick<Role, 'name' | 'active' | 'permissions'>>,
  ): Promise<Role | null>;
}

export interface NewIntegration {
  accountId: string;
  name: string;
  state: IntegrationState;
  clientId: string;
  /** Hash of the client secret; the secret itself is never stored. */
  clientSecretHash: string;
  applicationId: string;
  m2mGrant: boolean;
  scopes: Scope[];
  createdAt: number;
  /** Default 'off'. */
  mtlsBinding?: MtlsBinding;
  dpop?: DpopMode;
}

export interface IntegrationStore {
  /** Assigns the next id within the account (from 1). */
  create(input: NewIntegration): Promise<Integration>;
  get(accountId: string, id: number): Promise<Integration | null>;
  getByClientId(accountId: string, clientId: string): Promise<Integration | null>;
  list(accountId: string): Promise<Integration[]>;
  update(
    accountId: string,
    id: number,
    patch: Partial<
      Pick<Integration, 'name' | 'state' | 'm2mGrant' | 'scopes' | 'mtlsBinding' | 'dpop'>
    >,
  ): Promise<Integration | null>;
}

export type CreateMappingResult =
  | 'created'
  /** This certificate id is (or was) mapped anywhere, in any account, revoked or not. */
  | 'certificate_taken'
  /** Another certificate with the same public key is (or was) mapped anywhere. */
  | 'key_taken'
  /** The integration already has `maxActive` active certificates. */
  | 'limit_reached';

export interface MappingStore {
  /**
   * Inserts the mapping if, atomically: neither its certificate id nor its public key id exist
   * anywhere, and the integration has fewer than `maxActive` active (not revoked, validUntil >
   * now) mappings. Under any concurrency exactly the allowed number of creates succeed.
   */
  create(mapping: Mapping, maxActive: number, now: number): Promise<CreateMappingResult>;
  /** By certificate id, in any account (the token endpoint checks the account itself). */
  get(certificateId: string): Promise<Mapping | null>;
  list(accountId: string): Promise<Mapping[]>;
  /** Sets revokedAt/revokedBy if not yet revoked. False if missing, other account, or already revoked. */
  revoke(accountId: string, certificateId: string, at: number, by: number | null): Promise<boolean>;
}

export interface AuditStore {
  /**
   * Appends events (one transaction); assigns ids in order. A failure of an OAuth endpoint
   * (`foldsInAudit`) identical to one already stored in the same AUDIT_FOLD_WINDOW_MS window
   * (same account, type, detail, client, certificate, entity, role, address) replaces that row
   * with one that counts both: the newest row, with `count` and `firstAt`. Atomic, also across
   * nodes: concurrent identical failures all count.
   */
  append(events: readonly AuditEvent[]): Promise<void>;
  /** Newest first. A folded row has `count` (> 1) and `firstAt`. */
  list(filter: AuditFilter): Promise<AuditEvent[]>;
  /** Deletes at most `limit` of the oldest events with `at` < `before`; returns how many. */
  purgeBefore(before: number, limit: number): Promise<number>;
}

/**
 * Values every node of one database agrees on (the cluster checks of service/cluster.ts),
 * by name. Values are opaque text.
 */
export interface SettingsStore {
  get(name: string): Promise<string | null>;
  /**
   * Stores `value` unless the name already has one, atomically; returns the value stored now
   * (this one, or the one an earlier or concurrent caller stored). Every caller gets the same.
   */
  putIfAbsent(name: string, value: string, now: number): Promise<string>;
  /** Stores `value`, replacing any earlier one. */
  put(name: string, value: string, now: number): Promise<void>;
}

export interface ReplayStore {
  /**
   * Atomic unique insert: true the first time `key` is claimed, false every later time while the
   * record lives (until `expiresAt`, ms). Never check-then-write.
   */
  claim(key: string, expiresAt: number): Promise<boolean>;
  /**
   * Several claims in one transaction (group commit); one answer per entry, in order, each as
   * `claim` would give it (a key repeated within the batch is true once).
   */
  claimMany(entries: readonly { key: string; expiresAt: number }[]): Promise<boolean[]>;
  /** Deletes records with expiresAt <= now; returns how many. */
  purgeExpired(now: number): Promise<number>;
  /** Records still live (expiresAt > now): the replay table's working size (metrics). */
  countLive(now: number): Promise<number>;
}

/** One replay claim: the key is unique until `expiresAt` (ms). */
export interface ReplayClaim {
  key: string;
  expiresAt: number;
}

/**
 * A claim of the ledger. `onWin`: an audit event stored in the same commit if and only if this
 * entry's claim is won — a request's success record rides with its replay claim, so the request
 * waits for one commit instead of two (a round trip less on PostgreSQL). Never a folding event.
 * `onWinAlso`: the index, in the same commit's claims, of a second claim that must be won too
 * for `onWin` to be stored (a DPoP request's proof beside its assertion).
 */
export interface LedgerClaim extends ReplayClaim {
  onWin?: AuditEvent;
  onWinAlso?: number;
}

/**
 * The token endpoints' writes of one event-loop turn in one commit (kysely/ledger.ts): replay
 * claims and audit events together, where the store can (SQLite: one transaction; PostgreSQL:
 * one statement, one round trip).
 */
export interface LedgerStore {
  /**
   * Claims each entry as ReplayStore.claimMany would answer it (a key repeated within the batch
   * is true once), appends `events` as AuditStore.append would, and each won entry's `onWin`
   * with them (when its `onWinAlso` entry is won too). One answer per claim.
   */
  commit(claims: readonly LedgerClaim[], events: readonly AuditEvent[]): Promise<boolean[]>;
}

export interface SigningKeyStore {
  /** All keys of the account, newest first. */
  list(accountId: string): Promise<SigningKeyRecord[]>;
  /**
   * Atomically retires the account's current key (if any, at `key.createdAt`) and inserts `key`.
   * When `onlyIfNone` is set and the account already has an unretired key, inserts nothing and
   * returns false (two nodes creating the first key at once: one wins).
   */
  rotate(key: SigningKeyRecord, onlyIfNone: boolean): Promise<boolean>;
  /** Deletes retired keys that stopped signing before `before` (ms). */
  purgeRetired(accountId: string, before: number): Promise<number>;
  /** The most recently created key of any account, or null when there is none. */
  newest(): Promise<SigningKeyRecord | null>;
}

export interface RevokedTokenStore {
  /** Idempotent. */
  add(accountId: string, jti: string, expiresAt: number): Promise<void>;
  isRevoked(accountId: string, jti: string): Promise<boolean>;
  purgeExpired(now: number): Promise<number>;
}

/**
 * Cross-node cache invalidation. Adapters publish after every committed change to an account's
 * entities, roles, integrations or mappings (PostgreSQL: NOTIFY inside the transaction, so it
 * is delivered on commit; SQLite: in-process, plus a poll of the change counter for other processes).
 */
export interface ChangeFeed {
  /** Returns an unsubscribe function. `accountId` null means "anything may have changed". */
  subscribe(listener: (accountId: string | null) => void): () => void;
}

/**
 * What console authentication needs of the store, and nothing more: its own tables, the
 * password hashes of entities found by email, one-time claims of TOTP time steps, and the
 * audit trail for administrative resets. A full Store satisfies it.
 */
export interface ConsoleAuthStore {
  readonly console: ConsoleStore;
  readonly entities: Pick<EntityStore, 'findByEmail' | 'getPasswordHash' | 'setPasswordHash'>;
  readonly replay: Pick<ReplayStore, 'claim'>;
  readonly audit: Pick<AuditStore, 'append'>;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly accounts: AccountStore;
  readonly entities: EntityStore;
  readonly roles: RoleStore;
  readonly integrations: IntegrationStore;
  readonly mappings: MappingStore;
  readonly audit: AuditStore;
  readonly replay: ReplayStore;
  readonly ledger: LedgerStore;
  readonly signingKeys: SigningKeyStore;
  readonly revokedTokens: RevokedTokenStore;
  readonly changes: ChangeFeed;
  readonly console: ConsoleStore;
  readonly notices: NoticeStore;
  readonly settings: SettingsStore;
  /** Resolves once every pending write is done and connections are closed. */
  close(): Promise<void>;
}
