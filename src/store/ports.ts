/**
 * Storage ports: shaped by the domain, not generic CRUD. Every rule that spans rows
 * (certificate / public-key uniqueness, active-certificate limit, replay) is one atomic method
 * here so that adapters can make it hold under concurrency (row locks on PostgreSQL,
 * BEGIN IMMEDIATE on SQLite). Every adapter passes the same conformance suite.
 */
import type { Account } from '../domain/account.ts';
import type { AuditEvent, AuditFilter } from '../domain/audit.ts';
import type { Entity, EntityType } from '../domain/entity.ts';
import type { Integration, IntegrationState } from '../domain/integration.ts';
import type { Mapping } from '../domain/mapping.ts';
import type { Permission, Role } from '../domain/permissions.ts';
import type { Scope } from '../domain/scope.ts';
import type { SigningKeyRecord } from '../domain/signing-key.ts';

import type { NoticeStore } from './notice-port.ts';

export type { SigningKeyRecord } from '../domain/signing-key.ts';
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
    patch: Partial<Pick<Integration, 'name' | 'state' | 'm2mGrant' | 'scopes'>>,
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
}

/** One replay claim: the key is unique until `expiresAt` (ms). */
export interface ReplayClaim {
  key: string;
  expiresAt: number;
}

/**
 * The token endpoints' writes of one event-loop turn in one commit (kysely/ledger.ts): replay
 * claims and audit events together, where the store can (SQLite: one transaction; PostgreSQL:
 * one statement, one round trip).
 */
export interface LedgerStore {
  /**
   * Claims each entry as ReplayStore.claimMany would answer it (a key repeated within the batch
   * is true once) and appends `events` as AuditStore.append would. One answer per claim.
   */
  commit(claims: readonly ReplayClaim[], events: readonly AuditEvent[]): Promise<boolean[]>;
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
 * is delivered on commit; SQLite: in-process, plus a data_version poll for other processes).
 */
export interface ChangeFeed {
  /** Returns an unsubscribe function. `accountId` null means "anything may have changed". */
  subscribe(listener: (accountId: string | null) => void): () => void;
}

/** Where a console session is in the sign-in sequence (see src/console/auth). */
export type ConsoleSessionStage = 'choose' | 'two_factor' | 'active';

/** An entity whose password matched at sign-in: the choose-account/role step offers these. */
export interface ConsoleCandidate {
  accountId: string;
  entityId: number;
}

export interface ConsoleSession {
  /** SHA-256 (hex) of the random session id; the id itself lives only in the browser's cookie. */
  idHash: string;
  stage: ConsoleSessionStage;
  /** The email signed in with, lower-cased: the per-email lockout key. */
  emailLc: string;
  candidates: ConsoleCandidate[];
  /** The account, entity and role chosen; null while choosing. */
  accountId: string | null;
  entityId: number | null;
  roleId: number | null;
  /** True once a TOTP or recovery code was accepted in this session. */
  twoFactorDone: boolean;
  /**
   * A TOTP secret offered at enrolment, kept until a code confirms it; encrypted by the
   * service like the enrolled secret (opaque to the store).
   */
  pendingTotpSecret: string | null;
  createdAt: number;
  lastSeenAt: number;
  /** Absolute end of the session (ms), whatever its activity. */
  expiresAt: number;
}

export type ConsoleSessionPatch = Partial<
  Pick<
    ConsoleSession,
    | 'stage'
    | 'candidates'
    | 'accountId'
    | 'entityId'
    | 'roleId'
    | 'twoFactorDone'
    | 'pendingTotpSecret'
    | 'lastSeenAt'
    | 'expiresAt'
  >
>;

