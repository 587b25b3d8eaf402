/**
 * Console sign-in policy in one place. Times are milliseconds.
 *
 * Session lifetimes follow OWASP's Session Management Cheat Sheet: a short idle timeout and an
 * absolute timeout for signed-in sessions, and a much shorter life for a half-finished sign-in
 * (password accepted, account/role or two-factor still to come).
 */
import type { SignInLockoutPolicy } from '../../store/ports.ts';

const MINUTE = 60_000;

/** Signed-in session: ends after this long without a request. */
export const IDLE_TIMEOUT_MS = 30 * MINUTE;
/** Signed-in session: ends this long after sign-in, active or not. */
export const ABSOLUTE_TIMEOUT_MS = 12 * 60 * MINUTE;
/** A sign-in that stopped at choose-account or two-factor. */
export const PENDING_TIMEOUT_MS = 10 * MINUTE;
/** Activity is written at most this often (one write per page view would be wasteful). */
export const TOUCH_EVERY_MS = MINUTE;

/** Per-email lockout: failed passwords and failed two-factor codes both count. */
export const LOCKOUT: SignInLockoutPolicy = {
  maxFailures: 5,
  windowMs: 15 * MINUTE,
  lockMs: 15 * MINUTE,
};

/** One email may belong to entities in this many accounts at most (each costs one scrypt). */
export const MAX_SIGN_IN_CANDIDATES = 20;
/** Longer email input is cut here: a 64-octet local part, "@", a 255-octet domain (RFC 5321 §4.5.3.1). */
export const MAX_EMAIL_LENGTH = 320;

export const RECOVERY_CODE_COUNT = 10;

/** Issuer label in authenticator apps (RFC 6238 apps show it beside the account). */
export const TOTP_ISSUER = 'certmint';

/** How often a background job should call `purgeExpired` (expired sessions, old lockout rows). */
export const PURGE_INTERVAL_MS = MINUTE;
