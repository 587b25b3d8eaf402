/**
 * The console's security settings in one place. Times are milliseconds.
 *
 * Session lifetimes follow OWASP's Session Management Cheat Sheet: a short idle timeout and an
 * absolute timeout for signed-in sessions, and a much shorter life for a half-finished sign-in
 * (password accepted, account/role or two-factor still to come).
 */
import type { SignInLockoutPolicy } from '../store/ports.ts';

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

/** Per-address limit on sign-in POSTs (password, choose and two-factor), per minute. */
export const SIGN_IN_RATE_PER_MINUTE = 20;

/** An uploaded certificate file may be at most this big (a certificate is 1–3 KiB). */
export const MAX_UPLOAD_BYTES = 64 * 1024;

/** One email may belong to entities in this many accounts at most (each costs one scrypt). */
export const MAX_SIGN_IN_CANDIDATES = 20;

export const RECOVERY_CODE_COUNT = 10;

/** Issuer label in authenticator apps (RFC 6238 apps show it beside the account). */
export const TOTP_ISSUER = 'certmint';

export interface CookieNames {
  session: string;
  csrf: string;
}

/**
 * Over HTTPS the cookies carry the `__Host-` prefix: the browser then only accepts them with
 * Secure, Path=/ and no Domain, so a sibling subdomain cannot plant a session or CSRF secret.
 */
export function cookieNames(secure: boolean): CookieNames {
  return secure
    ? { session: '__Host-certmint_session', csrf: '__Host-certmint_csrf' }
    : { session: 'certmint_session', csrf: 'certmint_csrf' };
}

/** Where the console lives. */
export const BASE = '/console';