export interface ConsoleSessionStore {
  create(session: ConsoleSession): Promise<void>;
  get(idHash: string): Promise<ConsoleSession | null>;
  /**
   * Atomically moves the session to a new id (and applies `patch`): the old id stops working
   * at once, so an id known before sign-in is worthless after it (no session fixation). False
   * when the old id does not exist.
   */
  rotate(oldHash: string, newHash: string, patch: ConsoleSessionPatch): Promise<boolean>;
  /** Changes the session in place (no new id); false when it does not exist. */
  update(idHash: string, patch: ConsoleSessionPatch): Promise<boolean>;
  /** Records activity (idle expiry). */
  touch(idHash: string, lastSeenAt: number): Promise<void>;
  delete(idHash: string): Promise<void>;
  /**
   * Deletes every session of the entity, at whatever stage: those signed in or at two-factor
   * as it, and those still choosing among candidates that include it (its password opened
   * them). Returns how many. After an administrator resets its password or two-factor.
   */
  deleteForEntity(accountId: string, entityId: number): Promise<number>;
  /** Deletes sessions past `expiresAt` or idle since before `idleBefore`; returns how many. */
  expire(now: number, idleBefore: number): Promise<number>;
  /**
   * Keeps one value (sealed by the service; opaque here) for the session's next page, replacing
   * any earlier one: a once-only secret shown after a redirect. A rotation of the session id
   * drops it. False when the session does not exist.
   */
  setFlash(idHash: string, sealed: string): Promise<boolean>;
  /**
   * Reads and clears the session's flash in one step: of two concurrent takes only one gets it,
   * so a value is handed out at most once. Null when there is none.
   */
  takeFlash(idHash: string): Promise<string | null>;
}

export interface TwoFactorRecord {
  /** The TOTP secret (RFC 6238) as the service sealed it, null when the entity has not enrolled. */
  totpSecret: string | null;
  /** How many unused recovery codes remain. */
  recoveryCodesLeft: number;
}

export interface TwoFactorStore {
  /** Null when the entity does not exist. */
  get(accountId: string, entityId: number): Promise<TwoFactorRecord | null>;
  /** Enrols (or re-enrols): the secret and the hashes of fresh recovery codes. False if no such entity. */
  set(
    accountId: string,
    entityId: number,
    totpSecret: string,
    recoveryCodeHashes: readonly string[],
  ): Promise<boolean>;
  /** Removes the recovery code with this hash if present, atomically: true exactly once per code. */
  consumeRecoveryCode(accountId: string, entityId: number, codeHash: string): Promise<boolean>;
  /** Forgets the secret and the recovery codes (lost device): the next sign-in enrols again. */
  reset(accountId: string, entityId: number): Promise<boolean>;
}

export interface SignInLockoutPolicy {
  /** Failures within `windowMs` that lock the email. */
  maxFailures: number;
  windowMs: number;
  lockMs: number;
}

/** The answer to `beginAttempt`: go on and check the credential, or refuse unchecked. */
export type SignInAttempt = { allowed: true } | { allowed: false; lockedUntil: number };

/**
 * The per-email sign-in lockout. A sign-in attempt (password or two-factor code) is counted
 * *before* its credential is checked, in one atomic step with the lock check: checking first
 * and counting after the (slow) password hash would let a concurrent burst through, since
 * every request of the burst would pass the check before any failure was counted.
 */
export interface SignInLockoutStore {
  /**
   * Atomically: refuses while the email is locked; otherwise counts this attempt in the current
   * window (a new window after the old one ran out or a lock ended) and allows it when the
   * count is at most `maxFailures`. The attempt that goes over locks the email for `lockMs`.
   * Under any concurrency at most `maxFailures` attempts per window are allowed.
   */
  beginAttempt(emailLc: string, now: number, policy: SignInLockoutPolicy): Promise<SignInAttempt>;
  /**
   * The allowed attempt's credential was wrong: it stays counted, and when the window's count
   * reached `maxFailures` the email is locked for `lockMs`. Returns the lock end, or null.
   */
  attemptFailed(emailLc: string, now: number, policy: SignInLockoutPolicy): Promise<number | null>;
  /**
   * The allowed attempt's credential was right but the sign-in goes on (a role or a second
   * factor to come): it no longer counts. A lock already in place stays.
   */
  attemptPassed(emailLc: string): Promise<void>;
  /** Until when sign-in with this email is locked (ms), or null. */
  lockedUntil(emailLc: string, now: number): Promise<number | null>;
  /**
   * Counts one failure atomically (concurrent failures all count); returns the lock end when
   * this or an earlier failure locked the email, else null. Counting after the check races with
   * concurrent attempts: sign-in uses beginAttempt and attemptFailed instead.
   */
  recordFailure(emailLc: string, now: number, policy: SignInLockoutPolicy): Promise<number | null>;
  /** After a successful sign-in: the email's count and any lock are gone. */
  clear(emailLc: string): Promise<void>;
  /** Deletes records whose window and lock both ended before `before`. */
  purge(before: number): Promise<number>;
}

/** What the admin console keeps: server-side sessions, two-factor state, sign-in lockout. */
export interface ConsoleStore {
  readonly sessions: ConsoleSessionStore;
  readonly twoFactor: TwoFactorStore;
  readonly lockout: SignInLockoutStore;
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
