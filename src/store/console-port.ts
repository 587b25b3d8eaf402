/**
 * The storage ports of the admin console: server-side sessions, two-factor state and sign-in
 * lockout (re-exported by ports.ts, where `Store` names them), kept apart so the main port file
 * stays readable.
 */
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
